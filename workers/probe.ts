import type { Job } from 'bullmq';
import type { Context } from '../src/context';
import { runFfprobe } from '../src/media/ffmpeg';
import { proxyPlan } from '../src/media/plan';
import { parseProbe, type MediaInfo } from '../src/media/probe';
import type { JobPayloads } from '../src/queue/jobs';
import { loadForProcessing, markProcessing, saveProbe, type Stage } from '../src/recordings/processing';
import { giveUpAsUnplayable, handBackIfCancelled, isInputProblem, removeDerived, timeoutFor, type JobRun } from './media-job';

/**
 * Probes a recording and decides what else it needs: a proxy unless the original plays as it is,
 * thumbnails when it has video. A file ffprobe cannot read is kept as evidence and marked unplayable, once.
 */
export async function probe(job: Job<JobPayloads['probe']>, ctx: Context, run: JobRun): Promise<unknown> {
  const { recordingId } = job.data;
  const rec = await loadForProcessing(ctx.pool, recordingId);
  if (!rec || !(await markProcessing(ctx.pool, recordingId))) return { skipped: 'no such recording' };
  const timeoutS = timeoutFor(ctx, 0);
  const input = await ctx.store.readableLocation(rec.objectKey, timeoutS + 60, { purpose: 'probe', requester: `job ${job.id}` });
  let media: MediaInfo;
  try {
    media = parseProbe(await runFfprobe(input, { logger: ctx.logger, timeoutS, signal: run.signal }));
    if (!(media.durationS! > 0)) throw new Error('no duration: the file holds no complete frame');
  } catch (err) {
    await handBackIfCancelled(job, run, err);
    const unreadable = !(err instanceof Error && err.name === 'FfmpegError') || (await isInputProblem(ctx, err, rec.objectKey));
    if (!unreadable) throw err;
    const detail = err instanceof Error && 'detail' in err ? String((err as { detail: string }).detail) : (err as Error).message;
    const reason = `ffprobe cannot read the file: ${detail}`;
    return giveUpAsUnplayable(ctx, recordingId, reason);
  }
  const plan = proxyPlan(media, input, 'proxy.mp4', ctx.config.media.proxy);
  const pending: Stage[] = [];
  if (plan.kind !== 'original') pending.push('proxy');
  if (media.video) pending.push('thumbnails');
  await saveProbe(ctx.pool, recordingId, media, plan.kind === 'original' ? { kind: 'original', reason: plan.reason } : null, pending);
  // The original now serves as the proxy: a copy made by an earlier run is no longer needed.
  if (plan.kind === 'original') await removeDerived(ctx, recordingId, 'proxy-');
  return { plan: plan.kind, reason: plan.reason, pending, durationS: media.durationS };
}
