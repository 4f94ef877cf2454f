import type { Db } from '../db/pool';
import { decodeCursor, encodeCursor, pageOf, type Page } from '../paging';
import type { AuditResult } from './audit';

// The integrity dashboard (GET /api/integrity): the last run, the recordings whose latest check failed (the
// alert: they stay listed until a later check passes), and how much of the catalog the cycle has covered.

export interface IntegrityFailureItem {
  recordingId: string;
  filename: string;
  result: Exclude<AuditResult, 'ok'>;
  checkedAt: Date;
  /** The SHA-256 and size the catalog recorded at ingest. */
  expected: string;
  expectedSize: number;
  /** What the store held instead (absent when the object is missing). */
  actual?: string;
  actualSize?: number;
}

export interface IntegrityDashboard {
  lastRun: { at: Date; startedAt: Date; planned: number; checked: number; ok: number; mismatch: number; missing: number; error: string | null } | null;
  /** How many recordings' latest check failed: the alert is up while this is above 0. */
  failureCount: number;
  /** The first of them, newest failure first; `nextCursor` pages on. */
  failures: IntegrityFailureItem[];
  nextCursor: string | null;
  cycleDays: number;
  /** Stored originals (`total`) and how many of them were checked within the last `cycleDays` (`audited`), as the last run counted them. */
  coverage: { audited: number; total: number };
}

interface FailureRow {
  audit_id: number;
  recording_id: string;
  filename: string;
  result: Exclude<AuditResult, 'ok'>;
  checked_at: Date;
  sha256: string;
  size: number;
  actual_sha256: string | null;
  actual_size: number | null;
}

const AUDIT_ID = /^\d{1,18}$/;

// Recordings (not tombstones) whose latest check failed, with that check as `f`. Failed checks are few (a
// partial index holds them), so this starts from them and looks up each one's latest check.
const LATEST_FAILED = `
  FROM (SELECT DISTINCT recording_id FROM integrity_audits WHERE result <> 'ok') c
  JOIN LATERAL (SELECT a.id, a.result, a.checked_at, a.actual_sha256, a.actual_size FROM integrity_audits a
                 WHERE a.recording_id = c.recording_id ORDER BY a.checked_at DESC, a.id DESC LIMIT 1) f ON f.result <> 'ok'
  JOIN recordings r ON r.id = c.recording_id AND r.status <> 'deleted'`;

/**
 * Recordings (not tombstones) whose latest check failed, newest failure first, a page at a time (ordered on
 * the millisecond the cursor can hold, then the audit id).
 */
export async function latestFailures(db: Db, page: { limit: number; cursor?: string }): Promise<Page<IntegrityFailureItem>> {
  const [at, id] = page.cursor ? decodeCursor(page.cursor, AUDIT_ID) : [null, null];
  const { rows } = await db.query<FailureRow>(
    `SELECT f.id AS audit_id, r.id AS recording_id, r.filename, f.result, f.checked_at, r.sha256, r.size, f.actual_sha256, f.actual_size
     ${LATEST_FAILED}
      WHERE $1::timestamptz IS NULL OR (date_trunc('milliseconds', f.checked_at), f.id) < ($1::timestamptz, $2::bigint)
      ORDER BY date_trunc('milliseconds', f.checked_at) DESC, f.id DESC
      LIMIT $3`,
    [at, id, page.limit + 1],
  );
  return pageOf(
    rows,
    page.limit,
    (r) => ({
      recordingId: r.recording_id,
      filename: r.filename,
      result: r.result,
      checkedAt: r.checked_at,
      expected: r.sha256,
      expectedSize: r.size,
      ...(r.result === 'mismatch' ? { actual: r.actual_sha256 ?? undefined, actualSize: r.actual_size ?? undefined } : {}),
    }),
    (r) => encodeCursor(r.checked_at, r.audit_id),
  );
}

export async function integrityDashboard(db: Db, o: { cycleDays: number; limit: number; cursor?: string }): Promise<IntegrityDashboard> {
  const [last, count, failures] = await Promise.all([
    db.query<NonNullable<IntegrityDashboard['lastRun']> & { live: number | null; covered: number | null }>(
      `SELECT finished_at AS at, started_at AS "startedAt", planned, checked, ok, mismatch, missing, error, live, covered
         FROM integrity_runs ORDER BY finished_at DESC, id DESC LIMIT 1`,
    ),
    db.query<{ n: number }>(`SELECT count(*)::int AS n ${LATEST_FAILED}`),
    latestFailures(db, { limit: o.limit, cursor: o.cursor }),
  ]);
  const common = { failureCount: count.rows[0]!.n, failures: failures.items, nextCursor: failures.nextCursor, cycleDays: o.cycleDays };
  const row = last.rows[0];
  if (row) {
    const { live, covered, ...lastRun } = row;
    return { lastRun, ...common, coverage: { audited: covered ?? 0, total: live ?? 0 } };
  }
  // Before the first run nothing is covered.
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM recordings WHERE status <> 'deleted'`);
  return { lastRun: null, ...common, coverage: { audited: 0, total: rows[0]!.n } };
}
