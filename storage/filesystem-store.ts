import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, opendir, readdir, rename, rm, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { abortError, assertValidRange, errorCode, errorMessage, rangeNotSatisfiable, refusePut } from './internal';
import { assertValidKey, assertValidPrefix } from './keys';
import {
  StorageNotFoundError,
  StorageUnavailableError,
  type ByteRange,
  type ObjectInfo,
  type ObjectStore,
  type PutOptions,
} from './object-store';

/** Temp files live here, inside the root (so rename stays on one filesystem) but outside the key space. */
export const INCOMING_DIR = '.incoming';

// Errors that say the disk or its mount is in trouble rather than that the caller asked for something wrong.
// ENOTDIR is among them because a key's parents are always directories the store makes itself: seeing it means
// the root itself sits under a file.
const UNAVAILABLE_CODES = new Set([
  'ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EACCES', 'EPERM', 'EMFILE', 'ENFILE', 'ENOTDIR', 'EBUSY', 'ENODEV',
  'ENXIO', 'ESTALE', 'ETIMEDOUT', 'ENOTCONN', 'EHOSTDOWN',
  // mkdir -p meeting a file where a folder of the store should be: the store is broken, not the request.
  'EEXIST',
]);

function mapError(err: unknown, doing: string): unknown {
  const code = errorCode(err);
  if (code && UNAVAILABLE_CODES.has(code)) {
    return new StorageUnavailableError(`filesystem store: ${doing}: ${errorMessage(err)}`, { cause: err });
  }
  return err;
}

