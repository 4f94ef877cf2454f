import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Upload, type HttpResponse, type PreviousUpload, type UploadOptions } from 'tus-js-client';
import { DockError, httpError, networkError } from './errors';
import type { DockUrlStorage } from './state';

/** What the server is told about a file and what identifies it for resuming. */
export interface UploadFile {
  path: string;
  realPath: string;
  size: number;
  mtimeMs: number;
  sha256: string;
}

/** The final answer of an upload. The hash is absent when the answer was not the final PATCH (see `upload`). */
export interface UploadOutcome {
  recordingId?: string;
  serverSha256?: string;
  duplicate: boolean;
}

export interface UploadCall {
  metadata: Record<string, string>;
  signal: AbortSignal;
  /** Bytes of the file the server has or is receiving, from the start of the file. */
  onProgress: (bytes: number) => void;
  /** The server already holds this many bytes: they are skipped, not sent. */
  onResume?: (offset: number) => void;
}

export interface DockApi {
  /** Which of these hashes (lowercase hex) the server already stores. At most 500 a call. */
  lookup(hashes: string[], signal?: AbortSignal): Promise<Set<string>>;
  upload(file: UploadFile, call: UploadCall): Promise<UploadOutcome>;
  /**
   * Forgets the file's upload URL. Kept until then on purpose: until the recording is verified, or the
   * file refused for good, the next attempt (or run) should resume that upload rather than send it again.
   */
  release(file: UploadFile): Promise<void>;
}

export interface ApiConfig {
  server: string;
  token: string;
  storage: DockUrlStorage;
  chunkSize: number;
  /** tus-js-client's own retries within one upload; it resets them whenever bytes get through. */
  retryDelays: number[];
  /**
   * An upload with no progress and no answer for this long (plus the time the server may take to ingest
   * the file, see `patienceMs`) is cut and retried: Node's HTTP client has no timeout of its own.
   */
  stallTimeoutMs: number;
  requestTimeoutMs: number;
}

/**
 * The server answers the last PATCH only once the recording is made, which means reading the whole file
 * again (hash, object store): silence then is not a stall. Allowed: 20 MiB/s, the slow end of a store.
 */
const INGEST_BYTES_PER_MS = (20 * 1024 * 1024) / 1000;

export function patienceMs(stallTimeoutMs: number, size: number): number {
  return stallTimeoutMs + Math.ceil(size / INGEST_BYTES_PER_MS);
}

export function serverBase(server: string): string {
  return server.replace(/\/+$/, '');
}

/**
 * Identifies one upload of one file to one server, for resuming. Path, size and mtime say it is the same
 * file on the same recorder; the content hash guards against a recorder that reuses names; the endpoint
 * keeps one server's upload URL from being tried on another. Hashed to a fixed length because
 * FileUrlStorage finds entries by prefix.
 */
