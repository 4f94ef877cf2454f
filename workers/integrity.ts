import type { Job } from 'bullmq';
import type { Context } from '../src/context';
import type { JobPayloads } from '../src/queue/jobs';
import { auditRecordings } from '../src/integrity/audit';

/** Recordings checked within this long are not due again: a retry of the day's run goes on where it stopped. */
const RECHECK_AFTER_MS = 12 * 3600_000;

/** The daily integrity audit: INTEGRITY_AUDIT_BATCH originals re-hashed, never audited first. */
export async function integrity(_job: Job<JobPayloads['integrity']>, ctx: Context): Promise<unknown> {
  const report = await auditRecordings(ctx, { limit: ctx.config.integrity.batch, olderThan: new Date(Date.now() - RECHECK_AFTER_MS) });
  // What the queue dashboard shows: the counts and the first failures, not every recording checked.
  return { ...report, failures: report.failures.slice(0, 20) };
}
