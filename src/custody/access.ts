import type { Pool } from '../db/pool';
import { inTransaction } from '../db/pool';
import { appendCustody, lockCustody } from './log';

/**
 * Records that a user viewed a recording (playback, poster, sprite). A player makes dozens of Range
 * requests per playback: one view event per user and recording within the window stands for all of them.
 * The check runs first without the custody lock (the common case: already on record), then again under it.
 */
export async function recordView(pool: Pool, actor: string, recordingId: string, detail: Record<string, unknown>, windowMs: number): Promise<boolean> {
  const target = `recording:${recordingId}`;
  const recent = (db: Pick<Pool, 'query'>) =>
    db
      .query(`SELECT 1 FROM custody_events WHERE target = $1 AND actor = $2 AND action = 'view' AND at > $3 LIMIT 1`, [
        target,
        actor,
        new Date(Date.now() - windowMs),
      ])
      .then((r) => (r.rowCount ?? 0) > 0);
  if (await recent(pool)) return false;
  return inTransaction(pool, async (client) => {
    await lockCustody(client);
    if (await recent(client)) return false;
    await appendCustody(client, { actor, action: 'view', target, detail });
    return true;
  });
}