export function uploadFingerprint(file: UploadFile, endpoint: string): string {
  const parts = ['bce-dock/1', endpoint, file.realPath, file.size, Math.trunc(file.mtimeMs), file.sha256];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

type HeaderReader = (name: string) => string | null | undefined;

function header(res: HttpResponse, name: string): string | undefined {
  const value = res.getHeader(name) as string | string[] | undefined;
  return Array.isArray(value) ? value[0] : (value ?? undefined);
}

/** The recording headers of an answer (tus-js-client's or fetch's); empty values count as absent. */
export function outcomeOf(get: HeaderReader): UploadOutcome {
  const sha = get('X-Content-SHA256')?.trim();
  return {
    recordingId: get('X-Recording-Id')?.trim() || undefined,
    serverSha256: sha ? sha.toLowerCase() : undefined,
    duplicate: /^(true|1)$/i.test(get('X-Recording-Duplicate')?.trim() ?? ''),
  };
}

interface TusErrorShape {
  message?: string;
  originalRequest?: { getMethod(): string } | null;
  originalResponse?: HttpResponse | null;
  causingError?: Error | null;
}

/** Turns what tus-js-client reports into our kinds (errors.ts), which decide the retries. */
export function classifyTusError(err: unknown): DockError {
  if (err instanceof DockError) return err;
  const e = (err ?? {}) as TusErrorShape;
  const method = e.originalRequest?.getMethod() ?? 'upload';
  if (e.originalResponse) return httpError(e.originalResponse.getStatus(), e.originalResponse.getBody() ?? '', true, method);
  const cause = e.causingError ?? null;
  // tus-js-client's own check that the file still has the size it was created with.
  if (cause && /source is done after/.test(cause.message)) return new DockError('changed', `the file changed while uploading: ${cause.message}`);
  if (e.originalRequest) return networkError(cause ?? err, method);
  // No request was made: opening or reading the file failed.
  const code = (err as NodeJS.ErrnoException).code;
  return new DockError('read', `cannot read the file: ${code ? `${code} ` : ''}${e.message ?? String(err)}`, { code });
}

function newest(previous: PreviousUpload[]): PreviousUpload {
  return [...previous].sort((a, b) => (Date.parse(b.creationTime) || 0) - (Date.parse(a.creationTime) || 0))[0];
}

export function createApi(config: ApiConfig): DockApi {
  const base = serverBase(config.server);
  const endpoint = `${base}/api/uploads`;
  const authorization = `Bearer ${config.token}`;

  async function lookup(hashes: string[], signal?: AbortSignal): Promise<Set<string>> {
    const timeout = AbortSignal.timeout(config.requestTimeoutMs);
    let text: string;
    let status: number;
    try {
      const res = await fetch(`${base}/api/recordings/lookup`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ sha256: hashes }),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      if (signal?.aborted) throw new DockError('aborted', 'stopped');
      throw networkError(err, 'lookup');
    }
    if (status < 200 || status > 299) throw httpError(status, text, false, 'lookup');
    let known: unknown;
    try {
      known = (JSON.parse(text) as { known?: unknown }).known;
    } catch {
      known = undefined;
    }
    if (!Array.isArray(known) || !known.every((h) => typeof h === 'string')) {
      throw new DockError('server', `lookup: ${status} without {known:[...]}`, { status });
    }
    return new Set((known as string[]).map((h) => h.toLowerCase()));
  }

  /**
   * tus-js-client counts an upload done once the server holds every byte, but the recording may not exist
   * yet: the ingest of the last PATCH may have failed (storage down) with the bytes kept. An empty PATCH at
   * the full offset asks the server to finish it, and for a finished one repeats its answer. A 404/410 (the
   * server no longer keeps the upload) leaves the decision to a lookup.
   */
  async function finishUpload(url: string, size: number, signal: AbortSignal, timeoutMs: number): Promise<UploadOutcome> {
    let res: Response;
    let body: string;
    try {
      res = await fetch(url, {
        method: 'PATCH',
        headers: {
          authorization,
          'tus-resumable': '1.0.0',
          'upload-offset': String(size),
          'content-type': 'application/offset+octet-stream',
        },
        body: new Uint8Array(0),
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      });
      body = await res.text();
    } catch (err) {
      if (signal.aborted) throw new DockError('aborted', 'stopped');
      throw networkError(err, 'PATCH');
    }
    if (res.status === 404 || res.status === 410) return { duplicate: false };
    if (res.status < 200 || res.status > 299) throw httpError(res.status, body, true, 'PATCH');
    return outcomeOf((name) => res.headers.get(name));
  }

  /**
   * One tus upload of one file, resumed from the state file when an earlier run (or attempt) started it.
   * Resolves with the recording headers of the last answer (the final PATCH, or a HEAD of an upload that
   * was already complete); when there are none, after asking the server to finish the upload.
   */
  function upload(file: UploadFile, call: UploadCall): Promise<UploadOutcome> {
    if (call.signal.aborted) return Promise.reject(new DockError('aborted', 'stopped'));
    const fingerprint = uploadFingerprint(file, endpoint);
    const patience = patienceMs(config.stallTimeoutMs, file.size);
    return new Promise<UploadOutcome>((resolve, reject) => {
      let settled = false;
      let lastActivity = Date.now();
      const touch = (): void => {
        lastActivity = Date.now();
      };
      // Read-only; tus-js-client only takes its path and reads slices through streams of its own.
      const source = createReadStream(file.path, { flags: 'r' });
      // An open failure also reaches onError (tus-js-client stats the path); this only keeps it from being unhandled.
      source.on('error', () => undefined);

      const finish = (settle: () => void): void => {
        if (settled) return;
        settled = true;
        clearInterval(watchdog);
        call.signal.removeEventListener('abort', onAbort);
        source.destroy();
        settle();
      };
      const fail = (err: DockError): void => finish(() => reject(err));

      const options: UploadOptions = {
        endpoint,
        uploadSize: file.size,
        chunkSize: config.chunkSize,
        metadata: call.metadata,
        headers: { Authorization: authorization },
        retryDelays: config.retryDelays,
        urlStorage: config.storage,
        fingerprint: () => Promise.resolve(fingerprint),
        storeFingerprintForResuming: true,
        removeFingerprintOnSuccess: false,
        onShouldRetry: (err) => !call.signal.aborted && classifyTusError(err).retryable,
        onBeforeRequest: touch,
        onAfterResponse: (req, res) => {
          touch();
          if (req.getMethod() === 'HEAD' && res.getStatus() >= 200 && res.getStatus() < 300) {
            const offset = Number.parseInt(header(res, 'Upload-Offset') ?? '', 10);
            if (Number.isFinite(offset)) call.onResume?.(offset);
          }
        },
        onProgress: (sent) => {
          touch();
          call.onProgress(sent);
        },
        onSuccess: ({ lastResponse }) => {
          const outcome = outcomeOf((name) => header(lastResponse, name));
          if (outcome.recordingId || outcome.serverSha256 || !upload.url) {
            finish(() => resolve(outcome));
            return;
          }
          // finishUpload has a timeout of its own.
          clearInterval(watchdog);
          finishUpload(upload.url, file.size, call.signal, patience).then(
            (finished) => finish(() => resolve(finished)),
            (err: unknown) => fail(classifyTusError(err)),
          );
        },
        onError: (err) => fail(classifyTusError(err)),
      };
      const upload = new Upload(source, options);

      const onAbort = (): void => {
        void upload.abort(false);
        fail(new DockError('aborted', 'stopped'));
      };
      call.signal.addEventListener('abort', onAbort);
      const watchdog = setInterval(
        () => {
          if (Date.now() - lastActivity <= patience) return;
          void upload.abort(false);
          fail(new DockError('network', `no progress and no answer for ${Math.round(patience / 1000)} s`));
        },
        Math.max(50, Math.min(5000, config.stallTimeoutMs / 4)),
      );
      watchdog.unref();

      upload.findPreviousUploads().then(
        (previous) => {
          if (settled) return;
          if (previous.length > 0) upload.resumeFromPreviousUpload(newest(previous));
          upload.start();
        },
        (err: unknown) => fail(new DockError('read', `cannot prepare the upload: ${(err as Error).message}`)),
      );
    });
  }

  async function release(file: UploadFile): Promise<void> {
    await config.storage.forget(uploadFingerprint(file, endpoint));
  }

  return { lookup, upload, release };
}
