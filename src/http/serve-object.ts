import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { AppError } from '../errors';
import { StorageNotFoundError, type ByteRange, type ObjectStore } from '../../storage/object-store';

export type { ByteRange };

const RANGE_SPEC = /^(\d+)-(\d*)$/;
const SUFFIX_SPEC = /^-(\d+)$/;

/**
 * Parses a Range header against a size. Pure. Returns null when there is no Range header (serve whole),
 * 'unsatisfiable' for a syntactically valid range that lies past the end (→416), and 'ignore' for a malformed
 * or multi-range header (RFC 9110: a server MAY ignore Range → serve the whole object with 200). Otherwise the
 * inclusive {start,end}, with end clamped to size-1; supports `bytes=a-b`, `bytes=a-`, `bytes=-n` (suffix;
 * n=0 → unsatisfiable; n > size → whole).
 *
 * Details: the unit is matched case-insensitively and empty list elements are skipped (`bytes=0-1,` is one
 * range), as RFC 9110 asks of recipients. `a-b` with b < a is invalid, hence 'ignore'. Numbers of any length are
 * compared exactly (BigInt), so a position beyond Number.MAX_SAFE_INTEGER is just "past the end". A suffix range
 * on a zero-length object selects nothing that a 206 could describe: 'ignore' (the empty whole, 200).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | null | 'unsatisfiable' | 'ignore' {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`object size ${size} is not a byte count`);
  if (header === undefined) return null;
  const eq = header.indexOf('=');
  if (eq < 0 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return 'ignore';
  const specs = header
    .slice(eq + 1)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (specs.length !== 1) return 'ignore'; // none, or several (multipart/byteranges is not worth serving)
  const spec = specs[0]!;
  const total = BigInt(size);

  const suffix = SUFFIX_SPEC.exec(spec);
  if (suffix) {
    const length = BigInt(suffix[1]!);
    if (length === 0n) return 'unsatisfiable';
    if (size === 0) return 'ignore';
    return { start: length >= total ? 0 : size - Number(length), end: size - 1 };
  }

  const m = RANGE_SPEC.exec(spec);
  if (!m) return 'ignore';
  const first = BigInt(m[1]!);
  const last = m[2] === '' ? undefined : BigInt(m[2]!);
  if (last !== undefined && last < first) return 'ignore';
  if (first >= total) return 'unsatisfiable';
  return { start: Number(first), end: last === undefined || last >= total ? size - 1 : Number(last) };
}

export interface ServeOptions {
  contentType: string;
  /** strong validator, e.g. the SHA-256 (sent quoted; pass it bare or already quoted) */
  etag?: string;
  /** when set, Content-Disposition: attachment with RFC 6266 filename* (UTF-8, Chinese names must survive) and an ASCII fallback */
  downloadName?: string;
  /** extra headers, e.g. X-Content-SHA256 (sent on 200, 206 and HEAD answers) */
  headers?: Record<string, string>;
  /** default 'private, max-age=0, must-revalidate' */
  cacheControl?: string;
}

export interface ServeResult {
  /** 200, 206 or 304 (a 416 is thrown as an AppError). */
  status: number;
  /** The range served, null for the whole object (or none at all: 304, HEAD of the whole). */
  range: ByteRange | null;
  /** Bytes handed to the response (not necessarily received by the client when `aborted`). 0 for HEAD and 304. */
  bytes: number;
  /** The client went away before the body was complete: not a failure, but not a completed transfer either. */
  aborted: boolean;
}

const DEFAULT_CACHE_CONTROL = 'private, max-age=0, must-revalidate';
const ETAG = /^"[\x21\x23-\x7e]*"$/;

