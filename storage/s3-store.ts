import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { Client } from 'minio';
import type { Config } from '../config/schema';
import { abortError, assertValidRange, errorCode, errorMessage, rangeNotSatisfiable, refusePut } from './internal';
import { assertValidKey, assertValidPrefix } from './keys';
import {
  StorageNotFoundError,
  StorageUnavailableError,
  type ByteRange,
  type MultipartRegistry,
  type ObjectInfo,
  type ObjectStore,
  type PutOptions,
  type ReadUse,
} from './object-store';

export type S3StoreConfig = Omit<Extract<Config['storage'], { driver: 'minio' }>, 'driver' | 'dataDir'>;

/** The part of a pino logger the store uses. */
export interface StoreLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface S3StoreDeps {
  registry?: MultipartRegistry;
  logger?: StoreLogger;
  /**
   * How long a request may wait for the connection, for sending its body or for the answer's headers before it
   * fails as unavailable. minio-js itself never times out, so a hung server would hang every caller.
   */
  requestTimeoutMs?: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
/**
 * The longest validity of a presigned URL (S3 allows 7 days). Media jobs ask for their ffmpeg timeout plus a
 * margin: with the default timeouts (300 s + 2 s per second of footage) that is under 12 hours for any
 * recording up to 5 hours long. S3 checks the expiry when a request starts: ffmpeg's streaming read goes on,
 * but a later request (a seek, a reconnect) of a job that outlives its URL is refused and the job fails.
 */
export const MAX_PRESIGNED_S = 12 * 3600;
const CHECK_TIMEOUT_MS = 10_000;

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN',
  'ENOTFOUND', 'EAI_AGAIN', 'ERR_STREAM_PREMATURE_CLOSE',
]);
// S3 error codes that mean "the service, not the request, is at fault; try later".
const SERVER_CODES = new Set([
  'InternalError', 'ServiceUnavailable', 'SlowDown', 'RequestTimeout', 'XMinioServerNotInitialized',
]);
const ABSENT_CODES = new Set(['NotFound', 'NoSuchKey']);
// Servers without an operation: minio-js names a bodiless 405 or 501 MethodNotAllowed, otherwise the server's XML
// code counts (s3rver: MethodNotAllowed for AbortMultipartUpload, NotImplemented for ListMultipartUploads).
const UNSUPPORTED_CODES = new Set(['MethodNotAllowed', 'NotImplemented']);

function mapError(err: unknown, doing: string): unknown {
  const code = errorCode(err);
  const message = errorMessage(err);
  // minio-js retries 5xx answers once and then throws a plain Error with only this message to go on.
  const retriedOut = /^Request failed after \d+ retries/.test(message);
  if ((code && (NETWORK_CODES.has(code) || SERVER_CODES.has(code))) || retriedOut) {
    return new StorageUnavailableError(`object store: ${doing}: ${message}`, { cause: err });
  }
  return err;
}

/**
 * minio-js's request has no timeout at all. This transport gives each request one until its answer starts;
 * the answer's body is then left untimed because a slow reader (a paused video player) is not a dead server.
 */
function timedTransport(base: typeof http | typeof https, timeoutMs: number): Pick<typeof http, 'request'> {
  const request = (options: http.RequestOptions, callback?: (res: http.IncomingMessage) => void) => {
    const req = base.request(options, callback);
    req.setTimeout(timeoutMs, () => {
      const err = new Error(`no answer from the object store within ${timeoutMs} ms`) as Error & { code: string };
      err.code = 'ETIMEDOUT';
      req.destroy(err);
    });
    req.once('response', () => req.setTimeout(0));
    return req;
  };
  return { request: request as unknown as typeof http.request };
}

function clientFor(config: S3StoreConfig, timeoutMs: number): Client {
  const url = new URL(config.endPoint);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`object store endpoint ${config.endPoint} must start with http:// or https://`);
  }
  if (url.pathname !== '/' || url.search) {
    throw new Error(`object store endpoint ${config.endPoint} must not have a path: the bucket is set separately`);
  }
  const useSSL = url.protocol === 'https:';
  return new Client({
    endPoint: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: config.accessKey,
    secretKey: config.secretKey,
    // A fixed region also spares minio-js a GetBucketLocation round trip before the first request.
    region: config.region,
    pathStyle: true,
    transport: timedTransport(useSSL ? https : http, timeoutMs),
  });
}

