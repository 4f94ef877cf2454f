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
