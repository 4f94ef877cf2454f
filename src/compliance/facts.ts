import type { Db } from '../db/pool';
import type { ActivityFacts, FootageFacts, OfficerFacts } from './types';

// What the rules read (src/compliance/rules.ts), loaded for a whole set of activities in three statements:
// the activities, their officers, and every officer's footage F(A, O) with what the rules need of it.

type ActivityRow = Omit<ActivityFacts, 'officers'>;

interface FootageRow extends FootageFacts {
  activityId: number;
  officerId: number;
  unlinkedBy: string | null;
  unlinkReason: string | null;
  auditResult: 'ok' | 'mismatch' | 'missing' | null;
  auditAt: Date | null;
}

// A recording's span [started_at, ended_at], a point at its start while the end is unknown, overlaps the
// activity's window widened by the buffer ($2, ms): the matching of src/cases/autolink.ts. The && lets the
// span indexes (0011 by officer, 0013 by recorder) narrow the rows down (greatest() keeps the ranges valid);
// the two conditions after it decide.
const OVERLAPS = `tstzrange(r.started_at, greatest(r.started_at, r.ended_at), '[]')
        && tstzrange(p.started_at - make_interval(secs => greatest($2::double precision, 0) / 1000),
                     p.ended_at + make_interval(secs => greatest($2::double precision, 0) / 1000), '[]')
    AND r.started_at <= p.ended_at + make_interval(secs => $2::double precision / 1000)
    AND coalesce(r.ended_at, r.started_at) >= p.started_at - make_interval(secs => $2::double precision / 1000)`;

/**
 * F(A, O) for every officer of every activity in $1: recordings under O's badge, or made on a recorder
 * assigned to O at the recording's start, whose span overlaps [A.start − buffer, A.end + buffer]. Deleted
 * recordings are included (they existed; R5 judges them). With each: the assignee of its recorder at its
 * start, its link to or unlink from A's case, and its latest integrity audit.
 */
const FOOTAGE = `
  WITH p AS MATERIALIZED (
    SELECT a.id AS activity_id, a.case_id, ao.officer_id, a.started_at, a.ended_at
      FROM case_activities a JOIN activity_officers ao ON ao.activity_id = a.id
     WHERE a.id = ANY($1::bigint[])
  ), pa AS MATERIALIZED (
    -- The recorders assigned to O at some time up to the window's end, each probed in the span index by
    -- recorder (materialized: left to itself, the planner underestimates valid @> started_at and hashes
    -- every recording in the catalog instead).
    SELECT p.*, ra.recorder_id, ra.valid
      FROM p JOIN recorder_assignments ra ON ra.officer_id = p.officer_id
     WHERE lower_inf(ra.valid) OR lower(ra.valid) <= p.ended_at + make_interval(secs => $2::double precision / 1000)
  ), m AS (
    SELECT p.activity_id, p.case_id, p.officer_id, r.id AS recording_id
      FROM p JOIN recordings r ON r.officer_id = p.officer_id AND ${OVERLAPS}
    UNION
    SELECT p.activity_id, p.case_id, p.officer_id, r.id
      FROM pa p JOIN recordings r ON r.recorder_id = p.recorder_id AND ${OVERLAPS}
     WHERE p.valid @> r.started_at
  )
  SELECT m.activity_id AS "activityId", m.officer_id AS "officerId",
         r.id AS "recordingId", r.filename, r.recorder_id AS "recorderId", rc.serial AS "recorderSerial",
         r.started_at AS "startedAt", r.ended_at AS "endedAt", r.docked_at AS "dockedAt", r.seq, r.status,
         assignee.badge_no AS "recorderAssignedTo",
         l.case_id IS NOT NULL AS "linkedToCase",
         u.unlinked_by AS "unlinkedBy", u.reason AS "unlinkReason",
         audit.result AS "auditResult", audit.checked_at AS "auditAt"
    FROM m
    JOIN recordings r ON r.id = m.recording_id
    JOIN recorders rc ON rc.id = r.recorder_id
    LEFT JOIN LATERAL (
      SELECT o.badge_no FROM recorder_assignments ra JOIN officers o ON o.id = ra.officer_id
       WHERE ra.recorder_id = r.recorder_id AND ra.valid @> r.started_at
    ) assignee ON true
    LEFT JOIN case_links l ON l.case_id = m.case_id AND l.recording_id = r.id
    LEFT JOIN case_unlinks u ON u.case_id = m.case_id AND u.recording_id = r.id
    LEFT JOIN LATERAL (
      SELECT ia.result, ia.checked_at FROM integrity_audits ia WHERE ia.recording_id = r.id ORDER BY ia.checked_at DESC, ia.id DESC LIMIT 1
    ) audit ON true`;