/** Cuts a stream into buffers of exactly `partSize` bytes (the last one shorter), one buffer alive at a time here. */
async function* readParts(body: Readable, partSize: number): AsyncGenerator<Buffer> {
  let part = Buffer.allocUnsafe(partSize);
  let filled = 0;
  let yielded = false;
  for await (const raw of body) {
    const chunk: Buffer = typeof raw === 'string' ? Buffer.from(raw) : raw;
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(partSize - filled, chunk.length - offset);
      chunk.copy(part, filled, offset, offset + n);
      filled += n;
      offset += n;
      if (filled === partSize) {
        yield part;
        yielded = true;
        // A fresh buffer: the one just yielded belongs to its upload until that finishes.
        part = Buffer.allocUnsafe(partSize);
        filled = 0;
      }
    }
  }
  if (filled > 0 || !yielded) yield part.subarray(0, filled);
}

/**
 * The answer to a range request, cut to the length asked for. s3rver reads `Range: bytes=0-0` as `bytes=0-` and
 * sends the whole object; a store that over-delivers must not make a one-byte probe stream gigabytes.
 */
function atMost(res: Readable, length: number): Readable {
  const sent = Number((res as Partial<IncomingMessage>).headers?.['content-length']);
  if (!(sent > length)) return res;
  return Readable.from(
    (async function* () {
      let left = length;
      // Leaving the loop early destroys the response, so the rest is never read off the socket.
      for await (const chunk of res as AsyncIterable<Buffer>) {
        if (chunk.length >= left) {
          yield chunk.subarray(0, left);
          return;
        }
        left -= chunk.length;
        yield chunk;
      }
    })(),
    { objectMode: false },
  );
}

export class S3Store implements ObjectStore {
  readonly driver = 'minio' as const;
  readonly bucket: string;
  private readonly client: Client;
  private readonly partSize: number;
  private readonly partConcurrency: number;
  private readonly registry?: MultipartRegistry;
  private readonly logger?: StoreLogger;
  private readonly requestTimeoutMs: number;

  constructor(
    private readonly config: S3StoreConfig,
    deps: S3StoreDeps = {},
  ) {
    // S3 refuses parts under 5 MiB (except the last), so a smaller setting would only fail later, on the server.
    if (!Number.isSafeInteger(config.partSize) || config.partSize < 5 * 1024 ** 2) {
      throw new Error(`object store part size ${config.partSize} must be a whole number of bytes, at least 5 MiB`);
    }
    if (!Number.isSafeInteger(config.partConcurrency) || config.partConcurrency < 1) {
      throw new Error(`object store part concurrency ${config.partConcurrency} must be at least 1`);
    }
    this.bucket = config.bucket;
    this.partSize = config.partSize;
    this.partConcurrency = config.partConcurrency;
    this.registry = deps.registry;
    this.logger = deps.logger;
    this.requestTimeoutMs = deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.client = clientFor(config, this.requestTimeoutMs);
  }

