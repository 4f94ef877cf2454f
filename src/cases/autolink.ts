import type { Client, Db, Pool } from '../db/pool';
import { inTransaction } from '../db/pool';
import { appendCustody } from '../custody/log';
import { enqueue } from '../queue/outbox';
import { jobId } from '../queue/jobs';

// Link jobs are re-run whenever their inputs change: each replaces the finished job BullMQ still remembers.
export const enqueueLink = (db: Db, recordingId: string) => enqueue(db, 'link', jobId('link', recordingId), { recordingId }, { replace: true });
export const enqueueRelink = (db: Db, caseId: number) => enqueue(db, 'relink', jobId('relink', String(caseId)), { caseId }, { replace: true });

/**
 * The cases a recording belongs to: its officer took part in one of their activities, and its span (a
 * point at its start while its end is unknown) overlaps the activity's window widened by the buffer.
 */
async function matchingCases(db: Db, recordingId: string, bufferMs: number): Promise<{ caseId: number; caseNo: string }[]> {
  const { rows } = await db.query<{ caseId: number; caseNo: string }>(
    `SELECT DISTINCT c.id AS "caseId", c.case_no AS "caseNo"
       FROM recordings r
       JOIN activity_officers ao ON ao.officer_id = r.officer_id
       JOIN case_activities a ON a.id = ao.activity_id
       JOIN cases c ON c.id = a.case_id
      WHERE r.id = $1 AND r.status <> 'deleted'
        AND a.started_at <= coalesce(r.ended_at, r.started_at) + make_interval(secs => $2::double precision / 1000)
        AND a.ended_at >= r.started_at - make_interval(secs => $2::double precision / 1000)`,
    [recordingId, bufferMs],
  );
  return rows;
}

/**
 * Brings a recording's auto-links in line with the activities it matches: new matches are linked (unless
 * unlinked by hand), auto-links it no longer matches are removed; manual links are never touched. Each
 * change is a custody event by `system`. Returns what changed.
 */
export async function relinkRecording(client: Client, recordingId: string, bufferMs: number): Promise<{ linked: string[]; unlinked: string[] }> {
  await client.query('SELECT 1 FROM recordings WHERE id = $1 FOR UPDATE', [recordingId]);
  const matches = await matchingCases(client, recordingId, bufferMs);
  const { rows: current } = await client.query<{ caseId: number; caseNo: string; source: string }>(
    `SELECT l.case_id AS "caseId", c.case_no AS "caseNo", l.source FROM case_links l JOIN cases c ON c.id = l.case_id WHERE l.recording_id = $1`,
    [recordingId],
  );
  const { rows: refused } = await client.query<{ caseId: number }>('SELECT case_id AS "caseId" FROM case_unlinks WHERE recording_id = $1', [recordingId]);
  const linked: string[] = [];
  const unlinked: string[] = [];
  for (const m of matches) {
    if (current.some((c) => c.caseId === m.caseId) || refused.some((r) => r.caseId === m.caseId)) continue;
    await client.query(`INSERT INTO case_links (case_id, recording_id, source, linked_by) VALUES ($1, $2, 'auto', 'system')`, [m.caseId, recordingId]);
    await appendCustody(client, { actor: 'system', action: 'link', target: `recording:${recordingId}`, detail: { caseNo: m.caseNo, source: 'auto' } });
    linked.push(m.caseNo);
  }
  for (const c of current) {
    if (c.source !== 'auto' || matches.some((m) => m.caseId === c.caseId)) continue;
    await client.query(`DELETE FROM case_links WHERE case_id = $1 AND recording_id = $2 AND source = 'auto'`, [c.caseId, recordingId]);
    await appendCustody(client, { actor: 'system', action: 'unlink', target: `recording:${recordingId}`, detail: { caseNo: c.caseNo, source: 'auto', why: 'no longer matches an activity' } });
    unlinked.push(c.caseNo);
  }
  return { linked, unlinked };
}

/** The footage a case's activities may concern, and what is auto-linked to it now: each is re-evaluated. */
export async function relinkCase(pool: Pool, caseId: number, bufferMs: number): Promise<{ recordings: number; linked: number; unlinked: number }> {
  const { rows } = await pool.query<{ id: string }>(
    `SELECT DISTINCT r.id
       FROM case_activities a
       JOIN activity_officers ao ON ao.activity_id = a.id
       JOIN recordings r ON r.officer_id = ao.officer_id
      WHERE a.case_id = $1
        AND r.started_at <= a.ended_at + make_interval(secs => $2::double precision / 1000)
        AND coalesce(r.ended_at, r.started_at) >= a.started_at - make_interval(secs => $2::double precision / 1000)
     UNION
     SELECT recording_id FROM case_links WHERE case_id = $1 AND source = 'auto'`,
    [caseId, bufferMs],
  );
  let linked = 0;
  let unlinked = 0;
  for (const { id } of rows) {
    const r = await inTransaction(pool, (c) => relinkRecording(c, id, bufferMs));
    linked += r.linked.length;
    unlinked += r.unlinked.length;
  }
  return { recordings: rows.length, linked, unlinked };
}
