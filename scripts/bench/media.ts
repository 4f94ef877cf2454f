import { execFile, spawn } from 'node:child_process';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import type { Job } from 'bullmq';
import type { Context } from '../../src/context';
import { commandArgs } from '../../src/media/command';
import { runFfprobe } from '../../src/media/ffmpeg';
import { proxyPlan, type ProxySettings } from '../../src/media/plan';
import { parseProbe, type MediaInfo } from '../../src/media/probe';
import { DEFAULT_THUMBNAILS, posterCommand, spriteLayout, spriteRowCommand, spriteSheetCommand, type ThumbnailSettings } from '../../src/media/thumbnails';
import { createQueues, type Queues } from '../../src/queue/outbox';
import { jobId, JOB_NAMES } from '../../src/queue/jobs';
import { runLimited } from '../../workers/media-job';
import { startWorkerRole } from '../../workers/worker';
import { uploadMultipart } from './ingest';
import { flushDisks, fmt } from './support';

const run = promisify(execFile);
const ffmpegQuiet = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y'];

export interface MediaBenchOptions {
  ctx: Context;
  /** The API the files are uploaded through (as a docking station does). */
  api: { base: string; token: string };
  /** Scratch folder of this run (removed afterwards). */
  dir: string;
  /** Generated clips are kept here between runs (git-ignored): the 10-minute encode takes minutes. */
  cacheDir: string;
  rounds: number;
  /** Length of the recorder file of the time-to-playable figure. */
  minutes: number;
  /** Length of the clip of the transcode figure. */
  transcodeSeconds: number;
  /** FFMPEG_THREADS values compared on the transcode. */
  threads: number[];
  /** Registers a cleanup, run before the context closes. */
  onCleanup(fn: () => Promise<unknown>): void;
}

/**
 * The media pipeline's two figures (issue 4, DESIGN.md budgets), with the worker role running in this process
 * and the files uploaded through the API:
 * 1. time-to-playable with thumbnails of a recorder file, as × realtime;
 * 2. the transcode path against the very same ffmpeg command run bare in the same run, and the ffmpeg thread
 *    setting that transcodes fastest on this machine.
 */
