import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { UnrecoverableError, WaitingError, type Job } from 'bullmq';
import type { Context } from '../src/context';
import type { Logger } from '../src/logger';
import { FfmpegError } from '../src/media/ffmpeg';
import { markUnplayable } from '../src/recordings/processing';
import { derivedPrefix } from '../storage/keys';
import { StorageUnavailableError } from '../storage/object-store';

/** What BullMQ hands a processor besides the job: the lock token and the signal that cancels it. */
export interface JobRun {
  token?: string;
  signal?: AbortSignal;
}

/** Seconds an ffmpeg run on footage this long may take before it is killed. */
export function timeoutFor(ctx: Context, durationS: number | null | undefined): number {
  const { baseS, perMediaS } = ctx.config.media.timeout;
  return Math.ceil(baseS + perMediaS * Math.max(0, durationS ?? 0));
}

/** A name that tells this run's outputs from an earlier run's; a retried attempt of one job reuses it. */
export function generation(job: Job): string {
  return job.timestamp.toString(36);
}

// Work directories are named after their host and process, so a sweep can tell the leftovers of a
// process that died (SIGKILL, power loss) from the live work of another process sharing the folder.
// The host part holds no '-', so the pid is the number after the first '-' (the job id after it may hold
// '-<digits>-' too, as a UUID with a group of digits only does).
const OWNER = `${hostname().replace(/[^A-Za-z0-9]/g, '_')}-${process.pid}`;

/** Runs `fn` with a private temporary directory that is removed afterwards, whatever happens. */
export async function withWorkDir<T>(ctx: Context, job: Job, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = path.join(ctx.config.media.workDir, `${OWNER}-${String(job.id).replace(/[^A-Za-z0-9-]/g, '_')}-${randomBytes(4).toString('hex')}`);
  await mkdir(dir, { recursive: true });
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true }).catch((err) => ctx.logger.warn({ err, dir }, 'could not remove work directory'));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes work directories left by processes of this host that no longer run, and any directory older
 * than `maxAgeMs` (another host's, which cannot be checked). Returns how many it removed.
 */
export async function sweepWorkDirs(workDir: string, logger: Logger, maxAgeMs = 24 * 3600_000): Promise<number> {
  let names: string[];
  try {
    names = await readdir(workDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  const host = OWNER.slice(0, OWNER.lastIndexOf('-'));
  // A restarted container often gets the same host name and pid as the one that died: a directory with
  // this process's pid but older than this process is that predecessor's.
  const startedAt = Date.now() - process.uptime() * 1000;
  let removed = 0;
  for (const name of names) {
    const full = path.join(workDir, name);
    const m = /^([^-]+)-(\d+)-/.exec(name);
    const pid = m && m[1] === host ? Number(m[2]) : null;
    const s = await stat(full).catch(() => null);
    if (!s) continue;
    const stale =
      pid === process.pid ? s.mtimeMs < startedAt : pid !== null ? !alive(pid) : Date.now() - s.mtimeMs > maxAgeMs;
    if (stale) {
      await rm(full, { recursive: true, force: true });
      removed++;
    }
  }
  if (removed) logger.info({ removed, workDir }, 'removed work directories of stopped workers');
  return removed;
}

/**
 * A job cancelled by its worker's shutdown goes back to the queue at once, its attempt not spent: another
 * worker (or this one, restarted) takes it from the start.
 */
export async function handBackIfCancelled(job: Job, run: JobRun, err: unknown): Promise<void> {
  if (!run.signal?.aborted) return;
  if (err instanceof FfmpegError && err.failure !== 'aborted') return;
  await job.moveToWait(run.token);
  throw new WaitingError(`handed back: ${String(run.signal.reason ?? 'worker stopping')}`);
}

/**
 * Whether a failed read was the file's fault rather than the store's: the store answers and has the object.
 * Throws StorageUnavailableError when it does not answer (a transient failure, to retry).
 */
export async function isInputProblem(ctx: Context, err: unknown, key: string): Promise<boolean> {
  if (!(err instanceof FfmpegError) || err.failure !== 'failed') return false;
  const info = await ctx.store.stat(key);
  if (!info) throw new StorageUnavailableError(`the original ${key} is missing from the store`);
  return true;
}

/** Removes derived files of a recording whose names start with `prefix`, except `keep`. */
export async function removeDerived(ctx: Context, recordingId: string, prefix: string, keep: string[] = []): Promise<void> {
  const base = derivedPrefix(recordingId);
  for await (const obj of ctx.store.list(base)) {
    if (obj.key.startsWith(base + prefix) && !keep.includes(obj.key)) await ctx.store.remove(obj.key);
  }
}

/** Runs `tasks` with at most `limit` at once; rejects with the first failure after all have settled. */
export async function runLimited<T>(limit: number, tasks: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const errors: unknown[] = [];
  const lane = async () => {
    while (next < tasks.length) {
      const i = next++;
      try {
        results[i] = await tasks[i]!();
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, lane));
  if (errors.length) throw errors[0];
  return results;
}

/** Stores a file the job made; returns its key and size. */
export async function putFile(ctx: Context, key: string, file: string, contentType: string): Promise<{ key: string; size: number }> {
  const { size } = await ctx.store.put(key, createReadStream(file), { size: (await stat(file)).size, contentType });
  return { key, size };
}

/**
 * The file cannot be played: it is marked so with the reason, nothing derived from it is kept, and the job
 * fails once for good (no retries of a file that will never read).
 */
export async function giveUpAsUnplayable(ctx: Context, recordingId: string, reason: string): Promise<never> {
  await markUnplayable(ctx.pool, recordingId, reason);
  await removeDerived(ctx, recordingId, '');
  throw new UnrecoverableError(reason);
}
