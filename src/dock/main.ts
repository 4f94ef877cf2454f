#!/usr/bin/env node
import { mkdir, realpath, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createApi } from './api';
import { parseDockArgs, USAGE, UsageError, type DockConfig } from './args';
import { DockError } from './errors';
import { sha256File } from './hash';
import { ProgressView, type ProgressOutput } from './progress';
import { DEFAULT_SETTINGS, runDock, sleep, type DockResult } from './run';
import { isInside, scanFolder } from './scan';
import { DockUrlStorage, setAsideIfCorrupt } from './state';
import { EXIT, exitCodeOf, jsonSummary, renderSummary } from './summary';

export interface MainIo {
  argv: string[];
  env: NodeJS.ProcessEnv;
  stdout: { write(text: string): unknown };
  stderr: ProgressOutput;
  home?: string;
  cwd?: string;
  /** Aborting it stops the run as Ctrl-C does: uploads stop where they are, resumable. */
  signal?: AbortSignal;
}

/** Timings a station has no reason to change; tests shorten them. */
export interface Tuning {
  /** tus-js-client's retries inside one upload (it starts over whenever bytes get through). */
  tusRetryDelaysMs: number[];
  retryBaseMs: number;
  retryMaxMs: number;
  lookupAttempts: number;
  confirmDelaysMs: number[];
  stallTimeoutMs: number;
  requestTimeoutMs: number;
  progressIntervalMs: number;
  /** Entries of unfinished uploads older than this are dropped: the server has expired them. */
  stateMaxAgeMs: number;
}

export const DEFAULT_TUNING: Tuning = {
  tusRetryDelaysMs: [1000, 3000, 10_000, 30_000],
  retryBaseMs: DEFAULT_SETTINGS.retryBaseMs,
  retryMaxMs: DEFAULT_SETTINGS.retryMaxMs,
  lookupAttempts: DEFAULT_SETTINGS.lookupAttempts,
  confirmDelaysMs: DEFAULT_SETTINGS.confirmDelaysMs,
  stallTimeoutMs: 120_000,
  requestTimeoutMs: 30_000,
  progressIntervalMs: 5000,
  stateMaxAgeMs: 14 * 24 * 3600 * 1000,
};

const STATE_FILE = 'uploads.json';

/** The real path of `p`, or of its nearest existing ancestor joined with the rest (it may not exist yet). */
async function resolveThroughLinks(p: string): Promise<string> {
  let current = p;
  for (;;) {
    try {
      return path.join(await realpath(current), path.relative(current, p));
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return p;
      current = parent;
    }
  }
}

/** Checks the folder and prepares the state folder; a UsageError (exit 2) when either will not do. */
async function prepare(config: DockConfig): Promise<void> {
  let folderStat;
  try {
    folderStat = await stat(config.folder);
  } catch (err) {
    throw new UsageError(`cannot open ${config.folder}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!folderStat.isDirectory()) throw new UsageError(`${config.folder} is not a folder`);
  const folderReal = await realpath(config.folder);
  const stateReal = await resolveThroughLinks(config.stateDir);
  // Nothing is ever written to the recorder, the state file included.
  if (isInside(folderReal, stateReal) || isInside(config.folder, config.stateDir)) {
    throw new UsageError(`--state-dir ${config.stateDir} is inside the recorder's folder; choose one outside it`);
  }
  try {
    await mkdir(config.stateDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new UsageError(`cannot create --state-dir ${config.stateDir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Runs the docking client; resolves with the exit code (never throws for an expected failure). */
export async function dockMain(io: MainIo, tuningOverrides: Partial<Tuning> = {}): Promise<number> {
  const tuning = { ...DEFAULT_TUNING, ...tuningOverrides };
  const dockedAt = new Date();
  let config: DockConfig;
  try {
    const parsed = parseDockArgs(io.argv, io.env, io.home ?? os.homedir(), io.cwd);
    if (parsed.help) {
      io.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    config = parsed.config;
    await prepare(config);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`error: ${err.message}\n\n${USAGE}\n`);
      return EXIT.usage;
    }
    throw err;
  }

  const view = new ProgressView(io.stderr, { tty: io.stderr.isTTY === true, intervalMs: tuning.progressIntervalMs });
  const warn = (message: string): void => view.log(`warning: ${message}`);
  const stateFile = path.join(config.stateDir, STATE_FILE);
  let storage: DockUrlStorage;
  try {
    const aside = await setAsideIfCorrupt(stateFile);
    if (aside) warn(`the upload state was unreadable and was moved to ${aside}; unfinished uploads start over`);
    storage = new DockUrlStorage(stateFile, { warn });
    if (!config.dryRun) await storage.prune(tuning.stateMaxAgeMs);
  } catch (err) {
    io.stderr.write(`error: cannot use the upload state ${stateFile}: ${(err as Error).message}\n`);
    return EXIT.usage;
  }

  const api = createApi({
    server: config.server,
    token: config.token,
    storage,
    chunkSize: config.chunkSizeBytes,
    retryDelays: tuning.tusRetryDelaysMs,
    stallTimeoutMs: tuning.stallTimeoutMs,
    requestTimeoutMs: tuning.requestTimeoutMs,
  });

  view.log(
    `${config.dryRun ? 'dry run: ' : ''}docking ${config.folder} to ${config.server}` +
      (config.serial || config.badge ? ` as recorder ${config.serial ?? '(from names)'}, officer ${config.badge ?? '(from names)'}` : ''),
  );
  view.start();
  let result: DockResult;
  try {
    result = await runDock(
      {
        folder: config.folder,
        dockedAt,
        parallel: config.parallel,
        dryRun: config.dryRun,
        serial: config.serial,
        badge: config.badge,
        fileRetries: config.retries,
        retryBaseMs: tuning.retryBaseMs,
        retryMaxMs: tuning.retryMaxMs,
        lookupAttempts: tuning.lookupAttempts,
        lookupBatchSize: DEFAULT_SETTINGS.lookupBatchSize,
        confirmDelaysMs: tuning.confirmDelaysMs,
      },
      {
        scan: scanFolder,
        hash: sha256File,
        stat: (p) => stat(p),
        api,
        sleep,
        now: Date.now,
      },
      (event) => view.handle(event),
      io.signal,
    );
  } catch (err) {
    view.stop();
    await storage.flush();
    if (!(err instanceof DockError)) throw err;
    // The folder passed the checks above but cannot be listed (permissions, a recorder pulled out).
    io.stderr.write(`error: ${err.message}\n`);
    return EXIT.usage;
  }
  view.stop();
  await storage.flush();

  const ctx = { folder: config.folder, server: config.server, dockedAt, dryRun: config.dryRun };
  if (config.json) io.stdout.write(`${JSON.stringify(jsonSummary(result, ctx), null, 2)}\n`);
  else io.stdout.write(`${renderSummary(result, ctx).join('\n')}\n`);
  return exitCodeOf(result);
}

if (require.main === module) {
  const interrupt = new AbortController();
  const onSignal = (): void => {
    // A second Ctrl-C does not wait for uploads to stop.
    process.once('SIGINT', () => process.exit(EXIT.interrupted));
    interrupt.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  dockMain({ argv: process.argv.slice(2), env: process.env, stdout: process.stdout, stderr: process.stderr, signal: interrupt.signal }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(`error: ${(err as Error).stack ?? String(err)}`);
      process.exitCode = EXIT.failed;
    },
  );
}
