import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { Job } from 'bullmq';
import type { Context } from '../src/context';
import { runFfmpeg, type FfmpegError } from '../src/media/ffmpeg';
import { posterCommand, spriteLayout, spriteRowCommand, spriteSheetCommand, DEFAULT_THUMBNAILS, type ThumbnailSettings } from '../src/media/thumbnails';
import type { JobPayloads } from '../src/queue/jobs';
import { completeStage, loadForProcessing, type ThumbnailRecord } from '../src/recordings/processing';
import { derivedKey } from '../storage/keys';
import { generation, handBackIfCancelled, isInputProblem, putFile, removeDerived, runLimited, timeoutFor, withWorkDir, type JobRun } from './media-job';

// Rows of the sprite sheet are separate ffmpeg runs, two at a time on two cores (measured: 60 tiles of a
// 10-minute 1080p file in 0.8 s, against 1.2 s and 620 MB as one run).
const PARALLEL_RUNS = Math.max(1, Math.min(2, availableParallelism()));

/**
 * The poster frame and the sprite sheet for scrubbing, made by seeking to each frame, not by decoding the
 * whole file; from the proxy when the original needed one. A file whose frames cannot be decoded gets no thumbnails and says why; it may still play.
 */
export async function thumbnails(job: Job<JobPayloads['thumbnails']>, ctx: Context, run: JobRun): Promise<unknown> {
  const { recordingId } = job.data;
  const rec = await loadForProcessing(ctx.pool, recordingId);
  if (!rec || rec.status !== 'processing' || !rec.pending.includes('thumbnails') || !rec.media) return { skipped: 'not pending' };
  const media = rec.media;
  const settings: ThumbnailSettings = { ...DEFAULT_THUMBNAILS, maxFrames: ctx.config.media.sprite.maxFrames, tileWidth: ctx.config.media.sprite.tileWidth };
  const timeoutS = timeoutFor(ctx, 0);
  // The proxy when there is one: H.264 with a keyframe every PROXY_KEYFRAME_S, so every seek is short.
  const source = rec.proxy && rec.proxy.kind !== 'original' ? rec.proxy.key : rec.objectKey;
  const input = await ctx.store.readableLocation(source, timeoutS * 4 + 600, { purpose: 'thumbnails', requester: `job ${job.id}` });
  const gen = generation(job);
  return withWorkDir(ctx, job, async (dir) => {
    const layout = spriteLayout(media, settings);
    const posterFile = path.join(dir, 'poster.jpg');
    const sheetFile = path.join(dir, 'sprite.jpg');
    const rows = layout ? Array.from({ length: layout.rows }, (_, r) => layout.times.slice(r * layout.columns, (r + 1) * layout.columns)) : [];
    const rowFiles = rows.map((_, r) => path.join(dir, `row-${r}.png`));
    const opts = { logger: ctx.logger, timeoutS, signal: run.signal };
    let record: ThumbnailRecord;
    try {
      await runLimited(PARALLEL_RUNS, [
        () => runFfmpeg(posterCommand(media, input, posterFile, settings), opts),
        ...rows.map((times, r) => () => runFfmpeg(spriteRowCommand(input, times, layout!, rowFiles[r]!), opts)),
      ]);
      if (layout) await runFfmpeg(spriteSheetCommand(rowFiles, sheetFile), opts);
      const poster = await putFile(ctx, derivedKey(recordingId, `poster-${gen}.jpg`), posterFile, 'image/jpeg');
      const sprite = layout ? { ...(await putFile(ctx, derivedKey(recordingId, `sprite-${gen}.jpg`), sheetFile, 'image/jpeg')), ...spriteFields(layout) } : null;
      record = { poster, sprite };
    } catch (err) {
      await handBackIfCancelled(job, run, err);
      if (!(await isInputProblem(ctx, err, source))) throw err;
      record = { poster: null, sprite: null, error: `ffmpeg cannot decode a frame: ${(err as FfmpegError).detail}` };
    }
    const done = await completeStage(ctx.pool, recordingId, 'thumbnails', record);
    const mine = [record.poster?.key, record.sprite?.key].filter((k): k is string => !!k);
    if (done) {
      await removeDerived(ctx, recordingId, 'poster-', mine);
      await removeDerived(ctx, recordingId, 'sprite-', mine);
    } else {
      for (const key of mine) await ctx.store.remove(key);
    }
    return { ...record, ready: done?.ready ?? false };
  });
}

function spriteFields(l: NonNullable<ReturnType<typeof spriteLayout>>) {
  return { count: l.count, columns: l.columns, rows: l.rows, intervalS: l.intervalS, tileWidth: l.tileWidth, tileHeight: l.tileHeight };
}
