import type { Db } from '../db/pool';
import { iso } from '../time';
import { UUID } from '../directory/identifiers';
import { decodeCursor, encodeCursor, pageOf, type Page } from '../paging';
import { playbackOf, type RecordingDetail } from './read';

export interface RecordingFilter {
  badgeNo?: string;
  recorderSerial?: string;
  unitCode?: string;
  caseNo?: string;
  status?: string;
  /** Recordings that started at or after `from` and before `to`. */
  from?: Date;
  to?: Date;
  limit: number;
  cursor?: string;
}

/** Who is asking: their unit (the officer's unit when a recording began), their own footage, or all. */
export type ListScope = { unitId: number } | { officerId: number } | null;

/** A scope as two query parameters, unit id and officer id, for inScopeSql. */
export const scopeParams = (scope: ListScope): [number | null, number | null] => [
  scope && 'unitId' in scope ? scope.unitId : null,
  scope && 'officerId' in scope ? scope.officerId : null,
];

/** SQL: recording `r`, with `ou` its officer's unit when it began, is in the scope given as parameters `unit` and `officer`. */
export const inScopeSql = (unit: string, officer: string) =>
  `(${unit}::bigint IS NULL OR ou.unit_id = ${unit}) AND (${officer}::bigint IS NULL OR r.officer_id = ${officer})`;

export type RecordingSummary = Pick<
  RecordingDetail,
  | 'id' | 'sha256' | 'size' | 'filename' | 'recorderSerial' | 'badgeNo' | 'unitCode' | 'startedAt' | 'endedAt' | 'durationS' | 'dockedAt'
  | 'status' | 'progress' | 'playback' | 'important' | 'retainUntil'
> & {
  /** The cases it is linked to (all of them, as the recording's page lists them). */
  caseNos: string[];
};

// Newest first; the cursor is the last row's (startedAt, id), so paging is stable while footage arrives.
export async function listRecordings(db: Db, filter: RecordingFilter, scope: ListScope): Promise<Page<RecordingSummary>> {
  const [afterAt, afterId] = filter.cursor ? decodeCursor(filter.cursor, UUID) : [null, null];
  const { rows } = await db.query(
    `SELECT r.id, r.sha256, r.size, r.filename, rc.serial AS "recorderSerial", o.badge_no AS "badgeNo", un.code AS "unitCode",
            r.started_at AS "startedAt", r.ended_at AS "endedAt", r.duration_s AS "durationS", r.docked_at AS "dockedAt",
            r.status, r.progress, r.proxy, r.thumbnails, r.important, r.retain_until AS "retainUntil",
            (SELECT coalesce(array_agg(c.case_no ORDER BY c.case_no), '{}') FROM case_links l JOIN cases c ON c.id = l.case_id
              WHERE l.recording_id = r.id) AS "caseNos"
       FROM recordings r
       JOIN recorders rc ON rc.id = r.recorder_id
       JOIN officers o ON o.id = r.officer_id
       LEFT JOIN officer_units ou ON ou.officer_id = r.officer_id AND ou.valid @> r.started_at
       LEFT JOIN units un ON un.id = ou.unit_id
      WHERE ($1::text IS NULL OR o.badge_no = $1)
        AND ($2::text IS NULL OR rc.serial = $2)
        AND ($3::text IS NULL OR un.code = $3)
        AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM case_links l JOIN cases c ON c.id = l.case_id WHERE l.recording_id = r.id AND c.case_no = $4))
        AND ($5::text IS NULL OR r.status = $5)
        AND ($6::timestamptz IS NULL OR r.started_at >= $6)
        AND ($7::timestamptz IS NULL OR r.started_at < $7)
        AND ${inScopeSql('$8', '$9')}
        AND ($10::timestamptz IS NULL OR (r.started_at, r.id) < ($10, $11::uuid))
      ORDER BY r.started_at DESC, r.id DESC
      LIMIT $12`,
    [
      filter.badgeNo ?? null, filter.recorderSerial ?? null, filter.unitCode ?? null, filter.caseNo ?? null, filter.status ?? null,
      filter.from ?? null, filter.to ?? null, ...scopeParams(scope), afterAt, afterId, filter.limit + 1,
    ],
  );
  return pageOf(
    rows,
    filter.limit,
    ({ proxy, thumbnails, ...r }) => ({
      ...r,
      size: Number(r.size),
      startedAt: iso(r.startedAt)!,
      endedAt: iso(r.endedAt),
      dockedAt: iso(r.dockedAt)!,
      playback: playbackOf(proxy, thumbnails),
      retainUntil: iso(r.retainUntil),
    }),
    (last) => encodeCursor(last.startedAt, last.id),
  );
}
