import type { Client } from '../db/pool';
import { unprocessable } from '../errors';

/**
 * Ends the open validity range of `table` for `column = id` at `at`, so a new range can start there.
 * Ranges are half-open [from, to): the old one ends exactly where the new one begins.
 * Refuses when the open range starts at or after `at` (that would rewrite history rather than extend it).
 */
export async function closeOpenRange(
  client: Client,
  table: 'officer_units' | 'recorder_assignments',
  column: 'officer_id' | 'recorder_id',
  id: number,
  at: Date,
  field: string,
): Promise<void> {
  const { rows } = await client.query<{ id: number; lower: Date | null }>(
    `SELECT id, lower(valid) AS lower FROM ${table} WHERE ${column} = $1 AND upper_inf(valid) FOR UPDATE`,
    [id],
  );
  const open = rows[0];
  if (!open) return;
  if (open.lower && open.lower.getTime() >= at.getTime()) {
    throw unprocessable(
      'invalid_from',
      `must be after ${open.lower.toISOString()}, when the current period began`,
      field,
    );
  }
  await client.query(`UPDATE ${table} SET valid = tstzrange(lower(valid), $2, '[)') WHERE id = $1`, [open.id, at]);
}

// Every change to who-was-where-when takes this transaction lock first: assignments touch two officers'
// and two recorders' rows, and without one order of locking, two swaps at once deadlock.
const HISTORY_LOCK = 7_316_403;

/** Serializes directory history changes; returns the database's clock at that moment, for "now". */
export async function lockHistory(client: Client): Promise<Date> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [HISTORY_LOCK]);
  // clock_timestamp, not now(): a transaction that waited for the lock must not date its change before
  // the change it waited for.
  const { rows } = await client.query<{ at: Date }>('SELECT clock_timestamp() AS at');
  return rows[0]!.at;
}

/** Ends the open assignment of a recorder or an officer at `at` (one taken out of service). */
export async function endOpenAssignment(client: Client, column: 'recorder_id' | 'officer_id', id: number, at: Date): Promise<void> {
  await client.query(
    `UPDATE recorder_assignments SET valid = tstzrange(lower(valid), $2, '[)')
      WHERE ${column} = $1 AND upper_inf(valid) AND (lower(valid) IS NULL OR lower(valid) < $2)`,
    [id, at],
  );
}