export async function benchMedia(o: MediaBenchOptions): Promise<void> {
  const { ctx } = o;
  await mkdir(o.cacheDir, { recursive: true });
  const recorder = await cached(o.cacheDir, `recorder-1080p30-${o.minutes}min.mp4`, (out) => [
    '-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=30:duration=${o.minutes * 60}`,
    '-f', 'lavfi', '-i', `sine=frequency=1000:sample_rate=48000:duration=${o.minutes * 60}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '8M', '-maxrate', '8M', '-bufsize', '16M', '-g', '30', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '128k', '-t', String(o.minutes * 60),
    // No +faststart: a recorder writes the moov atom last.
    '-f', 'mp4', out,
  ]);
  const hevc = await cached(o.cacheDir, `hevc-1080p30-${o.transcodeSeconds}s.mp4`, (out) => [
    '-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=30:duration=${o.transcodeSeconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=1000:sample_rate=48000:duration=${o.transcodeSeconds}`,
    '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error:keyint=60', '-tag:v', 'hvc1', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '128k', '-t', String(o.transcodeSeconds), '-f', 'mp4', out,
  ]);

  // The ingest benchmarks leave probe jobs of their random-byte files in the outbox: not this benchmark's work.
  await ctx.pool.query('UPDATE outbox SET relayed_at = now() WHERE relayed_at IS NULL');
  const role = startWorkerRole(ctx);
  o.onCleanup(() => role.close());
  const producer = createQueues(ctx.config.redis.url, ctx.config.redis.prefix, ctx.logger);
  o.onCleanup(() => producer.close());
  const b = new Bench(o, producer.queues);

  // Warm-up: fluent-ffmpeg's one-time capability probe, connections, code paths.
  const warm = await b.variant(recorder, 'warmup', ['-t', '10']);
  await b.waitReady(await b.upload(warm));
  await rm(warm);

  // 1. Time-to-playable of a recorder file: upload complete → ready with poster and sprite sheet. The file as
  // generated is exactly 10:00.000, which puts every sprite seek point on a keyframe (the best case); the same
  // file cut by a second spreads the seek points evenly between keyframes, as a real file's length does.
  const info = await probeFile(recorder, ctx);
  const cutS = o.minutes * 60 - 1;
  const kinds = [
    { label: 'exact', durationS: o.minutes * 60, extra: [] as string[] },
    { label: 'cut', durationS: cutS, extra: ['-t', String(cutS)] },
  ];
  const runs = new Map(kinds.map((k) => [k.label, [] as { seconds: number; steps: Steps; bareThumbsS: number }[]]));
  for (let i = 0; i < o.rounds; i++) {
    for (const kind of i % 2 ? [...kinds].reverse() : kinds) {
      const file = await b.variant(recorder, `ttp-${kind.label}${i}`, kind.extra);
      await flushDisks();
      const id = await b.upload(file);
      const t0 = performance.now();
      const wall0 = Date.now();
      await b.waitReady(id);
      const seconds = (performance.now() - t0) / 1000;
      const seenAt = Date.now();
      const steps = await b.steps(id, wall0, seenAt);
      await b.waitIdle();
      const stored = await b.stored(id);
      runs.get(kind.label)!.push({ seconds, steps, bareThumbsS: await b.bareThumbnails(stored.input, stored.media) });
      await rm(file);
    }
  }
  const size = (await stat(recorder)).size;
  console.log(
    `time-to-playable, ${o.minutes} min 1080p30 H.264/AAC recorder file (${fmt(size / 1e6, 0)} MB, ${fmt((info.bitRate ?? 0) / 1e6, 1)} Mbit/s, ` +
      `key frame every 1 s, moov at the end), upload complete → ready with thumbnails:`,
  );
  for (const kind of kinds) {
    const rs = runs.get(kind.label)!;
    const ttp = median(rs.map((r) => r.seconds));
    const mid = medianBy(rs, (r) => r.seconds);
    const what =
      kind.label === 'exact'
        ? `${o.minutes}:00.000 long (every sprite seek point on a key frame)`
        : `cut to ${Math.floor(cutS / 60)}:${String(cutS % 60).padStart(2, '0')} (seek points spread between key frames, as in most real files)`;
    console.log(
      `  ${what}: ${fmt(ttp)} s, ${fmt(kind.durationS / ttp, 0)}× realtime (budget >= 200×; median of ${o.rounds}: ${rs.map((r) => fmt(r.seconds)).join(', ')} s)`,
    );
    console.log(`    where it goes (median round): ${describeSteps(mid.steps)}; the thumbnails' ffmpeg runs alone ${fmt(median(rs.map((r) => r.bareThumbsS)))} s`);
  }

  // 2. The transcode path against the same ffmpeg command run bare, order alternated between rounds.
  const hevcInfo = await probeFile(hevc, ctx);
  const pipeline: { seconds: number; thumbnailsS: number; overlapS: number; toReadyS: number }[] = [];
  const bare: number[] = [];
  let last: { input: string; media: MediaInfo } | null = null;
  for (let i = 0; i < o.rounds; i++) {
    await b.waitIdle();
    const file = await b.variant(hevc, `tc${i}`);
    await flushDisks();
    const bareFirst = i % 2 === 1;
    let id: string;
    if (bareFirst) {
      // The file is stored but its jobs wait in the outbox until the bare run is over.
      await role.relay.stop();
      id = await b.upload(file);
      last = await b.stored(id);
      bare.push(await b.bareTranscode(last.input, last.media, ctx.config.media.proxy));
      role.relay.start();
      await b.waitReady(id, 500);
    } else {
      id = await b.upload(file);
      await b.waitReady(id, 500);
    }
    pipeline.push(await b.proxyJob(id));
    if (!bareFirst) {
      await b.waitIdle();
      last = await b.stored(id);
      bare.push(await b.bareTranscode(last.input, last.media, ctx.config.media.proxy));
    }
    await rm(file);
  }
  const pipeSeconds = median(pipeline.map((p) => p.seconds));
  const pipeMid = medianBy(pipeline, (p) => p.seconds);
  const bareMid = median(bare);
  const threadsNow = ctx.config.media.proxy.threads;
  console.log(
    `transcode path, ${o.transcodeSeconds} s 1080p30 ${hevcInfo.video?.codec.toUpperCase()}/AAC MP4 → ${ctx.config.media.proxy.height}p H.264 proxy (-threads ${threadsNow}): ` +
      `pipeline proxy job ${fmt(pipeSeconds)} s, the same ffmpeg command bare ${fmt(bareMid)} s`,
  );
  console.log(
    `  ratio bare/pipeline ${fmt(bareMid / pipeSeconds)} (budget >= 0.95; median of ${o.rounds} each, order alternated; ` +
      `pipeline ${pipeline.map((p) => fmt(p.seconds, 1)).join(', ')} s, bare ${bare.map((s) => fmt(s, 1)).join(', ')} s)`,
  );
  // Any overlap with the thumbnails job is competition for the same cores, inside the pipeline's figure.
  console.log(
    `  in the median pipeline round: thumbnails job ${fmt(pipeMid.thumbnailsS)} s, ${fmt(pipeMid.overlapS)} s of it beside the proxy job; probe done → ready ${fmt(pipeMid.toReadyS)} s`,
  );

  // 3. FFMPEG_THREADS on this machine: the same bare command with each setting, order rotated between rounds.
  const byThreads = new Map<number, number[]>(o.threads.map((t) => [t, []]));
  for (let i = 0; i < o.rounds; i++) {
    const order = o.threads.map((_, k) => o.threads[(k + i) % o.threads.length]!);
    for (const t of order) byThreads.get(t)!.push(await b.bareTranscode(last!.input, last!.media, { ...ctx.config.media.proxy, threads: t }));
  }
  const medians = o.threads.map((t) => ({ t, s: median(byThreads.get(t)!) }));
  const best = medians.reduce((a, c) => (c.s < a.s ? c : a));
  console.log(
    `ffmpeg threads on that transcode (bare, median of ${o.rounds}): ${medians.map((m) => `${m.t} → ${fmt(m.s, 1)} s`).join(', ')}; ` +
      `best here: ${best.t} (${availableParallelism()} cores; FFMPEG_THREADS is ${threadsNow}${best.t === threadsNow ? ', the best' : `, ${fmt(medians.find((m) => m.t === threadsNow)?.s ?? NaN, 1)} s`})`,
  );
}

