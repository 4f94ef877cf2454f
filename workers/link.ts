import type { Job } from 'bullmq';
import { relinkCase, relinkRecording } from '../src/cases/autolink';
import type { Context } from '../src/context';
import { inTransaction } from '../src/db/pool';
import type { JobPayloads } from '../src/queue/jobs';

/** Links a recording to the cases it matches (at ingest, and again once its end is known). */
export async function link(job: Job<JobPayloads['link']>, ctx: Context): Promise<unknown> {
  return inTransaction(ctx.pool, (c) => relinkRecording(c, job.data.recordingId, ctx.config.linkBufferMs));
}

/** Re-evaluates a case's footage after its activities changed. */
export async function relink(job: Job<JobPayloads['relink']>, ctx: Context): Promise<unknown> {
  return relinkCase(ctx.pool, job.data.caseId, ctx.config.linkBufferMs);
}