function isAbsent(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

async function fsyncPath(p: string): Promise<void> {
  const handle = await open(p, 'r');
  try {
    await handle.sync();
  } catch (err) {
    // Some filesystems (and directories on some of them) cannot be synced; that is not a failed write.
    if (errorCode(err) !== 'EINVAL' && errorCode(err) !== 'ENOTSUP') throw err;
  } finally {
    await handle.close();
  }
}

const DAY_MS = 24 * 3600_000;
const WRITE_BUFFER = 4 * 1024 * 1024;

export class FilesystemStore implements ObjectStore {
  readonly driver = 'filesystem' as const;
  /** `<dataDir>/objects`: keys map to paths below it. */
  readonly root: string;
  readonly incoming: string;

  constructor(dataDir: string) {
    this.root = path.join(path.resolve(dataDir), 'objects');
    this.incoming = path.join(this.root, INCOMING_DIR);
  }

  /** Makes the root and removes temp files a crashed process left behind (older than a day, so never a live one). */
  async init(): Promise<void> {
    try {
      await mkdir(this.incoming, { recursive: true });
    } catch (err) {
      throw new StorageUnavailableError(`filesystem store: cannot create ${this.incoming}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    await this.sweepIncoming(DAY_MS);
  }

  /** Removes temp files not modified for `olderThanMs`; resolves with how many were removed. */
  async sweepIncoming(olderThanMs: number): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.incoming);
    } catch (err) {
      if (isAbsent(err)) return 0;
      throw mapError(err, 'sweeping temp files');
    }
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    for (const name of names) {
      const file = path.join(this.incoming, name);
      try {
        if ((await stat(file)).mtimeMs < cutoff) {
          await rm(file, { force: true });
          removed++;
        }
      } catch (err) {
        if (!isAbsent(err)) throw mapError(err, 'sweeping temp files');
      }
    }
    return removed;
  }

  private pathOf(key: string): string {
    return path.join(this.root, ...key.split('/'));
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<{ size: number }> {
    const { signal } = options;
    refusePut(key, body, signal);
    const target = this.pathOf(key);
    const temp = path.join(this.incoming, randomUUID());
    let placed = false;
    let out: WriteStream | undefined;
    try {
      await mkdir(this.incoming, { recursive: true });
      // A deep buffer lets the network side run ahead of the disk (writev batches what accumulates).
      out = createWriteStream(temp, { flags: 'wx', highWaterMark: WRITE_BUFFER });
      // pipeline keeps memory flat (backpressure) and destroys both ends on error or abort.
      await pipeline(body, out, signal ? { signal } : {});
      // fsync affects the file, not the descriptor: a fresh one is enough and keeps the stream code plain.
      await fsyncPath(temp);
      await this.moveIntoPlace(temp, target, () => (placed = true));
      return { size: out.bytesWritten };
    } catch (err) {
      body.destroy();
      // The file is opened asynchronously: a source that fails at once can reject the pipeline before the open
      // completes, and removing the temp file before then would leave the file the open creates afterwards.
      if (out && !out.closed) {
        out.destroy();
        await once(out, 'close').catch(() => undefined);
      }
      await rm(temp, { force: true }).catch(() => undefined);
      // The rename happened but its directory entry could not be made durable: better no object than one that
      // may vanish on a power cut after the caller was told it is stored.
      if (placed) await unlink(target).catch(() => undefined);
      if (signal?.aborted && errorCode(err) === 'ABORT_ERR') throw abortError(signal);
      throw mapError(err, `storing ${key}`);
    }
  }

  private async moveIntoPlace(temp: string, target: string, onPlaced: () => void): Promise<void> {
    const dir = path.dirname(target);
    for (let attempt = 1; ; attempt++) {
      const firstCreated = await mkdir(dir, { recursive: true });
      try {
        await rename(temp, target);
      } catch (err) {
        // A concurrent remove() may prune the fresh directory between mkdir and rename: make it again.
        if (errorCode(err) === 'ENOENT' && attempt < 3) continue;
        throw err;
      }
      onPlaced();
      // A rename is durable once its directory entry is, and a new directory once its parent's entry is.
      const top = firstCreated ? path.dirname(firstCreated) : dir;
      for (let d = dir; ; d = path.dirname(d)) {
        await fsyncPath(d);
        if (d === top || d === path.dirname(d)) break;
      }
      return;
    }
  }

  async readableLocation(key: string): Promise<string> {
    assertValidKey(key);
    return this.pathOf(key);
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    assertValidKey(key);
    try {
      const s = await stat(this.pathOf(key));
      return s.isFile() ? { key, size: s.size, lastModified: s.mtime } : null;
    } catch (err) {
      if (isAbsent(err)) return null;
      throw mapError(err, `reading ${key}`);
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    assertValidKey(key);
    if (range) assertValidRange(range);
    let handle;
    try {
      // Opening first turns "absent" into a rejection here rather than an error event on the stream later.
      handle = await open(this.pathOf(key), 'r');
    } catch (err) {
      if (isAbsent(err)) throw new StorageNotFoundError(key);
      throw mapError(err, `reading ${key}`);
    }
    try {
      const s = await handle.stat();
      if (!s.isFile()) throw new StorageNotFoundError(key);
      if (!range) return handle.createReadStream();
      if (range.start >= s.size) throw rangeNotSatisfiable(key, range, s.size);
      return handle.createReadStream({ start: range.start, end: Math.min(range.end, s.size - 1) });
    } catch (err) {
      await handle.close();
      throw mapError(err, `reading ${key}`);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    assertValidPrefix(prefix);
    // Start at the deepest directory the prefix names in full, so listing one recording does not walk them all.
    const slash = prefix.lastIndexOf('/');
    yield* this.walk(slash < 0 ? '' : prefix.slice(0, slash), prefix);
  }

  private async *walk(relDir: string, prefix: string): AsyncGenerator<ObjectInfo> {
    let dir;
    try {
      dir = await opendir(relDir ? this.pathOf(relDir) : this.root);
    } catch (err) {
      if (isAbsent(err)) return;
      throw mapError(err, `listing ${prefix}`);
    }
    // for await closes the directory handle however the loop ends.
    for await (const entry of dir) {
      if (relDir === '' && entry.name === INCOMING_DIR) continue;
      const key = relDir ? `${relDir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) yield* this.walk(key, prefix);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        try {
          const s = await stat(this.pathOf(key));
          yield { key, size: s.size, lastModified: s.mtime };
        } catch (err) {
          // Removed while we were listing: it is simply not there any more.
          if (!isAbsent(err)) throw mapError(err, `listing ${prefix}`);
        }
      }
    }
  }

  async remove(key: string): Promise<void> {
    assertValidKey(key);
    const file = this.pathOf(key);
    try {
      await unlink(file);
    } catch (err) {
      if (isAbsent(err)) return;
      throw mapError(err, `removing ${key}`);
    }
    // Without pruning, retention would leave one empty directory per deleted recording behind.
    for (let dir = path.dirname(file); dir.startsWith(this.root + path.sep); dir = path.dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty (or already gone): the parents are not empty either
      }
    }
  }

  async check(): Promise<void> {
    const probe = path.join(this.incoming, `check-${randomUUID()}`);
    try {
      await mkdir(this.incoming, { recursive: true });
      await writeFile(probe, 'probe');
      await rm(probe);
    } catch (err) {
      await rm(probe, { force: true }).catch(() => undefined);
      throw new StorageUnavailableError(`filesystem store at ${this.root} is not writable: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }

  async abortMultipart(): Promise<void> {
    // Puts here are one temp file and a rename: there is never a multipart upload to abort.
  }
}
