import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Job } from 'bullmq';
import type { Context } from '../src/context';
import { FfmpegError, runFfmpeg } from '../src/media/ffmpeg';
import { proxyPlan } from '../src/media/plan';
import type { JobPayloads } from '../src/queue/jobs';
import { completeStage, loadForProcessing, setProgress } from '../src/recordings/processing';
import { derivedKey } from '../storage/keys';
import { generation, giveUpAsUnplayable, handBackIfCancelled, isInputProblem, putFile, removeDerived, timeoutFor, withWorkDir, type JobRun } from './media-job';

/**
 * Makes the browser-playable copy: video copied and audio re-encoded, or everything transcoded to the
 * configured profile. The copy is written under a new name and served only once it is whole; the copy of
 * an earlier run is removed after the switch.
 */
export async function proxy(job: Job<JobPayloads['proxy']>, ctx: Context, run: JobRun): Promise<unknown> {
  const { recordingId } = job.data;
  const rec = await loadForProcessing(ctx.pool, recordingId);
  if (!rec || rec.status !== 'processing' || !rec.pending.includes('proxy') || !rec.media) return { skipped: 'not pending' };
  const media = rec.media;
  const timeoutS = timeoutFor(ctx, media.durationS);
  const input = await ctx.store.readableLocation(rec.objectKey, timeoutS + 600, { purpose: 'proxy', requester: `job ${job.id}` });
  return withWorkDir(ctx, job, async (dir) => {
    const output = path.join(dir, 'proxy.mp4');
    const plan = proxyPlan(media, input, output, ctx.config.media.proxy);
    if (plan.kind === 'original') {
      // The settings changed since the probe (a higher bit-rate cap): the original serves.
      await completeStage(ctx.pool, recordingId, 'proxy', { kind: 'original', reason: plan.reason });
      return { plan: 'original' };
    }
    try {
      await runFfmpeg(plan.command, {
        logger: ctx.logger,
        timeoutS,
        signal: run.signal,
        durationS: media.durationS,
        onProgress: (fraction) => {
          void job.updateProgress(Math.round(fraction * 100)).catch(() => undefined);
          void setProgress(ctx.pool, recordingId, fraction).catch(() => undefined);
        },
      });
      if (!(await stat(output)).size) throw new FfmpegError('ffmpeg wrote an empty file', 'failed', '', '');
    } catch (err) {
      await handBackIfCancelled(job, run, err);
      if (!(await isInputProblem(ctx, err, rec.objectKey))) throw err;
      const reason = `ffmpeg cannot make a playable copy (${plan.reason}): ${(err as FfmpegError).detail}`;
      return giveUpAsUnplayable(ctx, recordingId, reason);
    }
    const { key, size } = await putFile(ctx, derivedKey(recordingId, `proxy-${generation(job)}.mp4`), output, 'video/mp4');
    const done = await completeStage(ctx.pool, recordingId, 'proxy', { kind: plan.kind, reason: plan.reason, key, size, madeAt: new Date().toISOString() });
    // Not pending any more (re-processing began meanwhile, or the recording was deleted): this copy is nobody's.
    if (done) await removeDerived(ctx, recordingId, 'proxy-', [key]);
    else await ctx.store.remove(key);
    return { plan: plan.kind, reason: plan.reason, key, size, ready: done?.ready ?? false };
  });
}
