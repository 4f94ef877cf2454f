import type { Job } from 'bullmq';
import type { Context } from '../src/context';
import { JOB_NAMES, type HandledJob, type JobPayloads } from '../src/queue/jobs';
import { completeStage, markUnplayable } from '../src/recordings/processing';
import type { JobRun } from './media-job';
import { link, relink } from './link';
import { integrity } from './integrity';
import { ping } from './ping';
import { retention } from './retention';
import { probe } from './probe';
import { proxy } from './proxy';
import { thumbnails } from './thumbnails';

export type Handler<K extends HandledJob> = (job: Job<JobPayloads[K]>, ctx: Context, run: JobRun) => Promise<unknown>;
export type HandlerMap = { [K in HandledJob]: Handler<K> };

/** One handler per job name: the compiler checks the map, and the worker checks it again at start-up. */
export const handlers: HandlerMap = {
  ping,
  probe,
  proxy,
  thumbnails,
  link,
  relink,
  retention,
  integrity,
};

/**
 * What happens when a job has failed for the last time (its attempts spent on transient errors such as a
 * timeout). Handlers that decide a failure is final themselves (UnrecoverableError) have recorded it already.
 */
export type FailureMap = { [K in HandledJob]?: (job: Job<JobPayloads[K]>, err: Error, ctx: Context) => Promise<void> };

const gaveUp = (job: Job, err: Error) => `processing failed after ${job.attemptsMade} attempts: ${err.message}; an admin can re-process it`;

export const onFinalFailure: FailureMap = {
  probe: async (job, err, ctx) => void (await markUnplayable(ctx.pool, job.data.recordingId, gaveUp(job, err))),
  proxy: async (job, err, ctx) => void (await markUnplayable(ctx.pool, job.data.recordingId, gaveUp(job, err))),
  // Without thumbnails a recording still plays: it becomes ready and says why it has none.
  thumbnails: async (job, err, ctx) =>
    void (await completeStage(ctx.pool, job.data.recordingId, 'thumbnails', { poster: null, sprite: null, error: gaveUp(job, err) })),
};

/**
 * Refuses a map that misses a job name or names a job that does not exist: a job with no handler would
 * wait in its queue forever, silently.
 */
export function assertHandlerMap(map: Record<string, unknown>, names: readonly string[] = JOB_NAMES): void {
  const missing = names.filter((n) => typeof map[n] !== 'function');
  const unknown = Object.keys(map).filter((k) => !names.includes(k));
  if (missing.length || unknown.length) {
    throw new Error(
      [missing.length ? `no handler for job ${missing.join(', ')}` : '', unknown.length ? `handler for unknown job ${unknown.join(', ')}` : '']
        .filter(Boolean)
        .join('; '),
    );
  }
}