  /** Creates the bucket when the configuration asks for it and it is missing. */
  async init(): Promise<void> {
    if (!this.config.createBucket) return;
    try {
      if (await this.client.bucketExists(this.bucket)) return;
      await this.client.makeBucket(this.bucket, this.config.region);
      this.logger?.info({ bucket: this.bucket }, 'created the object store bucket');
    } catch (err) {
      // Another process starting at the same moment may have made it first.
      if (errorCode(err) === 'BucketAlreadyOwnedByYou') return;
      throw mapError(err, `creating bucket ${this.bucket}`);
    }
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<{ size: number }> {
    const { signal } = options;
    refusePut(key, body, signal);
    // Destroying the body makes the part reader throw at once, whatever it is waiting for.
    const onAbort = () => body.destroy(abortError(signal!));
    signal?.addEventListener('abort', onAbort, { once: true });
    const headers: Record<string, string> = options.contentType ? { 'Content-Type': options.contentType } : {};
    const parts = readParts(body, this.partSize);
    try {
      const first = await parts.next();
      const head = first.done ? Buffer.alloc(0) : first.value;
      if (head.length < this.partSize) {
        // The whole object is in hand: one plain PUT. A Buffer with its size keeps minio-js off its own
        // multipart path (which buffers ~528 MiB parts and calls ListMultipartUploads first).
        await this.client.putObject(this.bucket, key, head, head.length, headers);
        return { size: head.length };
      }
      return await this.putMultipart(key, head, parts, headers, signal);
    } catch (err) {
      body.destroy();
      if (signal?.aborted) throw abortError(signal);
      throw mapError(err, `storing ${key}`);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      // Releases the reader (and the part buffer it holds) if we left early.
      await parts.return(undefined).catch(() => undefined);
    }
  }

  private async putMultipart(
    key: string,
    first: Buffer,
    parts: AsyncGenerator<Buffer>,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<{ size: number }> {
    const uploadId = await this.client.initiateNewMultipartUpload(this.bucket, key, headers);
    try {
      await this.registry?.started(key, uploadId);
    } catch (err) {
      await this.abandon(key, uploadId, err);
      throw err;
    }
    const etags: { part: number; etag: string }[] = [];
    const inFlight = new Set<Promise<void>>();
    let failure: { error: unknown } | undefined;
    let size = 0;
    try {
      let part: Buffer | undefined = first;
      for (let partNumber = 1; part; partNumber++) {
        const number = partNumber;
        const payload: Buffer = part;
        size += payload.length;
        // The handlers are attached here, at once: a part failing while we wait on the body must not become
        // an unhandled rejection.
        const upload: Promise<void> = this.client
          .uploadPart(
            { bucketName: this.bucket, objectName: key, uploadID: uploadId, partNumber: number, headers: {} },
            payload,
          )
          .then(
            (res) => void etags.push({ part: number, etag: res.etag }),
            (error: unknown) => void (failure ??= { error }),
          )
          .finally(() => inFlight.delete(upload));
        inFlight.add(upload);
        part = undefined;
        // Bounded memory: at most partConcurrency parts uploading plus the one being filled.
        if (inFlight.size >= this.partConcurrency) await Promise.race(inFlight);
        if (failure) break;
        const next = await parts.next();
        part = next.done ? undefined : next.value;
      }
    } catch (error) {
      failure ??= { error };
    }
    // Every part must have settled before an abort: a part landing after it would re-create the upload.
    await Promise.all(inFlight);
    if (!failure && signal?.aborted) failure = { error: abortError(signal) };
    if (!failure) {
      try {
        etags.sort((a, b) => a.part - b.part);
        await this.client.completeMultipartUpload(this.bucket, key, uploadId, etags);
      } catch (error) {
        failure = { error };
      }
    }
    if (failure) {
      await this.abandon(key, uploadId, failure.error);
      throw failure.error;
    }
    await this.registry?.finished(key, uploadId).catch((err: unknown) => {
      // The object is complete; a stale registry entry only leads to a harmless abort of a finished upload.
      this.logger?.error({ err, key, uploadId }, 'could not mark a completed multipart upload as finished');
    });
    return { size };
  }

  /** Aborts a failed upload and, when nothing more can be done about it, tells the registry it is over. */
  private async abandon(key: string, uploadId: string, cause: unknown): Promise<void> {
    let over: boolean;
    try {
      over = await this.tryAbort(key, uploadId);
    } catch (err) {
      // Keep it registered: whoever sweeps the registry can abort it once the server is back.
      this.logger?.error({ err, cause, key, uploadId }, 'could not abort a failed multipart upload');
      return;
    }
    if (!over) return;
    await this.registry?.finished(key, uploadId).catch((err: unknown) => {
      this.logger?.error({ err, key, uploadId }, 'could not mark an aborted multipart upload as finished');
    });
  }

  /** true when the upload is gone or the server cannot abort uploads at all; throws when it may succeed later. */
  private async tryAbort(key: string, uploadId: string): Promise<boolean> {
    try {
      await this.client.abortMultipartUpload(this.bucket, key, uploadId);
      return true;
    } catch (err) {
      const code = errorCode(err);
      if (code === 'NoSuchUpload') return true;
      if (code && UNSUPPORTED_CODES.has(code)) {
        this.logger?.warn({ key, uploadId, code }, 'the object store cannot abort multipart uploads; its parts stay');
        return true;
      }
      throw mapError(err, `aborting the multipart upload of ${key}`);
    }
  }

  async abortMultipart(key: string, uploadId: string): Promise<void> {
    assertValidKey(key);
    await this.tryAbort(key, uploadId);
  }

  /**
   * A presigned GET: ffmpeg reads over HTTP with Range requests and needs no credentials of its own. The URL is
   * a bearer credential for one original, so it lives as long as the job asked for (its ffmpeg timeout and a
   * margin), never more than MAX_PRESIGNED_S, and each issue is logged (the URL itself never is).
   */
  async readableLocation(key: string, validForS: number, use: ReadUse = { purpose: 'unspecified', requester: 'unspecified' }): Promise<string> {
    assertValidKey(key);
    const asked = Math.ceil(validForS);
    const expiresS = Math.max(1, Math.min(MAX_PRESIGNED_S, Number.isFinite(asked) ? asked : MAX_PRESIGNED_S));
    if (!(asked <= MAX_PRESIGNED_S)) {
      this.logger?.warn({ key, ...use, askedS: validForS, expiresS }, `presigned URL validity capped at ${MAX_PRESIGNED_S} s`);
    }
    const issuedAt = new Date();
    let url: string;
    try {
      url = await this.client.presignedGetObject(this.bucket, key, expiresS, {}, issuedAt);
    } catch (err) {
      throw mapError(err, `presigning ${key}`);
    }
    const expiresAt = new Date(issuedAt.getTime() + expiresS * 1000).toISOString();
    this.logger?.info({ bucket: this.bucket, key, purpose: use.purpose, requester: use.requester, expiresS, expiresAt }, 'presigned URL issued');
    return url;
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    assertValidKey(key);
    try {
      const s = await this.client.statObject(this.bucket, key);
      return { key, size: s.size, lastModified: s.lastModified };
    } catch (err) {
      if (ABSENT_CODES.has(errorCode(err) ?? '')) return null;
      throw mapError(err, `reading ${key}`);
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    assertValidKey(key);
    if (range) assertValidRange(range);
    try {
      if (!range) return await this.client.getObject(this.bucket, key);
      const length = range.end - range.start + 1;
      const res = await this.client.getPartialObject(this.bucket, key, range.start, length);
      return atMost(res, length);
    } catch (err) {
      const code = errorCode(err);
      if (code && ABSENT_CODES.has(code)) throw new StorageNotFoundError(key);
      if (range && code === 'InvalidRange') {
        const size = (await this.stat(key))?.size;
        if (size === undefined) throw new StorageNotFoundError(key);
        throw rangeNotSatisfiable(key, range, size);
      }
      throw mapError(err, `reading ${key}`);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    assertValidPrefix(prefix);
    try {
      // recursive: no delimiter, so every key under the prefix comes back and no "directories".
      for await (const item of this.client.listObjectsV2(this.bucket, prefix, true)) {
        if (item.name !== undefined) yield { key: item.name, size: item.size, lastModified: item.lastModified };
      }
    } catch (err) {
      throw mapError(err, `listing ${prefix}`);
    }
  }

  async remove(key: string): Promise<void> {
    assertValidKey(key);
    try {
      await this.client.removeObject(this.bucket, key);
    } catch (err) {
      if (ABSENT_CODES.has(errorCode(err) ?? '')) return;
      throw mapError(err, `removing ${key}`);
    }
  }

  async check(): Promise<void> {
    // A health check has to answer sooner than a part upload may take. The losing promise of the race keeps
    // its handlers, so a late failure of the request is not an unhandled rejection.
    const limitMs = Math.min(this.requestTimeoutMs, CHECK_TIMEOUT_MS);
    let timer: NodeJS.Timeout | undefined;
    const answer = this.client.bucketExists(this.bucket).then(
      (exists) => ({ exists, error: undefined as unknown }),
      (error: unknown) => ({ exists: false, error }),
    );
    const timeout = new Promise<{ exists: boolean; error: unknown }>((resolve) => {
      timer = setTimeout(() => resolve({ exists: false, error: new Error(`no answer within ${limitMs} ms`) }), limitMs);
    });
    const { exists, error } = await Promise.race([answer, timeout]).finally(() => clearTimeout(timer));
    if (error !== undefined) {
      throw new StorageUnavailableError(
        `object store at ${this.config.endPoint} is not reachable: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    if (!exists) {
      throw new StorageUnavailableError(`object store at ${this.config.endPoint} has no bucket ${this.bucket}`);
    }
  }
}
