import type { Job } from 'bullmq';
import { relinkCase, relinkRecording } from '../src/cases/autolink';
import type { Context } from '../src/context';
import { inTransaction } from '../src/db/pool';
import type { JobPayloads } from '../src/queue/jobs';

const linkSettings = (ctx: Context) => ({ bufferMs: ctx.config.linkBufferMs, retention: ctx.config.retention });

/** Links a recording to the cases it matches (at ingest, and again once its end is known). */
export async function link(job: Job<JobPayloads['link']>, ctx: Context): Promise<unknown> {
  return inTransaction(ctx.pool, (c) => relinkRecording(c, job.data.recordingId, linkSettings(ctx)));
}

/** Re-evaluates a case's footage after its activities changed. */
export async function relink(job: Job<JobPayloads['relink']>, ctx: Context): Promise<unknown> {
  return relinkCase(ctx.pool, job.data.caseId, linkSettings(ctx));
}
