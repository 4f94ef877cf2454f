import type { Client, Db, Pool } from '../db/pool';
import { inTransaction } from '../db/pool';
import { appendCustody } from '../custody/log';
import { enqueue } from '../queue/outbox';
import { jobId } from '../queue/jobs';
import type { RetentionPolicy } from '../retention/policy';
import { recomputeRetention } from '../retention/recompute';

/** What matching and its consequences depend on: the window buffer, and the retention policy links change. */
export interface LinkSettings {
  bufferMs: number;
  retention: RetentionPolicy;
}

// Link jobs are re-run whenever their inputs change: each replaces the finished job BullMQ still remembers.
export const enqueueLink = (db: Db, recordingId: string) => enqueue(db, 'link', jobId('link', recordingId), { recordingId }, { replace: true });
export const enqueueRelink = (db: Db, caseId: number) => enqueue(db, 'relink', jobId('relink', String(caseId)), { caseId }, { replace: true });

/**
 * The cases a recording belongs to: its officer took part in one of their activities, and its span (a
 * point at its start while its end is unknown) overlaps the activity's window widened by the buffer.
 */
async function matchingCases(db: Db, recordingId: string, bufferMs: number): Promise<{ caseId: number; caseNo: string }[]> {
  const { rows } = await db.query<{ caseId: number; caseNo: string }>(
    // The activities around the recording come first, from the window index (an officer's own activities
    // are years of them). The && only lets the index narrow them down (greatest() keeps its ranges valid
    // whatever the data and the buffer); the two conditions after it decide.
    `WITH a AS MATERIALIZED (
       SELECT a.id, a.case_id, r.officer_id
         FROM recordings r
         JOIN case_activities a
           ON tstzrange(a.started_at, a.ended_at, '[]')
              && tstzrange(r.started_at - make_interval(secs => greatest($2::double precision, 0) / 1000),
                           greatest(r.started_at, r.ended_at) + make_interval(secs => greatest($2::double precision, 0) / 1000), '[]')
          AND a.started_at <= coalesce(r.ended_at, r.started_at) + make_interval(secs => $2::double precision / 1000)
          AND a.ended_at >= r.started_at - make_interval(secs => $2::double precision / 1000)
        WHERE r.id = $1 AND r.status <> 'deleted'
     )
     SELECT DISTINCT c.id AS "caseId", c.case_no AS "caseNo"
       FROM a
       JOIN activity_officers ao ON ao.activity_id = a.id AND ao.officer_id = a.officer_id
       JOIN cases c ON c.id = a.case_id`,
    [recordingId, bufferMs],
  );
  return rows;
}

/**
 * Brings a recording's auto-links in line with the activities it matches: new matches are linked (unless
 * unlinked by hand), auto-links it no longer matches are removed; manual links are never touched. Each
 * change is a custody event by `system`. Returns what changed.
 */
export async function relinkRecording(client: Client, recordingId: string, settings: LinkSettings): Promise<{ linked: string[]; unlinked: string[] }> {
  const { rows: rec } = await client.query<{ status: string }>('SELECT status FROM recordings WHERE id = $1 FOR UPDATE', [recordingId]);
  // A tombstone keeps the links it had when its bytes went: the case file still says what was in it.
  if (!rec[0] || rec[0].status === 'deleted') return { linked: [], unlinked: [] };
  const matches = await matchingCases(client, recordingId, settings.bufferMs);
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
  // Its links, or the status of its cases (a case closed or reopened), decide how long it is kept.
  await recomputeRetention(client, [recordingId], settings.retention, 'system', 'its links or cases changed');
  return { linked, unlinked };
}

/**
 * The footage a case's activities may concern, and all footage linked to it now (manual links too: a case
 * closing re-dates them): each is re-evaluated in a transaction of its own.
 */
export async function relinkCase(pool: Pool, caseId: number, settings: LinkSettings): Promise<{ recordings: number; linked: number; unlinked: number }> {
  const { rows } = await pool.query<{ id: string }>(
    `SELECT DISTINCT r.id
       FROM case_activities a
       JOIN activity_officers ao ON ao.activity_id = a.id
       JOIN recordings r ON r.officer_id = ao.officer_id
      WHERE a.case_id = $1
        -- For the officer-and-span index (0011): an officer's footage overlapping the window, not all of it before its end.
        AND tstzrange(r.started_at, greatest(r.started_at, r.ended_at), '[]')
            && tstzrange(a.started_at - make_interval(secs => greatest($2::double precision, 0) / 1000),
                         a.ended_at + make_interval(secs => greatest($2::double precision, 0) / 1000), '[]')
        AND r.started_at <= a.ended_at + make_interval(secs => $2::double precision / 1000)
        AND coalesce(r.ended_at, r.started_at) >= a.started_at - make_interval(secs => $2::double precision / 1000)
     UNION
     SELECT recording_id FROM case_links WHERE case_id = $1`,
    [caseId, settings.bufferMs],
  );
  let linked = 0;
  let unlinked = 0;
  for (const { id } of rows) {
    const r = await inTransaction(pool, (c) => relinkRecording(c, id, settings));
    linked += r.linked.length;
    unlinked += r.unlinked.length;
  }
  return { recordings: rows.length, linked, unlinked };
}