interface Steps {
  /** ms from the upload's answer to the probe job entering its queue (outbox relay; negative when it came first) */
  relayMs: number;
  /** ms the probe job waited for a worker */
  probeWaitMs: number;
  probeMs: number;
  /** ms from probe finished to the thumbnails job starting (outbox again) */
  handoffMs: number;
  thumbnailsMs: number;
  /** ms from the last stage's completion to the poll seeing it */
  seenMs: number;
}

function describeSteps(s: Steps): string {
  const ms = (n: number) => `${Math.round(n)} ms`;
  return [
    // The API commits the outbox row before it answers: the relay may queue the probe before the answer arrives.
    `probe queued ${ms(s.relayMs)} after the upload's answer`,
    `waited ${ms(s.probeWaitMs)}`,
    `probe job ${ms(s.probeMs)}`,
    `probe → thumbnails job start ${ms(s.handoffMs)}`,
    `thumbnails job ${ms(s.thumbnailsMs)}`,
    `seen ready +${ms(s.seenMs)}`,
  ].join(', ');
}

class Bench {
  private n = 0;
  constructor(
    private readonly o: MediaBenchOptions,
    private readonly queues: Queues,
  ) {}

  /** A copy that differs from every other upload (another SHA-256), made by a stream copy with new metadata. */
  async variant(source: string, tag: string, extra: string[] = []): Promise<string> {
    const out = path.join(this.o.dir, `${tag}${path.extname(source)}`);
    await run('ffmpeg', [...ffmpegQuiet, '-i', source, ...extra, '-map', '0', '-c', 'copy', '-metadata', `comment=bench ${process.pid} ${tag}`, out]);
    return out;
  }

  async upload(file: string): Promise<string> {
    this.n++;
    const name = `DSJ0001_100001_20260302${String(80000 + this.n).padStart(6, '0')}_${String(this.n).padStart(4, '0')}.MP4`;
    const res = await uploadMultipart(this.o.api.base, this.o.api.token, file, name);
    if (res.status !== 201) throw new Error(`upload of ${path.basename(file)} answered ${res.status}: ${res.body}`);
    return (JSON.parse(res.body) as { recordings: { id: string }[] }).recordings[0]!.id;
  }

