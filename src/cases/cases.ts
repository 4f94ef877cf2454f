import type { Client, Db } from '../db/pool';
import { unprocessable } from '../errors';
import { unitIdOf } from '../directory/units';
import { iso } from '../time';
import { linkedRecordings, type LinkedRecording } from './links';
import type { Note } from '../retention/marks';

export const CASE_KINDS = ['penalty', 'inspection', 'compulsory', 'other'] as const;
export const CASE_STATUSES = ['open', 'closed'] as const;
export const ACTIVITY_TYPES = [
  'inspection', 'questioning', 'on_the_spot_penalty', 'sampling', 'preservation', 'seizure', 'execution', 'service', 'hearing', 'other',
] as const;

export interface ActivityInput {
  key: string;
  type: (typeof ACTIVITY_TYPES)[number];
  badgeNos: string[];
  startedAt: Date;
  endedAt: Date;
  location?: string;
}

export interface CaseInput {
  title?: string;
  kind: (typeof CASE_KINDS)[number];
  status: (typeof CASE_STATUSES)[number];
  unitCode: string;
  activities: ActivityInput[];
}

export interface Warning {
  field: string;
  code: string;
  detail: string;
}

/**
 * Creates or replaces a case with its activities, in the caller's transaction. The body is the whole case:
 * activities missing from it are removed. Refuses unknown units and officers, a duplicate activity key and
 * an activity that ends before it starts (422, naming the field); fewer than two officers is a warning only
 * (the law asks for two: compliance reports it, the import does not refuse it).
 */
export async function upsertCase(
  client: Client,
  caseNo: string,
  input: CaseInput,
  // The CSV import adds and changes activities row by row, and removes none.
  options: { keepOtherActivities?: boolean } = {},
): Promise<{ created: boolean; caseId: number; warnings: Warning[] }> {
  const warnings: Warning[] = [];
  const unitId = await unitIdOf(client, input.unitCode);
  const keys = new Set<string>();
  const officers: number[][] = [];
  for (const [i, a] of input.activities.entries()) {
    const field = `activities.${i}`;
    if (keys.has(a.key)) throw unprocessable('duplicate_activity', `activity key ${a.key} appears twice`, `${field}.key`);
    keys.add(a.key);
    if (a.endedAt < a.startedAt) throw unprocessable('invalid_period', `activity ${a.key} ends before it starts`, `${field}.endedAt`);
    const badges = [...new Set(a.badgeNos)];
    const { rows } = await client.query<{ id: number; badge_no: string }>('SELECT id, badge_no FROM officers WHERE badge_no = ANY($1)', [badges]);
    const unknown = badges.find((b) => !rows.some((r) => r.badge_no === b));
    if (unknown) throw unprocessable('unknown_officer', `no officer with badge number ${unknown}`, `${field}.badgeNos`);
    if (badges.length < 2) warnings.push({ field: `${field}.badgeNos`, code: 'single_officer', detail: `activity ${a.key} has ${badges.length} officer(s); the law asks for two` });
    officers.push(rows.map((r) => r.id));
  }
  const { rows } = await client.query<{ id: number; created: boolean }>(
    `INSERT INTO cases (case_no, title, kind, status, unit_id, closed_at)
     VALUES ($1, $2, $3, $4, $5, CASE WHEN $4 = 'closed' THEN now() END)
     ON CONFLICT (case_no) DO UPDATE
       SET title = EXCLUDED.title, kind = EXCLUDED.kind, status = EXCLUDED.status, unit_id = EXCLUDED.unit_id, updated_at = now(),
           closed_at = CASE WHEN EXCLUDED.status = 'closed' THEN COALESCE(cases.closed_at, now()) END
     RETURNING id, (xmax = 0) AS created`,
    [caseNo, input.title ?? null, input.kind, input.status, unitId],
  );
  const caseId = rows[0]!.id;
  if (!options.keepOtherActivities) await client.query('DELETE FROM case_activities WHERE case_id = $1 AND NOT (key = ANY($2))', [caseId, [...keys]]);
  for (const [i, a] of input.activities.entries()) {
    const { rows: act } = await client.query<{ id: number }>(
      `INSERT INTO case_activities (case_id, key, type, started_at, ended_at, location) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (case_id, key) DO UPDATE SET type = EXCLUDED.type, started_at = EXCLUDED.started_at, ended_at = EXCLUDED.ended_at, location = EXCLUDED.location
       RETURNING id`,
      [caseId, a.key, a.type, a.startedAt, a.endedAt, a.location ?? null],
    );
    const activityId = act[0]!.id;
    await client.query('DELETE FROM activity_officers WHERE activity_id = $1 AND NOT (officer_id = ANY($2))', [activityId, officers[i]]);
    await client.query(
      'INSERT INTO activity_officers (activity_id, officer_id) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING',
      [activityId, officers[i]],
    );
  }
  return { created: rows[0]!.created, caseId, warnings };
}

export interface CaseDetail {
  caseNo: string;
  title: string | null;
  kind: string;
  status: string;
  unitCode: string;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  /** A legal hold on the case: none of its footage is deleted while it is on. */
  hold: Note | null;
  activities: { key: string; type: string; badgeNos: string[]; startedAt: string; endedAt: string; location: string | null }[];
  /** Linked footage on one timeline across officers. */
  recordings: LinkedRecording[];
}

export async function getCase(db: Db, caseNo: string): Promise<(CaseDetail & { id: number; unitId: number }) | null> {
  const { rows } = await db.query(
    `SELECT c.id, c.case_no, c.title, c.kind, c.status, c.unit_id, u.code AS unit_code, c.created_at, c.updated_at, c.closed_at, c.hold
       FROM cases c JOIN units u ON u.id = c.unit_id WHERE c.case_no = $1`,
    [caseNo],
  );
  const c = rows[0];
  if (!c) return null;
  const { rows: acts } = await db.query(
    `SELECT a.key, a.type, a.started_at, a.ended_at, a.location,
            coalesce(array_agg(o.badge_no ORDER BY o.badge_no) FILTER (WHERE o.badge_no IS NOT NULL), '{}') AS badge_nos
       FROM case_activities a
       LEFT JOIN activity_officers ao ON ao.activity_id = a.id
       LEFT JOIN officers o ON o.id = ao.officer_id
      WHERE a.case_id = $1
      GROUP BY a.id ORDER BY a.started_at, a.key`,
    [c.id],
  );
  return {
    id: c.id,
    caseNo: c.case_no,
    title: c.title,
    kind: c.kind,
    status: c.status,
    unitCode: c.unit_code,
    unitId: c.unit_id,
    createdAt: iso(c.created_at)!,
    updatedAt: iso(c.updated_at)!,
    closedAt: iso(c.closed_at),
    hold: c.hold,
    activities: acts.map((a) => ({
      key: a.key,
      type: a.type,
      badgeNos: a.badge_nos,
      startedAt: iso(a.started_at)!,
      endedAt: iso(a.ended_at)!,
      location: a.location,
    })),
    recordings: await linkedRecordings(db, c.id),
  };
}
