import type { Job } from 'bullmq';
import type { Context } from '../src/context';
import type { JobPayloads } from '../src/queue/jobs';
import { runIntegrityAudit } from '../src/integrity/run';

/**
 * The daily integrity audit: this day's share of the originals re-hashed, so that all of them are within
 * INTEGRITY_AUDIT_CYCLE_DAYS (src/integrity/share.ts); a retry of the day's run goes on where it stopped.
 */
export async function integrity(_job: Job<JobPayloads['integrity']>, ctx: Context): Promise<unknown> {
  const { share, counts, ...report } = await runIntegrityAudit(ctx);
  // What the queue dashboard shows: the counts and the first failures, not every recording checked.
  return { ...report, planned: share.limit, live: counts.live, due: counts.due, failures: report.failures.slice(0, 20) };
}
