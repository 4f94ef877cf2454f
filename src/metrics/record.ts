import type { Job } from 'bullmq';
import type { Pool } from '../db/pool';
import { ingestedBytes, ingestedFiles, jobDuration, jobFailures, mediaRealtime, retentionDeleted, retentionPurged, retentionPurgeErrors, uploadErrors } from './instruments';

// What the rest of the code calls to update a figure: one function per kind of event, so the instruments'
// names and labels stay in this folder.

export type UploadMethod = 'multipart' | 'tus';

/** Files recorded by one ingest, new or duplicate. */
export function countIngested(method: UploadMethod, recordings: { size: number | string; duplicate: boolean }[]): void {
  for (const r of recordings) {
    const outcome = r.duplicate ? 'duplicate' : 'new';
    ingestedFiles.inc({ method, outcome });
    ingestedBytes.inc({ method, outcome }, Number(r.size));
  }
}

/** Which upload route a request went to, or null for any other route. */
export function uploadRouteOf(method: string, url: string): UploadMethod | null {
  const path = url.split('?', 1)[0]!;
  if (method === 'POST' && (path === '/api/recordings' || path === '/api/recordings/')) return 'multipart';
  if (path === '/api/uploads' || path.startsWith('/api/uploads/')) return method === 'OPTIONS' ? null : 'tus';
  return null;
}

/** A problem answered to a request: counted when the request was an upload. */
export function countProblem(req: { method: string; originalUrl?: string; url: string } | undefined, status: number, code: string): void {
  if (!req) return;
  const method = uploadRouteOf(req.method, req.originalUrl ?? req.url);
  if (method) uploadErrors.inc({ method, status: String(status), code });
}

/** One retention run's outcome (not a dry run's). */
export function countRetention(report: { due: unknown[]; purged: number; purgeErrors: number }): void {
  retentionDeleted.inc(report.due.length);
  retentionPurged.inc(report.purged);
  retentionPurgeErrors.inc(report.purgeErrors);
}

export function countJobFailure(job: string, final: boolean): void {
  jobFailures.inc({ job, final: String(final) });
}

const MEDIA_STAGES = new Set(['probe', 'proxy', 'thumbnails']);

type Processor = (job: Job, token?: string, signal?: AbortSignal) => Promise<unknown>;

/**
 * A BullMQ processor that also times each run of the job, and for a media stage that did its work, how many
 * seconds of footage it got through per second. The wrapper declares three parameters, as the processor
 * it wraps does: BullMQ passes the cancellation signal only to processors that declare it.
 */
export function timedProcessor(name: string, processor: Processor, pool: Pool): Processor {
  return async (job: Job, token?: string, signal?: AbortSignal) => {
    const end = jobDuration.startTimer({ job: name });
    const started = performance.now();
    let result: unknown;
    try {
      result = await processor(job, token, signal);
    } catch (err) {
      end({ outcome: (err as Error)?.name === 'WaitingError' ? 'handed_back' : 'failed' });
      throw err;
    }
    end({ outcome: 'completed' });
    const wallS = (performance.now() - started) / 1000;
    if (MEDIA_STAGES.has(name) && !isSkipped(result)) {
      // One primary-key read per media job; a failure here must not fail the job.
      void mediaSecondsOf(pool, job).then(
        (mediaS) => {
          if (mediaS && wallS > 0) mediaRealtime.observe({ stage: name }, mediaS / wallS);
        },
        () => undefined,
      );
    }
    return result;
  };
}

const isSkipped = (result: unknown) => typeof result === 'object' && result !== null && 'skipped' in result;

async function mediaSecondsOf(pool: Pool, job: Job): Promise<number | null> {
  const id = (job.data as { recordingId?: unknown })?.recordingId;
  if (typeof id !== 'string') return null;
  const { rows } = await pool.query<{ duration_s: number | null }>('SELECT duration_s FROM recordings WHERE id = $1', [id]);
  return rows[0]?.duration_s ?? null;
}
