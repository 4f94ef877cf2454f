// Helpers the adapters share so that they fail the same way; not part of the public storage API.

import type { Readable } from 'node:stream';
import { assertValidKey } from './keys';
import type { ByteRange } from './object-store';

/** What a put rejects with when its AbortSignal fires: the same shape as Node's own AbortError. */
export function abortError(signal: AbortSignal): Error {
  const err = new Error('the put was aborted', { cause: signal.reason }) as Error & { code: string };
  err.name = 'AbortError';
  err.code = 'ABORT_ERR';
  return err;
}

/** Throws, after destroying the body, when a put must not start (a bad key, an already aborted signal). */
export function refusePut(key: string, body: Readable, signal: AbortSignal | undefined): void {
  let refusal: Error | undefined;
  try {
    assertValidKey(key);
  } catch (err) {
    refusal = err as Error;
  }
  refusal ??= signal?.aborted ? abortError(signal) : undefined;
  if (refusal) {
    body.destroy();
    throw refusal;
  }
}

/** Rejects ranges no store could serve; a range ending past the object is clamped by the stores instead. */
export function assertValidRange(range: ByteRange): void {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new RangeError(`byte range ${start}-${end} is not a valid inclusive range`);
  }
}

export function rangeNotSatisfiable(key: string, range: ByteRange, size: number): RangeError {
  return new RangeError(`byte range ${range.start}-${range.end} starts past the end of ${key} (${size} bytes)`);
}

export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