/**
 * Streams `key` (whose size the caller may pass to skip a stat) as the response: 200 or 206 with Content-Range,
 * 416 with `Content-Range: bytes * /size`, HEAD without a body, Accept-Ranges: bytes, Content-Length always,
 * ETag + If-None-Match → 304, If-Range (etag) honoured. On a client abort the store stream is destroyed (no
 * leaked file descriptors / sockets). Errors before the headers are sent are thrown (so Express 5's async error
 * handling makes problem+json); an error after streaming started destroys the response. Returns { status, bytes }
 * for the caller's logging/custody.
 *
 * More precisely:
 * - Absent object: StorageNotFoundError (from the stat, or from the store's get when `size` was passed). With
 *   `size` passed, a HEAD does not touch the store at all, so it cannot notice an absent object.
 * - Nothing is set on `res` until the store has handed over the stream, so a thrown error meets a clean response.
 * - A failure once streaming began (the store's stream errors, or it delivers more or fewer bytes than the
 *   Content-Length promised, e.g. a stale `size`) destroys the response and is then thrown too, so the caller
 *   does not record a completed transfer. problem.ts's error handler does not log errors that arrive after the
 *   headers were sent: log it in the route if it matters.
 * - A client that closes early is not an error: the promise resolves with `aborted: true`.
 * - If-Range with a date never matches (no Last-Modified is sent), so the whole object is served, as RFC 9110 says.
 */
export async function sendObject(
  req: Request,
  res: Response,
  store: ObjectStore,
  key: string,
  opts: ServeOptions & { size?: number },
): Promise<ServeResult> {
  let size = opts.size;
  if (size === undefined) {
    const info = await store.stat(key);
    if (!info) throw new StorageNotFoundError(key);
    size = info.size;
  }
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`object size ${size} is not a byte count`);
  const etag = opts.etag === undefined ? undefined : quoteEtag(opts.etag);
  const cacheControl = opts.cacheControl ?? DEFAULT_CACHE_CONTROL;
  const isHead = req.method === 'HEAD';
  // RFC 9110 defines Range (and conditional GET) for GET; HEAD answers with the headers GET would have.
  const rangeable = isHead || req.method === 'GET';

  if (rangeable && etag !== undefined) {
    const ifNoneMatch = req.headers['if-none-match'];
    if (ifNoneMatch !== undefined && noneMatchFails(ifNoneMatch, etag)) {
      res.statusCode = 304;
      res.setHeader('ETag', etag);
      res.setHeader('Cache-Control', cacheControl);
      res.end();
      return { status: 304, range: null, bytes: 0, aborted: false };
    }
  }

  let parsed = rangeable ? parseRange(req.headers.range, size) : null;
  const ifRange = req.headers['if-range'];
  // If-Range must match with the strong comparison; otherwise the Range is ignored and the whole object sent.
  if (parsed !== null && ifRange !== undefined && (etag === undefined || typeof ifRange !== 'string' || ifRange.trim() !== etag)) {
    parsed = null;
  }
  if (parsed === 'unsatisfiable') throw rangeNotSatisfiable(size);
  const range = parsed === null || parsed === 'ignore' ? null : parsed;

  let body: Readable | undefined;
  if (!isHead) {
    try {
      body = await store.get(key, range ?? undefined);
    } catch (err) {
      // The object shrank (or `size` was stale) between the caller's look and ours: answer against what is there.
      if (err instanceof RangeError && range) {
        const info = await store.stat(key);
        if (!info) throw new StorageNotFoundError(key);
        throw rangeNotSatisfiable(info.size);
      }
      throw err;
    }
  }

  const length = range ? range.end - range.start + 1 : size;
  const status = range ? 206 : 200;
  res.statusCode = status;
  for (const [name, value] of Object.entries(opts.headers ?? {})) res.setHeader(name, value);
  // setHeader, not Express's res.type/res.set: those would append "; charset=utf-8" to text types.
  res.setHeader('Content-Type', opts.contentType);
  res.setHeader('Content-Length', String(length));
  res.setHeader('Accept-Ranges', 'bytes');
  if (range) res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
  if (etag !== undefined) res.setHeader('ETag', etag);
  res.setHeader('Cache-Control', cacheControl);
  if (opts.downloadName !== undefined) res.setHeader('Content-Disposition', attachment(opts.downloadName));

  if (!body) {
    res.end();
    return { status, range, bytes: 0, aborted: false };
  }
  return stream(body, res, status, range, length);
}