/**
 * The facts of the activities `activityIds`, in that order (an id with no activity, gone since it was drawn,
 * is left out), each officer's footage F(A, O) ordered by start. `bufferMs`: the regulation's footage buffer.
 */
export async function loadActivityFacts(db: Db, activityIds: number[], bufferMs: number): Promise<ActivityFacts[]> {
  if (!activityIds.length) return [];
  const ids = [...new Set(activityIds)];
  const { rows: activities } = await db.query<ActivityRow>(
    `SELECT a.id AS "activityId", a.case_id AS "caseId", c.case_no AS "caseNo", a.key AS "activityKey", a.type,
            c.unit_id AS "unitId", u.code AS "unitCode", a.started_at AS "startedAt", a.ended_at AS "endedAt"
       FROM case_activities a JOIN cases c ON c.id = a.case_id JOIN units u ON u.id = c.unit_id
      WHERE a.id = ANY($1::bigint[])`,
    [ids],
  );
  const { rows: officers } = await db.query<OfficerFacts & { activityId: number }>(
    `SELECT ao.activity_id AS "activityId", o.id AS "officerId", o.badge_no AS "badgeNo", o.name
       FROM activity_officers ao JOIN officers o ON o.id = ao.officer_id
      WHERE ao.activity_id = ANY($1::bigint[])
      ORDER BY ao.activity_id, o.badge_no`,
    [ids],
  );
  const { rows: footage } = await db.query<FootageRow>(FOOTAGE, [ids, bufferMs]);
  // In start order (sorted here: the database would spill a sort of this size to disk).
  footage.sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime() || (a.recordingId < b.recordingId ? -1 : a.recordingId > b.recordingId ? 1 : 0));

  const key = (activityId: number, officerId: number) => `${activityId}/${officerId}`;
  const byPair = new Map<string, FootageFacts[]>();
  for (const { activityId, officerId, unlinkedBy, unlinkReason, auditResult, auditAt, ...f } of footage) {
    const list = byPair.get(key(activityId, officerId)) ?? [];
    list.push({
      ...f,
      unlinkedByHand: unlinkedBy === null ? null : { by: unlinkedBy, reason: unlinkReason ?? '' },
      audit: auditResult === null ? null : { result: auditResult, checkedAt: auditAt! },
    });
    byPair.set(key(activityId, officerId), list);
  }
  const byActivity = new Map<number, ActivityFacts>(activities.map((a) => [a.activityId, { ...a, officers: [] }]));
  for (const { activityId, ...o } of officers) {
    byActivity.get(activityId)?.officers.push({ ...o, footage: byPair.get(key(activityId, o.officerId)) ?? [] });
  }
  return activityIds.flatMap((id) => byActivity.get(id) ?? []);
}

/** An activity of the spot-check population. */
export interface PopulationActivity {
  activityId: number;
  caseNo: string;
  activityKey: string;
  unitCode: string;
}

/**
 * The spot-check population (REGULATION.md, Spot checks): every activity whose case belongs to a unit in
 * scope (`unitCodes`; null: every unit) and whose start falls in [from, to). Ordered by unit, case and key.
 */
export async function activitiesInPeriod(db: Db, scope: { from: Date; to: Date; unitCodes: string[] | null }): Promise<PopulationActivity[]> {
  const { rows } = await db.query<PopulationActivity>(
    `SELECT a.id AS "activityId", c.case_no AS "caseNo", a.key AS "activityKey", u.code AS "unitCode"
       FROM case_activities a JOIN cases c ON c.id = a.case_id JOIN units u ON u.id = c.unit_id
      WHERE a.started_at >= $1 AND a.started_at < $2 AND ($3::text[] IS NULL OR u.code = ANY($3::text[]))
      ORDER BY u.code, c.case_no, a.key`,
    [scope.from, scope.to, scope.unitCodes],
  );
  return rows;
}
