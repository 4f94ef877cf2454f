import type { Db } from '../db/pool';
import type { Role } from '../auth/roles';
import { iso } from '../time';
import { decodeCursor, encodeCursor, pageOf, type Page } from '../paging';
import { inScopeSql, scopeParams, type ListScope } from './list';
import { RECORDING_STATUSES } from './read';

// A docking is what one account uploaded for one docking of recorders: the recordings that share the uploader
// and `dockedAt` (a station's when the recorder was connected; for others the upload time of the request).

export interface DockingFilter {
  badgeNo?: string;
  /** Dockings at or after `from` and before `to`. */
  from?: Date;
  to?: Date;
  limit: number;
  cursor?: string;
}

export interface Docking {
  dockedAt: string;
  /** The account that uploaded: a docking station's, or an officer's or admin's uploading by hand. */
  station: string;
  stationRole: Role;
  badgeNos: string[];
  files: number;
  bytes: number;
  firstIngestedAt: string;
  lastIngestedAt: string;
  statuses: Record<(typeof RECORDING_STATUSES)[number], number>;
}

/**
 * Dockings newest first, made of the recordings the caller may see (and of `badgeNo`'s, when given): the counts
 * are over those files only. The cursor is the last docking's (dockedAt, uploader).
 */
export async function listDockings(db: Db, filter: DockingFilter, scope: ListScope): Promise<Page<Docking>> {
  const [afterAt, afterUser] = filter.cursor ? decodeCursor(filter.cursor, /^\d{1,18}$/) : [null, null];
  const { rows } = await db.query(
    `SELECT r.docked_at AS "dockedAt", r.uploaded_by AS "uploaderId", u.username AS station, u.role AS "stationRole",
            array_agg(DISTINCT o.badge_no ORDER BY o.badge_no) AS "badgeNos", count(*)::int AS files, sum(r.size) AS bytes,
            min(r.ingested_at) AS "firstIngestedAt", max(r.ingested_at) AS "lastIngestedAt", array_agg(r.status) AS statuses
       FROM recordings r
       JOIN users u ON u.id = r.uploaded_by
       JOIN officers o ON o.id = r.officer_id
       LEFT JOIN officer_units ou ON ou.officer_id = r.officer_id AND ou.valid @> r.started_at
      WHERE ($1::text IS NULL OR o.badge_no = $1)
        AND ($2::timestamptz IS NULL OR r.docked_at >= $2)
        AND ($3::timestamptz IS NULL OR r.docked_at < $3)
        AND ${inScopeSql('$4', '$5')}
        AND ($6::timestamptz IS NULL OR (r.docked_at, r.uploaded_by) < ($6, $7::bigint))
      GROUP BY r.docked_at, r.uploaded_by, u.username, u.role
      ORDER BY r.docked_at DESC, r.uploaded_by DESC
      LIMIT $8`,
    [filter.badgeNo ?? null, filter.from ?? null, filter.to ?? null, ...scopeParams(scope), afterAt, afterUser, filter.limit + 1],
  );
  return pageOf(
    rows,
    filter.limit,
    ({ uploaderId: _u, statuses, ...d }) => ({
      ...d,
      dockedAt: iso(d.dockedAt)!,
      bytes: Number(d.bytes),
      firstIngestedAt: iso(d.firstIngestedAt)!,
      lastIngestedAt: iso(d.lastIngestedAt)!,
      statuses: Object.fromEntries(RECORDING_STATUSES.map((s) => [s, statuses.filter((x: string) => x === s).length])) as Docking['statuses'],
    }),
    (last) => encodeCursor(last.dockedAt, last.uploaderId),
  );
}
