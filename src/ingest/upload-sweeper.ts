import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from '../context';
import { inTransaction, type Pool } from '../db/pool';
import { FilesystemStore } from '../../storage/filesystem-store';
import { sweepAbandonedMultipart } from './multipart-registry';
import { isUploadId, lockKey } from './tus-protocol';
import { deleteIfStale, existingUploadIds, removeDataFile, staleUploadIds, uploadPath, uploadsDir } from './tus-store';

/**
 * Removes the bytes of uploads whose client is gone: a process killed mid-upload, a station that never came
 * back. What a process can sweep depends on what it sees:
 * - `tus`: rows of tus_uploads and their data files in `<DATA_DIR>/uploads`. Only a process that holds that
 *   folder can do it, which is an API process (workers may run on machines without it).
 * - `store`: S3 multipart uploads on record (registry rows) and the filesystem store's temp files. Any process
 *   with the store can; API and worker processes both leave these behind.
 * Sweeping is idempotent: several processes sweeping at once remove each thing once.
 */
export interface SweepScope {
  tus: boolean;
  store: boolean;
}

export interface SweepReport {
  /** tus uploads removed (row and data file). */
  tusUploads: number;
  /** Data files in the uploads folder without a row (a crash between creating the file and the row). */
  tusOrphanFiles: number;
  /** S3 multipart uploads aborted and cleared from the registry. */
  multipart: number;
  /** Temp files of the filesystem store removed. */
  tempFiles: number;
}

type SweepContext = Pick<Context, 'pool' | 'store' | 'logger' | 'config'>;

/**
 * Removes tus uploads untouched for `olderThanMs`. One that a PATCH is writing right now holds its lock and is
 * left alone, as is one whose offset moved since it was found; the data file goes in the same transaction as
 * the row, so a failure to remove it keeps the row for the next sweep.
 */
export async function sweepAbandonedTus(pool: Pool, dataDir: string, olderThanMs: number): Promise<{ uploads: number; orphanFiles: number }> {
  let uploads = 0;
  for (const id of await staleUploadIds(pool, olderThanMs)) {
    const removed = await inTransaction(pool, async (client) => {
      const { rows } = await client.query<{ got: boolean }>('SELECT pg_try_advisory_xact_lock($1::bigint) AS got', [lockKey(id)]);
      if (!rows[0]?.got || !(await deleteIfStale(client, id, olderThanMs))) return false;
      await removeDataFile(uploadPath(dataDir, id));
      return true;
    });
    if (removed) uploads++;
  }
  return { uploads, orphanFiles: await sweepOrphanFiles(pool, dataDir, olderThanMs) };
}

/**
 * Data files with no row, not modified for `olderThanMs`. An id is never reused, so a file this old without a
 * row will never get one. Files whose names are not upload ids are not ours and stay.
 */
async function sweepOrphanFiles(pool: Pool, dataDir: string, olderThanMs: number): Promise<number> {
  const dir = uploadsDir(dataDir);
  let names: string[];
  try {
    names = (await readdir(dir)).filter(isUploadId);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  if (names.length === 0) return 0;
  const known = await existingUploadIds(pool, names);
  const cutoff = Date.now() - olderThanMs;
  let removed = 0;
  for (const name of names) {
    if (known.has(name)) continue;
    const file = path.join(dir, name);
    const mtime = await stat(file).then(
      (s) => s.mtimeMs,
      () => undefined,
    );
    if (mtime === undefined || mtime >= cutoff) continue;
    await removeDataFile(file);
    removed++;
  }
  return removed;
}

/**
 * One sweep of what `scope` names, of uploads untouched for `olderThanMs` (by default the configured
 * UPLOAD_ABANDONED_HOURS). Each part fails on its own (the store down, say) with a warning; the others run.
 */
export async function sweepAbandonedUploads(ctx: SweepContext, scope: SweepScope, olderThanMs = ctx.config.upload.abandonedAfterMs): Promise<SweepReport> {
  const log = ctx.logger.child({ module: 'upload-sweeper' });
  const report: SweepReport = { tusUploads: 0, tusOrphanFiles: 0, multipart: 0, tempFiles: 0 };
  const attempt = async (what: string, part: () => Promise<void>): Promise<void> => {
    try {
      await part();
    } catch (err) {
      log.warn({ err, what }, 'upload sweep failed; the next one tries again');
    }
  };
  if (scope.tus) {
    await attempt('tus uploads', async () => {
      const { uploads, orphanFiles } = await sweepAbandonedTus(ctx.pool, ctx.config.dataDir, olderThanMs);
      report.tusUploads = uploads;
      report.tusOrphanFiles = orphanFiles;
    });
  }
  if (scope.store) {
    await attempt('multipart uploads', async () => {
      report.multipart = await sweepAbandonedMultipart(ctx.pool, ctx.store, log, olderThanMs);
    });
    // Temp files of puts cut short by a crash; S3 has the multipart uploads above instead.
    const { store } = ctx;
    if (store instanceof FilesystemStore) {
      await attempt('store temp files', async () => {
        report.tempFiles = await store.sweepIncoming(olderThanMs);
      });
    }
  }
  if (Object.values(report).some((n) => n > 0)) log.info({ ...report, olderThanMs }, 'swept abandoned uploads');
  return report;
}

export interface UploadSweeper {
  /** Stops the schedule and waits for a sweep in progress, so the connections can be closed after. */
  stop(): Promise<void>;
}

const HOUR_MS = 3600_000;

/** Sweeps now (what a crash just left is found at restart) and then every `everyMs`. */
export function startUploadSweeper(ctx: SweepContext, scope: SweepScope, everyMs = HOUR_MS): UploadSweeper {
  let running: Promise<unknown> = Promise.resolve();
  const run = (): void => {
    // One sweep at a time: a slow one (the store timing out) is not overtaken by the next.
    running = running.then(() => sweepAbandonedUploads(ctx, scope)).catch(() => undefined);
  };
  ctx.logger.info({ module: 'upload-sweeper', ...scope, olderThanMs: ctx.config.upload.abandonedAfterMs, everyMs }, 'upload sweeper started');
  run();
  const timer = setInterval(run, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