  /**
   * Polls the catalog every `everyMs` until the recording is ready with its poster and sprite sheet. Where
   * BullMQ's timestamps give the figure, the poll is slow so that it takes no CPU from the jobs it waits for.
   */
  async waitReady(id: string, everyMs = 20, timeoutMs = 15 * 60_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await this.o.ctx.pool.query<{ status: string; reason: string | null; poster: boolean; sprite: boolean }>(
        `SELECT status, status_reason AS reason, thumbnails->'poster' IS NOT NULL AND thumbnails->'poster' <> 'null'::jsonb AS poster,
                thumbnails->'sprite' IS NOT NULL AND thumbnails->'sprite' <> 'null'::jsonb AS sprite
           FROM recordings WHERE id = $1`,
        [id],
      );
      const r = rows[0];
      if (!r) throw new Error(`recording ${id} is missing`);
      if (r.status === 'ready') {
        if (!r.poster || !r.sprite) throw new Error(`recording ${id} is ready without thumbnails`);
        return;
      }
      if (r.status === 'unplayable' || r.status === 'deleted') throw new Error(`recording ${id} ended ${r.status}: ${r.reason}`);
      if (Date.now() > until) throw new Error(`recording ${id} not ready after ${timeoutMs / 1000} s (status ${r.status})`);
      await sleep(everyMs);
    }
  }

  /** No media job waiting or running (the stages of the last recording have all finished). */
  async waitIdle(): Promise<void> {
    for (;;) {
      const counts = await Promise.all(Object.values(this.queues).map((q) => q.getJobCounts('active', 'waiting', 'prioritized', 'delayed')));
      if (counts.every((c) => Object.values(c).every((n) => n === 0))) return;
      await sleep(20);
    }
  }

  private async job(stage: (typeof JOB_NAMES)[number], id: string): Promise<Job> {
    for (let i = 0; i < 500; i++) {
      const job = await this.queues[stage].getJob(jobId(stage, id));
      if (job?.finishedOn) {
        if (job.failedReason) throw new Error(`${stage} job of ${id} failed: ${job.failedReason}`);
        return job;
      }
      await sleep(10);
    }
    throw new Error(`the ${stage} job of ${id} did not finish`);
  }

  /** Where the time went, from BullMQ's own timestamps (this process's clock, like `uploadedAt`). */
  async steps(id: string, uploadedAt: number, seenAt: number): Promise<Steps> {
    const probe = await this.job('probe', id);
    const thumbs = await this.job('thumbnails', id);
    const { rows } = await this.o.ctx.pool.query<{ at: Date }>('SELECT processed_at AS at FROM recordings WHERE id = $1', [id]);
    return {
      relayMs: probe.timestamp - uploadedAt,
      probeWaitMs: probe.processedOn! - probe.timestamp,
      probeMs: probe.finishedOn! - probe.processedOn!,
      handoffMs: thumbs.processedOn! - probe.finishedOn!,
      thumbnailsMs: thumbs.finishedOn! - thumbs.processedOn!,
      seenMs: seenAt - rows[0]!.at.getTime(),
    };
  }

  /** The proxy job's run time as BullMQ recorded it, and how much of it the thumbnails job overlapped. */
  async proxyJob(id: string): Promise<{ seconds: number; thumbnailsS: number; overlapS: number; toReadyS: number }> {
    const proxy = await this.job('proxy', id);
    const thumbs = await this.job('thumbnails', id);
    const probe = await this.job('probe', id);
    const overlap = Math.max(0, Math.min(proxy.finishedOn!, thumbs.finishedOn!) - Math.max(proxy.processedOn!, thumbs.processedOn!));
    const readyAt = Math.max(proxy.finishedOn!, thumbs.finishedOn!);
    return {
      seconds: (proxy.finishedOn! - proxy.processedOn!) / 1000,
      thumbnailsS: (thumbs.finishedOn! - thumbs.processedOn!) / 1000,
      overlapS: overlap / 1000,
      toReadyS: (readyAt - probe.finishedOn!) / 1000,
    };
  }

  /** The stored original as the workers read it, and what ffprobe says of it (the probe job's own parsing). */
  async stored(id: string): Promise<{ input: string; media: MediaInfo }> {
    const { rows } = await this.o.ctx.pool.query<{ key: string }>('SELECT object_key AS key FROM recordings WHERE id = $1', [id]);
    const input = await this.o.ctx.store.readableLocation(rows[0]!.key, 3600);
    return { input, media: await probeFile(input, this.o.ctx) };
  }

  /** Seconds for the thumbnails job's ffmpeg runs (poster and rows two at a time, then the sheet), run bare. */
  async bareThumbnails(input: string, media: MediaInfo): Promise<number> {
    const { sprite } = this.o.ctx.config.media;
    const settings: ThumbnailSettings = { ...DEFAULT_THUMBNAILS, maxFrames: sprite.maxFrames, tileWidth: sprite.tileWidth };
    const layout = spriteLayout(media, settings);
    if (!layout) throw new Error('the clip has no sprite layout');
    const dir = path.join(this.o.dir, 'bare-thumbs');
    await mkdir(dir, { recursive: true });
    const rows = Array.from({ length: layout.rows }, (_, r) => layout.times.slice(r * layout.columns, (r + 1) * layout.columns));
    const rowFiles = rows.map((_, r) => path.join(dir, `row-${r}.png`));
    const t0 = performance.now();
    await runLimited(Math.max(1, Math.min(2, availableParallelism())), [
      () => runBare(commandArgs(posterCommand(media, input, path.join(dir, 'poster.jpg'), settings))),
      ...rows.map((times, r) => () => runBare(commandArgs(spriteRowCommand(input, times, layout, rowFiles[r]!)))),
    ]);
    await runBare(commandArgs(spriteSheetCommand(rowFiles, path.join(dir, 'sprite.jpg'))));
    const seconds = (performance.now() - t0) / 1000;
    await rm(dir, { recursive: true, force: true });
    return seconds;
  }

  /** Seconds for the proxy job's ffmpeg command, built the same way, run bare through child_process. */
  async bareTranscode(input: string, media: MediaInfo, settings: ProxySettings): Promise<number> {
    const output = path.join(this.o.dir, 'bare-proxy.mp4');
    const plan = proxyPlan(media, input, output, settings);
    if (plan.kind !== 'transcode') throw new Error(`the transcode clip is planned as ${plan.kind}: ${plan.reason}`);
    const args = commandArgs(plan.command);
    const t0 = performance.now();
    await runBare(args);
    const seconds = (performance.now() - t0) / 1000;
    await rm(output, { force: true });
    return seconds;
  }
}

