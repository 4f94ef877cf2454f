import type { DockApi, UploadFile, UploadOutcome } from './api';
import { DockError, type FailureKind } from './errors';
import { parseRecorderFileName } from '../ingest/filename';
import type { IgnoredEntry, ScanResult, ScannedFile } from './scan';
import type { DockEvent, FileResult, FileStatus } from './types';

export interface DockSettings {
  folder: string;
  /** When the recorder was connected (the client started): the upload-deadline rule counts from it. */
  dockedAt: Date;
  parallel: number;
  dryRun: boolean;
  serial?: string;
  badge?: string;
  /** Whole-file retries after the first attempt, for retryable failures only. */
  fileRetries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Attempts at each lookup call (network errors and 5xx). */
  lookupAttempts: number;
  lookupBatchSize: number;
  /**
   * Waits between lookups that confirm an upload whose last answer carried no hash (it was a HEAD of an
   * upload finished earlier): the server may still be committing the recording.
   */
  confirmDelaysMs: number[];
}

export const DEFAULT_SETTINGS = {
  parallel: 2,
  fileRetries: 3,
  retryBaseMs: 2000,
  retryMaxMs: 60_000,
  lookupAttempts: 4,
  lookupBatchSize: 500,
  confirmDelaysMs: [1000, 3000],
} satisfies Partial<DockSettings>;

export interface DockDeps {
  scan(folder: string): Promise<ScanResult>;
  hash(path: string, onProgress: (bytes: number) => void, signal: AbortSignal): Promise<string>;
  stat(path: string): Promise<{ size: number; mtimeMs: number }>;
  api: DockApi;
  /** Resolves after `ms`, or at once when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  now(): number;
}

export interface DockResult {
  files: FileResult[];
  ignored: IgnoredEntry[];
  /** What stopped the run early: the server could not be used, or refused the token. */
  fatal?: DockError;
  interrupted: boolean;
  startedAt: number;
  finishedAt: number;
  /** The upload phase, for the mean speed; absent when nothing was uploaded. */
  uploadStartedAt?: number;
  uploadFinishedAt?: number;
  bytesHashed: number;
  /** Bytes actually sent in this run, resends included, skipped (resumed) bytes not. */
  bytesSent: number;
}

/** Failures after which an upload is not worth resuming; after others it is kept for the next attempt or run. */
const FINAL: ReadonlySet<FailureKind> = new Set(['rejected', 'verify', 'changed']);