async function stream(body: Readable, res: Response, status: number, range: ByteRange | null, length: number): Promise<ServeResult> {
  let bytes = 0;
  // Who ended the transfer early: the client (its connection closed) or the store side. The first to report
  // wins: pipeline destroys the other streams with the same error afterwards. These listeners are registered
  // before pipeline's own, so they hear the event first; they stay attached, which also keeps a late 'error'
  // from a destroyed stream from being unhandled.
  let culprit: 'client' | 'store' | undefined;
  const onStoreError = () => void (culprit ??= 'store');
  // A Content-Length that the store's bytes do not match would leave the client waiting or corrupt the
  // connection's framing: such a response must be cut off instead.
  const exact = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      if (bytes + chunk.length > length) return done(new Error(`the store sent more than the ${length} bytes expected`));
      bytes += chunk.length;
      done(null, chunk);
    },
    flush(done: TransformCallback) {
      done(bytes < length ? new Error(`the store sent ${bytes} of the ${length} bytes expected`) : null);
    },
  });
  body.on('error', onStoreError);
  exact.on('error', onStoreError);
  res.on('close', () => {
    if (!res.writableFinished) culprit ??= 'client';
  });
  // Closed while we waited for the store: pipeline will destroy the body at once.
  if (res.destroyed) culprit = 'client';
  try {
    await pipeline(body, exact, res);
    return { status, range, bytes, aborted: false };
  } catch (err) {
    // ERR_STREAM_PREMATURE_CLOSE (or a write error) because the viewer closed the tab or seeked: expected.
    // A client that hangs up the moment it has the last byte can beat the response's end() and 'finish': when
    // every byte was handed over, the transfer is as complete as 'finish' (bytes in the kernel) would have said.
    if (culprit === 'client') return { status, range, bytes, aborted: bytes < length };
    body.destroy();
    res.destroy();
    throw err;
  }
}

function rangeNotSatisfiable(size: number): AppError {
  return new AppError(416, 'range_not_satisfiable', `the requested range lies outside the object's ${size} bytes`, undefined, {
    'Content-Range': `bytes */${size}`,
    'Accept-Ranges': 'bytes',
  });
}

function quoteEtag(etag: string): string {
  const quoted = etag.startsWith('"') ? etag : `"${etag}"`;
  if (!ETAG.test(quoted)) throw new TypeError(`${JSON.stringify(etag)} cannot be sent as a strong entity tag`);
  return quoted;
}

/** If-None-Match with the weak comparison: true when it names our tag (or is `*`), i.e. the client has it. */
function noneMatchFails(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  for (const m of header.matchAll(/(?:W\/)?("[^"]*")/g)) if (m[1] === etag) return true;
  return false;
}

// RFC 5987 attr-char: what may stand unencoded in filename*.
const ATTR_CHAR = /^[A-Za-z0-9!#$&+\-.^_`|~]$/;

/** `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded UTF-8>` (RFC 6266). */
function attachment(name: string): string {
  let encoded = '';
  // Buffer.from replaces lone surrogates with U+FFFD where encodeURIComponent would throw.
  for (const byte of Buffer.from(name, 'utf8')) {
    const c = String.fromCharCode(byte);
    encoded += byte < 0x80 && ATTR_CHAR.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  // Old clients read only filename: keep it printable ASCII, without quotes, backslashes, percent signs (some
  // browsers decode %XX there) or path separators.
  const fallback =
    name
      .replace(/[^\x20-\x7e]+/g, '_')
      .replace(/["\\%/]/g, '_')
      .trim() || 'download';
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
