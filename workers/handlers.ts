import type { Job } from 'bullmq';
import type { Context } from '../src/context';
import { JOB_NAMES, type HandledJob, type JobPayloads } from '../src/queue/jobs';
import { ping } from './ping';

export type Handler<K extends HandledJob> = (job: Job<JobPayloads[K]>, ctx: Context) => Promise<unknown>;
export type HandlerMap = { [K in HandledJob]: Handler<K> };

/** One handler per job name: the compiler checks the map, and the worker checks it again at start-up. */
export const handlers: HandlerMap = {
  ping,
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