export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export function toDockError(err: unknown, fallback: FailureKind): DockError {
  if (err instanceof DockError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return new DockError(fallback, `${code ? `${code} ` : ''}${(err as Error | undefined)?.message ?? String(err)}`, { code });
}

/** Runs `worker` over `items` with at most `limit` at a time, in order of `items`. */
export async function eachLimited<T>(items: readonly T[], limit: number, worker: (item: T) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length && !signal?.aborted) await worker(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
}

/**
 * Docks one recorder: scan, hash every file (one at a time: a recorder is one USB device, parallel reads
 * only make it seek), ask which hashes the server has, upload the rest a few at a time, verify each.
 * Never throws for a file's failure: that file's result says why. Throws (a DockError of kind 'read') only
 * when the folder cannot be scanned at all.
 */
export async function runDock(settings: DockSettings, deps: DockDeps, onEvent: (event: DockEvent) => void, signal?: AbortSignal): Promise<DockResult> {
  const startedAt = deps.now();
  const stop = new AbortController();
  const onInterrupt = (): void => stop.abort();
  signal?.addEventListener('abort', onInterrupt, { once: true });
  if (signal?.aborted) stop.abort();

  let fatal: DockError | undefined;
  const halt = (err: DockError): void => {
    if (fatal) return;
    fatal = err;
    onEvent({ type: 'fatal', error: err });
    stop.abort();
  };

  let scanned: ScanResult;
  try {
    scanned = await deps.scan(settings.folder);
  } catch (err) {
    signal?.removeEventListener('abort', onInterrupt);
    throw new DockError('read', `cannot read the folder ${settings.folder}: ${toDockError(err, 'read').message}`);
  }
  const { files, ignored } = scanned;
  onEvent({ type: 'scanned', files, ignored });

  const results: (FileResult | undefined)[] = new Array(files.length);
  const hashes: (string | undefined)[] = new Array(files.length);
  const attempts: number[] = new Array(files.length).fill(0);
  const base = (file: ScannedFile): Omit<FileResult, 'status'> => {
    // The server's own reading of the name, so the summary shows what the server will record. The zone
    // only affects the start time, which the client does not use.
    const fromName = parseRecorderFileName(file.name, 'UTC');
    return {
      relPath: file.relPath,
      name: file.name,
      size: file.size,
      attempts: 0,
      recorderSerial: settings.serial ?? fromName.recorderSerial,
      badgeNo: settings.badge ?? fromName.badgeNo,
    };
  };
  const finish = (index: number, status: FileStatus, extra: Partial<FileResult> = {}): void => {
    const result: FileResult = { ...base(files[index]), sha256: hashes[index], attempts: attempts[index], status, ...extra };
    results[index] = result;
    onEvent({ type: 'file-done', index, result });
  };
  const failWith = (index: number, err: DockError): void => finish(index, 'failed', { reason: err.message, failure: err.kind });

  let bytesHashed = 0;
  for (let i = 0; i < files.length && !stop.signal.aborted; i++) {
    if (files[i].size === 0) {
      finish(i, 'empty');
      continue;
    }
    onEvent({ type: 'hash-start', index: i });
    try {
      const sha = await deps.hash(files[i].path, (bytes) => onEvent({ type: 'hash-progress', index: i, bytes }), stop.signal);
      hashes[i] = sha.toLowerCase();
      bytesHashed += files[i].size;
      onEvent({ type: 'hash-done', index: i, sha256: hashes[i]! });
    } catch (err) {
      if (stop.signal.aborted) break;
      failWith(i, new DockError('read', `cannot read the file: ${toDockError(err, 'read').message}`));
    }
  }

  const withRetry = async <T>(op: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await op();
      } catch (err) {
        const e = toDockError(err, 'network');
        if (!e.retryable || attempt >= settings.lookupAttempts || stop.signal.aborted) throw e;
        await deps.sleep(backoffDelay(attempt, settings.retryBaseMs, settings.retryMaxMs), stop.signal);
      }
    }
  };

  const known = new Set<string>();
  const toUpload: number[] = [];
  if (!stop.signal.aborted) {
    const unique = [...new Set(hashes.filter((h): h is string => h !== undefined))];
    onEvent({ type: 'lookup-start', hashes: unique.length });
    try {
      for (let at = 0; at < unique.length && !stop.signal.aborted; at += settings.lookupBatchSize) {
        const batch = unique.slice(at, at + settings.lookupBatchSize);
        for (const h of await withRetry(() => deps.api.lookup(batch, stop.signal))) known.add(h);
      }
    } catch (err) {
      const e = toDockError(err, 'network');
      // Without the answer nothing can be decided: a server that cannot answer a lookup cannot take footage.
      if (e.kind !== 'aborted') halt(new DockError(e.kind, `the server could not be asked which files it has: ${e.message}`, e));
    }
    if (!stop.signal.aborted) {
      let stored = 0;
      hashes.forEach((h, i) => {
        if (h === undefined || results[i]) return;
        if (known.has(h)) {
          finish(i, 'already-stored');
          stored++;
        } else toUpload.push(i);
      });
      onEvent({ type: 'lookup-done', known: stored, toUpload });
    }
  }

  const verify = async (sha: string, outcome: UploadOutcome): Promise<void> => {
    if (outcome.serverSha256 !== undefined) {
      if (outcome.serverSha256 !== sha) throw new DockError('verify', `the server's SHA-256 ${outcome.serverSha256} differs from the file's ${sha}`);
      return;
    }
    for (let k = 0; ; k++) {
      if ((await withRetry(() => deps.api.lookup([sha], stop.signal))).has(sha)) return;
      if (k >= settings.confirmDelaysMs.length || stop.signal.aborted) {
        throw new DockError('verify', 'the upload finished but the server does not know the file by its SHA-256');
      }
      await deps.sleep(settings.confirmDelaysMs[k], stop.signal);
    }
  };

  let bytesSent = 0;
  const maxAttempts = settings.fileRetries + 1;
  const release = async (upload: UploadFile): Promise<void> => {
    try {
      await deps.api.release(upload);
    } catch {
      // Only the state file's tidiness is at stake; entries are pruned by age anyway.
    }
  };
  const uploadOne = async (index: number): Promise<void> => {
    const file = files[index];
    const sha = hashes[index]!;
    const metadata: Record<string, string> = { filename: file.name, sha256: sha, dockedAt: settings.dockedAt.toISOString() };
    if (settings.serial) metadata.recorderSerial = settings.serial;
    if (settings.badge) metadata.badgeNo = settings.badge;
    const upload: UploadFile = { path: file.path, realPath: file.realPath, size: file.size, mtimeMs: file.mtimeMs, sha256: sha };
    // Whether this run has sent any of the file: a resume offset beyond what progress reported is then ours
    // too (progress reports are throttled, and none comes for a PATCH that ends in an error).
    let sentThisRun = false;
    // Where the server is in the file, as last heard; each attempt starts with a HEAD's offset or a report at 0.
    let position = 0;
    for (let attempt = 1; !stop.signal.aborted; attempt++) {
      attempts[index] = attempt;
      onEvent({ type: 'upload-start', index, attempt });
      try {
        let now;
        try {
          now = await deps.stat(file.path);
        } catch (err) {
          throw new DockError('read', `cannot read the file: ${toDockError(err, 'read').message}`);
        }
        if (now.size !== file.size || Math.trunc(now.mtimeMs) !== Math.trunc(file.mtimeMs)) {
          throw new DockError('changed', 'the file changed after it was hashed (is the recorder still writing?)');
        }
        const outcome = await deps.api.upload(upload, {
          metadata,
          signal: stop.signal,
          onResume: (offset) => {
            if (sentThisRun) bytesSent += Math.max(0, offset - position);
            position = offset;
            onEvent({ type: 'upload-resume', index, offset });
          },
          onProgress: (bytes) => {
            const sent = Math.max(0, bytes - position);
            position = bytes;
            bytesSent += sent;
            if (sent > 0) sentThisRun = true;
            onEvent({ type: 'upload-progress', index, bytes, sent });
          },
        });
        await verify(sha, outcome);
        await release(upload);
        finish(index, outcome.duplicate ? 'duplicate' : 'uploaded', { recordingId: outcome.recordingId });
        return;
      } catch (err) {
        const e = toDockError(err, 'network');
        if (e.kind === 'auth') {
          halt(new DockError('auth', `the server refused the token: ${e.message}`, e));
          failWith(index, e);
          return;
        }
        if (stop.signal.aborted) return;
        if (!e.retryable || attempt >= maxAttempts) {
          if (FINAL.has(e.kind)) await release(upload);
          failWith(index, e);
          return;
        }
        const delayMs = backoffDelay(attempt, settings.retryBaseMs, settings.retryMaxMs);
        onEvent({ type: 'upload-retry', index, attempt: attempt + 1, maxAttempts, delayMs, reason: e.message });
        await deps.sleep(delayMs, stop.signal);
      }
    }
  };

  let uploadStartedAt: number | undefined;
  let uploadFinishedAt: number | undefined;
  if (settings.dryRun) {
    for (const i of toUpload) if (!results[i]) finish(i, 'would-upload');
  } else if (toUpload.length > 0 && !stop.signal.aborted) {
    uploadStartedAt = deps.now();
    await eachLimited(toUpload, settings.parallel, uploadOne, stop.signal);
    uploadFinishedAt = deps.now();
  }

  const interrupted = signal?.aborted === true && !fatal;
  files.forEach((_, i) => {
    if (results[i]) return;
    const why = interrupted ? 'interrupted; run again to resume' : `not uploaded: ${fatal?.message ?? 'stopped'}`;
    finish(i, 'failed', { reason: why, failure: interrupted ? 'aborted' : (fatal?.kind ?? 'aborted') });
  });
  signal?.removeEventListener('abort', onInterrupt);
  onEvent({ type: 'done' });
  return {
    files: results as FileResult[],
    ignored,
    fatal,
    interrupted,
    startedAt,
    finishedAt: deps.now(),
    uploadStartedAt,
    uploadFinishedAt,
    bytesHashed,
    bytesSent,
  };
}
