import type { Db } from '../db/pool';
import { UUID } from '../directory/identifiers';
import { decodeCursor, encodeCursor, pageOf, type Page } from '../paging';
import { iso } from '../time';
import {
  CHECK_SELECT, checkOut, coversSql, readableCheckSql, scopeOf, shownItemSql, summarize,
  type CheckRow, type SpotCheck, type SpotCheckItem, type SpotCheckUser, type Summary,
} from './spot-checks';

// The lists of spot checks and bulletins, newest first, each as its reader may see it: what spotCheckFor and
// the bulletin routes allow one at a time (src/compliance/spot-checks.ts, "Reading").

export interface ListFilter {
  status?: SpotCheck['status'];
  limit: number;
  cursor?: string;
}

export interface BulletinSummary {
  id: string;
  number: string;
  version: number;
  spotCheckId: string;
  locale: string;
  issuedAt: string;
  issuedBy: string;
  replaces: string | null;
  /** Not replaced by a correction. */
  current: boolean;
}

export type SpotCheckSummary = Omit<SpotCheck, 'items' | 'draws' | 'hiddenItems'> & {
  bulletins: Pick<BulletinSummary, 'id' | 'number' | 'version' | 'locale' | 'issuedAt' | 'current'>[];
};

// Ordered by the millisecond the API shows (opened_at is now() to the microsecond), so a cursor written from
// the time shown resumes exactly after its row.
const order = (column: string) => `date_trunc('milliseconds', ${column})`;

const BULLETIN_SELECT = `SELECT b.id, b.number, b.version, b.spot_check_id AS "spotCheckId", b.locale, b.issued_at AS "issuedAt",
    b.issued_by AS "issuedBy", b.replaces, NOT EXISTS (SELECT 1 FROM bulletins n WHERE n.replaces = b.id) AS current
  FROM bulletins b JOIN spot_checks s ON s.id = b.spot_check_id`;

type BulletinRow = Omit<BulletinSummary, 'issuedAt'> & { issuedAt: Date };
const bulletinOut = (b: BulletinRow): BulletinSummary => ({ ...b, issuedAt: iso(b.issuedAt)! });

/**
 * The checks a reader may read, newest first, with their bulletins (those the reader may read). `summary` counts
 * the items shown to this reader, as GET /api/spot-checks/{id} does: for a unit's reader, their unit's items and
 * those assigned to them; for the bureau, every item.
 */
export async function listSpotChecks(db: Db, filter: ListFilter, user: SpotCheckUser): Promise<Page<SpotCheckSummary>> {
  const unit = scopeOf(user);
  const [afterAt, afterId] = filter.cursor ? decodeCursor(filter.cursor, UUID) : [null, null];
  const { rows } = await db.query<CheckRow>(
    `${CHECK_SELECT}
      WHERE ${readableCheckSql('$1', '$2')}
        AND ($3::text IS NULL OR s.status = $3)
        AND ($4::timestamptz IS NULL OR (${order('s.opened_at')}, s.id) < ($4, $5::uuid))
      ORDER BY ${order('s.opened_at')} DESC, s.id DESC
      LIMIT $6`,
    [unit, user.username, filter.status ?? null, afterAt, afterId, filter.limit + 1],
  );
  const ids = rows.slice(0, filter.limit).map((r) => r.id);
  const { rows: items } = await db.query<{ id: string; result: SpotCheckItem['result'] }>(
    `SELECT s.id, i.result FROM spot_check_items i JOIN spot_checks s ON s.id = i.spot_check_id
      WHERE s.id = ANY($1) AND ${shownItemSql('$2', '$3')}`,
    [ids, unit, user.username],
  );
  const bulletins = await bulletinsOfChecks(db, ids, user);
  const summaries = new Map<string, Summary>(ids.map((id) => [id, summarize(items.filter((i) => i.id === id))]));
  return pageOf(
    rows,
    filter.limit,
    (r) => ({
      ...checkOut(r),
      summary: summaries.get(r.id)!,
      bulletins: bulletins
        .filter((b) => b.spotCheckId === r.id)
        .map(({ id, number, version, locale, issuedAt, current }) => ({ id, number, version, locale, issuedAt, current })),
    }),
    (last) => encodeCursor(last.openedAt, last.id),
  );
}

/** The bulletins of these checks the reader may read (those of checks covering their unit), oldest first. */
export async function bulletinsOfChecks(db: Db, checkIds: string[], user: SpotCheckUser): Promise<BulletinSummary[]> {
  const { rows } = await db.query<BulletinRow>(`${BULLETIN_SELECT} WHERE s.id = ANY($1) AND ${coversSql('$2')} ORDER BY b.issued_at, b.id`, [
    checkIds,
    scopeOf(user),
  ]);
  return rows.map(bulletinOut);
}

/** The bulletins a reader may read (those of checks covering their unit), newest first. */
export async function listBulletins(db: Db, filter: Omit<ListFilter, 'status'>, user: SpotCheckUser): Promise<Page<BulletinSummary>> {
  const [afterAt, afterId] = filter.cursor ? decodeCursor(filter.cursor, UUID) : [null, null];
  const { rows } = await db.query<BulletinRow>(
    `${BULLETIN_SELECT}
      WHERE ${coversSql('$1')}
        AND ($2::timestamptz IS NULL OR (${order('b.issued_at')}, b.id) < ($2, $3::uuid))
      ORDER BY ${order('b.issued_at')} DESC, b.id DESC
      LIMIT $4`,
    [scopeOf(user), afterAt, afterId, filter.limit + 1],
  );
  return pageOf(rows, filter.limit, bulletinOut, (last) => encodeCursor(last.issuedAt, last.id));
}