/** Runs ffmpeg with `args` through child_process, nothing in between; its stderr is read and dropped. */
function runBare(args: string[]): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let tail = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (tail = (tail + d).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`bare ffmpeg exited ${code}: ${tail}`))));
  });
}

async function probeFile(input: string, ctx: Context): Promise<MediaInfo> {
  return parseProbe(await runFfprobe(input, { logger: ctx.logger, timeoutS: 120 }));
}

/** A generated clip from the cache, made once (written under a temporary name, so a cut-short run leaves none). */
async function cached(cacheDir: string, name: string, args: (out: string) => string[]): Promise<string> {
  const file = path.join(cacheDir, name);
  if (await stat(file).then((s) => s.size > 0, () => false)) return file;
  const partial = path.join(cacheDir, `.partial-${process.pid}-${name}`);
  console.log(`  generating ${name} in ${cacheDir} (once; it is kept for later runs)`);
  const t0 = performance.now();
  try {
    await run('ffmpeg', [...ffmpegQuiet, ...args(partial)], { maxBuffer: 16 * 1024 * 1024 });
    await rename(partial, file);
  } finally {
    await rm(partial, { force: true });
  }
  console.log(`  generated ${name} in ${fmt((performance.now() - t0) / 1000, 0)} s`);
  return file;
}

/** Deletes every Redis key of a queue prefix (the bench's own queues). */
export async function deleteRedisPrefix(ctx: Context, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await ctx.redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) deleted += await ctx.redis.del(...keys);
  } while (cursor !== '0');
  return deleted;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The element whose key is the median (the lower middle one for an even count), to describe that round. */
function medianBy<T>(xs: T[], key: (x: T) => number): T {
  const s = [...xs].sort((a, b) => key(a) - key(b));
  return s[Math.floor((s.length - 1) / 2)]!;
}
