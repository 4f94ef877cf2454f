import type { Pool } from '../db/pool';
import { auditRecordings, emptyAuditReport, type AuditDeps, type AuditReport } from './audit';
import { auditShare, type Share, type ShareCounts } from './share';

// The daily integrity-audit run: its share of the catalog (share.ts), re-hashed (audit.ts), and the run kept
// in integrity_runs for the dashboard (with the coverage as it ended), a failed run with its error.

/** Recordings audited within this long count as the day's work done: a re-run the same day does not redo it. */
export const RUN_WINDOW_MS = 12 * 3600_000;

export interface RunDeps extends AuditDeps {
  config: { integrity: { cycleDays: number; batch: number } };
}

export interface RunReport extends AuditReport {
  share: Share;
  counts: ShareCounts;
}

const DAY_MS = 24 * 3600_000;

/**
 * The catalog's counts the share is computed from, each recording by its latest check (export checks count).
 * Due are those never checked, those whose latest check failed (checked again at every run until one passes),
 * and those whose cycle ends before the next daily run: last checked more than cycleDays − 12 h ago, so a run
 * a little earlier in the day than the one before does not leave a recording for the day after its cycle.
 * Nothing checked within the run window is due.
 */
async function shareCounts(pool: Pool, now: Date, cycleDays: number): Promise<ShareCounts> {
  const { rows } = await pool.query<ShareCounts>(
    `SELECT count(*)::int AS live,
            count(*) FILTER (WHERE last.checked_at IS NULL OR (last.checked_at < $2 AND (last.checked_at < $1 OR last.result <> 'ok')))::int AS due,
            count(*) FILTER (WHERE last.checked_at >= $2)::int AS "doneInWindow"
       FROM recordings r
       LEFT JOIN LATERAL (SELECT checked_at, result FROM integrity_audits a WHERE a.recording_id = r.id ORDER BY checked_at DESC, id DESC LIMIT 1) last ON true
      WHERE r.status <> 'deleted'`,
    [new Date(now.getTime() - cycleDays * DAY_MS + RUN_WINDOW_MS), new Date(now.getTime() - RUN_WINDOW_MS)],
  );
  return rows[0]!;
}

/** Stored originals, and how many were checked within the cycle (by the audit or an export) as the run ends. */
async function coverage(pool: Pool, cycleDays: number): Promise<{ live: number; covered: number }> {
  const { rows } = await pool.query<{ live: number; covered: number }>(
    `SELECT count(*)::int AS live,
            count(*) FILTER (WHERE EXISTS (SELECT 1 FROM integrity_audits a WHERE a.recording_id = r.id AND a.checked_at >= $1))::int AS covered
       FROM recordings r WHERE r.status <> 'deleted'`,
    [new Date(Date.now() - cycleDays * DAY_MS)],
  );
  return rows[0]!;
}

async function recordRun(deps: RunDeps, startedAt: Date, planned: number, r: AuditReport, error: string | null): Promise<void> {
  const c = await coverage(deps.pool, deps.config.integrity.cycleDays);
  await deps.pool.query(
    `INSERT INTO integrity_runs (started_at, planned, checked, ok, mismatch, missing, bytes, error, live, covered) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [startedAt, planned, r.checked, r.ok, r.mismatch, r.missing, r.bytes, error, c.live, c.covered],
  );
}

/**
 * One run: re-hashes this run's share (never audited, then failed, then longest unaudited first), warns when
 * INTEGRITY_AUDIT_BATCH is too small for INTEGRITY_AUDIT_CYCLE_DAYS, and records the run. A run the store
 * fails is recorded with its error (and what it did before) and then fails, so the queue retries it.
 */
export async function runIntegrityAudit(deps: RunDeps, now = new Date()): Promise<RunReport> {
  const { cycleDays, batch } = deps.config.integrity;
  const counts = await shareCounts(deps.pool, now, cycleDays);
  const share = auditShare(counts, { cycleDays, batch });
  if (share.capped) {
    deps.logger.warn(
      { ...counts, needed: share.needed, batch, cycleDays },
      `integrity audit: INTEGRITY_AUDIT_BATCH (${batch}) is below this run's share (${share.needed}), so the ` +
        `INTEGRITY_AUDIT_CYCLE_DAYS cycle (${cycleDays} days) cannot be kept: raise INTEGRITY_AUDIT_BATCH or INTEGRITY_AUDIT_CYCLE_DAYS`,
    );
  }
  deps.logger.info({ ...counts, perRun: share.perRun, limit: share.limit, cycleDays }, 'integrity audit: this run\'s share');
  const report = await auditAndRecord(deps, now, { limit: share.limit, olderThan: new Date(now.getTime() - RUN_WINDOW_MS) });
  return { ...report, share, counts };
}

/**
 * A run the operator asks for (`npm run cli -- integrity audit --all | --limit N`), outside the daily share:
 * every stored original, or the `limit` longest unaudited (never audited first), re-hashed now even if checked
 * within the run window. A restore check needs all of them. Recorded as a run like the daily one.
 */
export async function runIntegrityAuditNow(deps: RunDeps, o: { limit?: number }, now = new Date()): Promise<AuditReport & { planned: number; live: number }> {
  const { live } = await shareCounts(deps.pool, now, deps.config.integrity.cycleDays);
  const planned = Math.min(o.limit ?? live, live);
  return { ...(await auditAndRecord(deps, now, { limit: planned, olderThan: now })), planned, live };
}

/** Re-hashes what was planned and records the run; a run the store fails is recorded with its error, then fails. */
async function auditAndRecord(deps: RunDeps, now: Date, plan: { limit: number; olderThan: Date }): Promise<AuditReport> {
  const report = emptyAuditReport();
  try {
    if (plan.limit > 0) await auditRecordings(deps, plan, report);
  } catch (err) {
    await recordRun(deps, now, plan.limit, report, err instanceof Error ? err.message : String(err)).catch((e: unknown) =>
      deps.logger.error({ err: e }, 'could not record the failed integrity audit run'),
    );
    throw err;
  }
  await recordRun(deps, now, plan.limit, report, null);
  if (report.failures.length) {
    // The summary of the run's lines above (each failure has its own): the first ids, however many failed.
    const recordingIds = report.failures.slice(0, 20).map((f) => f.recordingId);
    deps.logger.error({ mismatch: report.mismatch, missing: report.missing, recordingIds }, 'integrity audit: originals failed their check');
  }
  return report;
}
