import type { Client, Db } from '../db/pool';
import { iso } from '../time';
import { appendCustody } from '../custody/log';
import type { RetentionPolicy } from './policy';
import { recomputeRetention, type RetentionChange } from './recompute';

/** Who set a mark or hold, when and why: what the recording's page shows. */
export interface Note {
  by: string;
  at: string;
  reason: string;
}

const noteOf = (by: string, reason: string): Note => ({ by, at: new Date().toISOString(), reason });

/**
 * Marks a recording important or not, with a reason, and recomputes its retention date. Null when the
 * recording is a tombstone; `changed: false` when it already was as asked (nothing is logged).
 */
export async function markImportant(
  client: Client,
  recordingId: string,
  important: boolean,
  by: string,
  reason: string,
  policy: RetentionPolicy,
): Promise<{ changed: boolean; retention: RetentionChange | null } | null> {
  const { rows } = await client.query<{ important: boolean; status: string }>('SELECT important, status FROM recordings WHERE id = $1 FOR UPDATE', [recordingId]);
  if (!rows[0] || rows[0].status === 'deleted') return null;
  if (rows[0].important === important) return { changed: false, retention: null };
  await client.query('UPDATE recordings SET important = $2, important_note = $3 WHERE id = $1', [recordingId, important, noteOf(by, reason)]);
  await appendCustody(client, { actor: by, action: important ? 'mark_important' : 'unmark_important', target: `recording:${recordingId}`, detail: { reason } });
  const [retention] = await recomputeRetention(client, [recordingId], policy, by, important ? 'marked important' : 'unmarked important');
  return { changed: true, retention: retention ?? null };
}

/**
 * Sets or lifts a legal hold on a recording or a case (all of its footage): while it is on, the retention
 * run deletes nothing it covers. False when it already was as asked.
 */
export async function setHold(client: Client, target: { recordingId: string } | { caseId: number; caseNo: string }, on: boolean, by: string, reason: string): Promise<boolean> {
  const [table, id, custodyTarget] =
    'recordingId' in target ? ['recordings', target.recordingId, `recording:${target.recordingId}`] : ['cases', target.caseId, `case:${target.caseNo}`];
  const { rows } = await client.query<{ hold: Note | null }>(`SELECT hold FROM ${table} WHERE id = $1 FOR UPDATE`, [id]);
  if (!rows[0]) return false;
  if (!!rows[0].hold === on) return false;
  await client.query(`UPDATE ${table} SET hold = $2 WHERE id = $1`, [id, on ? noteOf(by, reason) : null]);
  await appendCustody(client, { actor: by, action: on ? 'hold' : 'release_hold', target: custodyTarget, detail: { reason } });
  return true;
}

export interface Holds {
  recordings: { id: string; filename: string; badgeNo: string; startedAt: string; hold: Note }[];
  cases: { caseNo: string; title: string | null; hold: Note }[];
}

/** Everything under a legal hold now, the latest hold first. */
export async function listHolds(db: Db): Promise<Holds> {
  const { rows: recordings } = await db.query<Omit<Holds['recordings'][number], 'startedAt'> & { startedAt: Date }>(
    `SELECT r.id, r.filename, o.badge_no AS "badgeNo", r.started_at AS "startedAt", r.hold
       FROM recordings r JOIN officers o ON o.id = r.officer_id
      WHERE r.hold IS NOT NULL ORDER BY r.hold->>'at' DESC, r.id`,
  );
  const { rows: cases } = await db.query<Holds['cases'][number]>(
    `SELECT case_no AS "caseNo", title, hold FROM cases WHERE hold IS NOT NULL ORDER BY hold->>'at' DESC, case_no`,
  );
  return { recordings: recordings.map((r) => ({ ...r, startedAt: iso(r.startedAt)! })), cases };
}
