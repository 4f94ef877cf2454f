import type { Job } from 'bullmq';
import type { Context } from '../src/context';
import type { JobPayloads } from '../src/queue/jobs';
import { runRetention } from '../src/retention/run';

/** The daily retention run: judged at the moment it runs. */
export async function retention(_job: Job<JobPayloads['retention']>, ctx: Context): Promise<unknown> {
  const report = await runRetention({ ...ctx, policy: ctx.config.retention }, { at: new Date(), dryRun: false });
  // The job's return value is what the queue dashboard shows: the counts, not every deleted file.
  return { at: report.at, deleted: report.due.length, held: report.held, recomputed: report.recomputed, purged: report.purged, purgeErrors: report.purgeErrors };
}
