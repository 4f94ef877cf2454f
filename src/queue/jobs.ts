import type { JobsOptions } from 'bullmq';

/**
 * Every background job: its name (also its queue's name) and its payload. A job's id is its stage plus
 * the subject's id, so the same work enqueued twice runs once (DESIGN.md, invariant 4).
 */
export interface JobPayloads {
  /** Proves the path outbox → relay → queue → worker end to end (health tooling and tests). */
  ping: { requestedAt: string; note?: string };
  /** Probe a recording: its media facts, its end time, and which of the stages below it needs. */
  probe: { recordingId: string };
  /** Make the browser-playable copy (remux or transcode) of a recording that is not playable as it is. */
  proxy: { recordingId: string };
  /** The poster frame and the scrubbing sprite sheet (from the proxy, when there is one). */
  thumbnails: { recordingId: string };
  /** Links a recording to the cases whose activities it matches, and removes auto-links it no longer matches. */
  link: { recordingId: string };
  /** Re-evaluates the footage of a case whose activities were created, changed or removed. */
  relink: { caseId: number };
  /** The retention run (daily, by the job scheduler): expired footage deleted, tombstones left. */
  retention: Record<string, never>;
  /** The integrity audit (daily, by the job scheduler): a batch of originals re-hashed from the store. */
  integrity: Record<string, never>;
}

export type JobName = keyof JobPayloads;

/**
 * The jobs this version has handlers for. The relay leaves rows of other jobs in the outbox until a
 * version that handles them runs: work recorded before its handler exists is delayed, never lost.
 */
export const JOB_NAMES = Object.freeze(['ping', 'probe', 'proxy', 'thumbnails', 'link', 'relink', 'retention', 'integrity'] as const satisfies readonly JobName[]);
export type HandledJob = (typeof JOB_NAMES)[number];

// Failed jobs stay for inspection; completed ones are trimmed so Redis does not grow without bound.
const DEFAULTS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
  removeOnFail: { age: 30 * 24 * 3600 },
};

export const JOB_OPTIONS: Record<JobName, JobsOptions> = {
  ping: { ...DEFAULTS, attempts: 1 },
  probe: DEFAULTS,
  proxy: DEFAULTS,
  thumbnails: DEFAULTS,
  link: DEFAULTS,
  relink: DEFAULTS,
  // Tomorrow's run picks up whatever today's left undone.
  retention: { ...DEFAULTS, attempts: 3 },
  // A retry goes on where the failed attempt stopped (what it checked is recorded); tomorrow's run does the rest.
  integrity: { ...DEFAULTS, attempts: 3 },
};

/** BullMQ job ids may not contain ':' (it separates Redis keys). */
export function jobId(stage: JobName, subject: string): string {
  const id = `${stage}-${subject}`;
  if (id.includes(':')) throw new Error(`job id ${id} contains ':'`);
  return id;
}
