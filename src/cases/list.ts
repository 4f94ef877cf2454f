import type { Db } from '../db/pool';
import { iso } from '../time';
import { decodeCursor, encodeCursor, pageOf, type Page } from '../paging';
import { inspectedItems } from '../compliance/inspector-access';

export interface CaseFilter {
  /** Part of the case number or of the title, any case. */
  q?: string;
  /** Cases with an activity the officer took part in, or a recording of theirs linked. */
  badgeNo?: string;
  /** Cases with an activity overlapping [from, to). */
  from?: Date;
  to?: Date;
  limit: number;
  cursor?: string;
}

/** Whose list: a unit's reader (and the cases they inspect an item of, as the case page allows), or the bureau (null). */
export interface CaseReader {
  unitId: number | null;
  username: string;
}

export interface CaseSummary {
  caseNo: string;
  title: string | null;
  kind: string;
  status: string;
  unitCode: string;
  activityCount: number;
  recordingCount: number;
  firstActivityAt: string | null;
  /** The latest activity's start: what the list is ordered by. */
  lastActivityAt: string | null;
  /** Whether a legal hold is on the case. */
  hold: boolean;
}

/**
 * Cases in the reader's scope, newest first: by their latest activity's start (cases without activities last),
 * then case number. The cursor is the last row's (lastActivityAt, caseNo).
 */
export async function listCases(db: Db, filter: CaseFilter, reader: CaseReader): Promise<Page<CaseSummary>> {
  const [afterAt, afterNo] = filter.cursor ? decodeCursor(filter.cursor, /^\P{Cc}{1,64}$/u, true) : [null, null];
  // The linked footage is counted for the page's rows only.
  const { rows } = await db.query(
    `SELECT p.*, (SELECT count(*)::int FROM case_links l WHERE l.case_id = p.id) AS "recordingCount"
       FROM (SELECT c.id, c.case_no AS "caseNo", c.title, c.kind, c.status, u.code AS "unitCode", a.n AS "activityCount",
                    a.first AS "firstActivityAt", a.last AS "lastActivityAt", c.hold IS NOT NULL AS hold
               FROM cases c
               JOIN units u ON u.id = c.unit_id
               CROSS JOIN LATERAL (SELECT count(*)::int AS n, min(started_at) AS first, max(started_at) AS last
                                     FROM case_activities WHERE case_id = c.id) a
              WHERE ($1::bigint IS NULL OR c.unit_id = $1 OR EXISTS (${inspectedItems('$2')} AND i.case_no = c.case_no))
                AND ($3::text IS NULL OR strpos(lower(c.case_no), lower($3)) > 0 OR strpos(lower(coalesce(c.title, '')), lower($3)) > 0)
                AND ($4::text IS NULL
                     OR EXISTS (SELECT 1 FROM case_activities ca JOIN activity_officers ao ON ao.activity_id = ca.id JOIN officers o ON o.id = ao.officer_id
                                 WHERE ca.case_id = c.id AND o.badge_no = $4)
                     OR EXISTS (SELECT 1 FROM case_links l JOIN recordings r ON r.id = l.recording_id JOIN officers o ON o.id = r.officer_id
                                 WHERE l.case_id = c.id AND o.badge_no = $4))
                AND (($5::timestamptz IS NULL AND $6::timestamptz IS NULL)
                     OR EXISTS (SELECT 1 FROM case_activities ca
                                 WHERE ca.case_id = c.id AND ($5::timestamptz IS NULL OR ca.ended_at > $5 OR ca.started_at >= $5) AND ($6::timestamptz IS NULL OR ca.started_at < $6)))
                AND ($8::text IS NULL OR (coalesce(a.last, '-infinity'), c.case_no) < (coalesce($7::timestamptz, '-infinity'), $8))
              ORDER BY coalesce(a.last, '-infinity') DESC, c.case_no DESC
              LIMIT $9) p
      ORDER BY coalesce(p."lastActivityAt", '-infinity') DESC, p."caseNo" DESC`,
    [reader.unitId, reader.username, filter.q ?? null, filter.badgeNo ?? null, filter.from ?? null, filter.to ?? null, afterAt, afterNo, filter.limit + 1],
  );
  return pageOf(
    rows,
    filter.limit,
    ({ id: _i, ...r }) => ({ ...r, firstActivityAt: iso(r.firstActivityAt), lastActivityAt: iso(r.lastActivityAt) }),
    (last) => encodeCursor(last.lastActivityAt, last.caseNo),
  );
}
