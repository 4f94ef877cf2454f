import type { Db } from '../db/pool';
import { eventHash, GENESIS_HASH, type ChainedFields } from './chain';

export interface CustodyEvent extends ChainedFields {
  prevHash: string;
  hash: string;
}

// Every appender takes this transaction-scoped lock, so the chain has one head and no two events share a seq.
const CUSTODY_LOCK = 7_316_402;

/**
 * Appends an event inside the caller's transaction (it must be one: the lock is held until it ends, and
 * the event exists only if the change it records commits).
 */
/** Takes the custody lock for the rest of the transaction (appendCustody does; taking it early sets lock order). */
export async function lockCustody(client: Db): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [CUSTODY_LOCK]);
}

export async function appendCustody(
  client: Db,
  event: { actor: string; action: string; target: string; detail: Record<string, unknown> },
): Promise<CustodyEvent> {
  await lockCustody(client);
  const { rows } = await client.query<{ seq: number; hash: string }>('SELECT seq, hash FROM custody_events ORDER BY seq DESC LIMIT 1');
  const prevHash = rows[0]?.hash ?? GENESIS_HASH;
  // The detail is stored as jsonb and read back for verification: a JSON round trip now makes the hashed
  // form the one that will be read (no undefined, no Dates).
  const fields: ChainedFields = {
    seq: (rows[0]?.seq ?? 0) + 1,
    at: new Date().toISOString(),
    actor: event.actor,
    action: event.action,
    target: event.target,
    detail: JSON.parse(JSON.stringify(event.detail)) as Record<string, unknown>,
  };
  const hash = eventHash(prevHash, fields);
  await client.query(
    'INSERT INTO custody_events (seq, at, actor, action, target, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
    [fields.seq, fields.at, fields.actor, fields.action, fields.target, JSON.stringify(fields.detail), prevHash, hash],
  );
  return { ...fields, prevHash, hash };
}
