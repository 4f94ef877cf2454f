import type { Pool } from '../db/pool';
import { inTransaction } from '../db/pool';
import { appendCustody, lockCustody } from './log';

/**
 * Records that a user viewed (playback, poster, sprite) or downloaded a recording. A player makes dozens of
 * Range requests per playback, a download manager several per file: one event per user, recording and
 * action within the window stands for all of them. The check runs first without the custody lock (the
 * common case: already on record), then again under it.
 */
export async function recordAccess(
  pool: Pool,
  actor: string,
  recordingId: string,
  action: 'view' | 'download',
  detail: Record<string, unknown>,
  windowMs: number,
): Promise<boolean> {
  const target = `recording:${recordingId}`;
  const recent = (db: Pick<Pool, 'query'>) =>
    db
      .query(`SELECT 1 FROM custody_events WHERE target = $1 AND actor = $2 AND action = $3 AND at > $4 LIMIT 1`, [
        target,
        actor,
        action,
        new Date(Date.now() - windowMs),
      ])
      .then((r) => (r.rowCount ?? 0) > 0);
  if (await recent(pool)) return false;
  return inTransaction(pool, async (client) => {
    await lockCustody(client);
    if (await recent(client)) return false;
    await appendCustody(client, { actor, action, target, detail });
    return true;
  });
}
