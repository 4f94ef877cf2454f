import { readFile, rename } from 'node:fs/promises';
import * as tus from 'tus-js-client';
import type { PreviousUpload, UrlStorage } from 'tus-js-client';

/** tus-js-client exports FileUrlStorage in Node but its type declarations do not name it. */
type FileUrlStorageClass = new (file: string) => UrlStorage;

function fileUrlStorageClass(): FileUrlStorageClass {
  const ctor = (tus as unknown as { FileUrlStorage?: FileUrlStorageClass }).FileUrlStorage;
  if (typeof ctor !== 'function') throw new Error('tus-js-client has no FileUrlStorage (is the browser build loaded?)');
  return ctor;
}

export interface StateOptions {
  /** Told when the state cannot be kept: uploads go on, but a crash would restart them from zero. */
  warn: (message: string) => void;
  /** Waits between attempts at a locked state file; proper-lockfile calls a lock stale after 10 s. */
  lockRetryDelaysMs?: number[];
  sleep?: (ms: number) => Promise<void>;
}

const DEFAULT_LOCK_RETRIES = [100, 250, 500, 1000, 2000, 4000, 4000];

/**
 * The list of unfinished uploads (fingerprint → upload URL) that lets a restarted client resume, kept in
 * tus-js-client's FileUrlStorage. Around it:
 * - calls are serialized in this process, because FileUrlStorage's cross-process lock gives up after about
 *   0.6 s, and tus-js-client does not catch a failed save (it would be an unhandled rejection);
 * - a lock left by a crashed client is waited out (stale after 10 s) rather than failing;
 * - a failure to save or remove is reported and swallowed: it only costs resumability, never the upload.
 */
export class DockUrlStorage implements UrlStorage {
  private readonly inner: UrlStorage;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly delays: number[];
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    readonly file: string,
    private readonly options: StateOptions,
  ) {
    this.inner = new (fileUrlStorageClass())(file);
    this.delays = options.lockRetryDelaysMs ?? DEFAULT_LOCK_RETRIES;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  findAllUploads(): Promise<PreviousUpload[]> {
    return this.serial('read the upload state', () => this.inner.findAllUploads(), []);
  }

  findUploadsByFingerprint(fingerprint: string): Promise<PreviousUpload[]> {
    return this.serial('read the upload state', () => this.inner.findUploadsByFingerprint(fingerprint), []);
  }

  removeUpload(urlStorageKey: string): Promise<void> {
    return this.serial('remove a finished upload from the state', () => this.inner.removeUpload(urlStorageKey), undefined);
  }

  addUpload(fingerprint: string, upload: PreviousUpload): Promise<string> {
    // With an empty key tus-js-client neither saves again nor tries to remove the entry later.
    return this.serial('save the upload state', () => this.inner.addUpload(fingerprint, upload), '');
  }

  /** Waits for saves and removals in flight: tus-js-client does not wait for the removal after a success. */
  async flush(): Promise<void> {
    await this.queue;
  }

  /** Removes every entry of a fingerprint: after a refusal there is nothing left to resume. */
  async forget(fingerprint: string): Promise<void> {
    for (const previous of await this.findUploadsByFingerprint(fingerprint)) await this.removeUpload(previous.urlStorageKey);
  }

  /** Drops entries of uploads started long ago: the server will have expired them. */
  async prune(olderThanMs: number, now = Date.now()): Promise<number> {
    let removed = 0;
    for (const previous of await this.findAllUploads()) {
      const created = Date.parse(previous.creationTime);
      if (Number.isFinite(created) && now - created > olderThanMs) {
        await this.removeUpload(previous.urlStorageKey);
        removed++;
      }
    }
    return removed;
  }

  private serial<T>(what: string, op: () => Promise<T>, fallback: T): Promise<T> {
    const next = this.queue.then(async () => {
      let lastErr: unknown;
      for (let attempt = 0; attempt <= this.delays.length; attempt++) {
        try {
          return await op();
        } catch (err) {
          lastErr = err;
          if (attempt < this.delays.length) await this.sleep(this.delays[attempt]);
        }
      }
      this.options.warn(`cannot ${what} in ${this.file}: ${(lastErr as Error).message}; an interrupted upload will restart from zero`);
      return fallback;
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/**
 * A state file cut short by a crash mid-write is unreadable for every later run; set it aside (kept for
 * inspection) so that docking goes on. Returns the name it was moved to, if it was.
 */
export async function setAsideIfCorrupt(file: string, now = new Date()): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  if (!text.trim()) return null;
  try {
    const data: unknown = JSON.parse(text);
    if (data && typeof data === 'object' && !Array.isArray(data)) return null;
  } catch {
    // unreadable: set aside below
  }
  const aside = `${file}.corrupt-${now.toISOString().replace(/[:.]/g, '')}`;
  await rename(file, aside);
  return aside;
}
