import type { Readable } from 'node:stream';

/** What a store knows of one object. */
export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
}

/**
 * Who asks for a readable location and why (e.g. `{purpose: 'probe', requester: 'job probe-<id>'}`): a store
 * that hands out a credential for it (a presigned URL) logs the issue with these.
 */
export interface ReadUse {
  purpose: string;
  requester: string;
}

/** Inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface PutOptions {
  /** Known length in bytes, when the caller knows it (lets a store skip multipart for small objects). */
  size?: number;
  contentType?: string;
  /**
   * Aborting rejects the put (with an Error named `AbortError`) and leaves nothing behind. An abort that comes
   * after the last byte was read and the final request sent is too late: the put then resolves.
   */
  signal?: AbortSignal;
}

/**
 * Where a multipart upload in progress is remembered, so that one interrupted by a crash can be found
 * and aborted later (s3rver and some S3 servers cannot list their own unfinished uploads).
 */
export interface MultipartRegistry {
  started(key: string, uploadId: string): Promise<void>;
  finished(key: string, uploadId: string): Promise<void>;
}

/**
 * The object store. Keys are relative paths of safe characters (see keys.ts); objects are written once:
 * a put is atomic (the object appears whole or not at all) and an interrupted put leaves nothing behind.
 */
export interface ObjectStore {
  readonly driver: 'filesystem' | 'minio';
  /**
   * Streams `body` into the store under `key`; resolves with the number of bytes stored. Memory use does not
   * depend on the object's size. On failure `body` is destroyed, so its sender is not left waiting.
   */
  put(key: string, body: Readable, options?: PutOptions): Promise<{ size: number }>;
  /** null when there is no such object. */
  stat(key: string): Promise<ObjectInfo | null>;
  /**
   * The object's bytes, or an inclusive range of them (an end past the object is clamped). Rejects with
   * StorageNotFoundError when absent, and with RangeError when the range starts at or past the end.
   */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /**
   * Where a program such as ffmpeg can read the object itself, with seeking: a local path, or a URL that
   * stays valid for `validForS` seconds (a store may cap it: ask for what the job needs, e.g. its ffmpeg
   * timeout). Lets a 4 GB original be probed and thumbnailed without a copy.
   */
  readableLocation(key: string, validForS: number, use?: ReadUse): Promise<string>;
  /** Every object whose key starts with `prefix`, in no particular order. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Removes the object; removing an absent object is not an error. */
  remove(key: string): Promise<void>;
  /** Resolves when the store is reachable and writable enough to serve; rejects with the reason otherwise. */
  check(): Promise<void>;
  /** Aborts a multipart upload left over by a crash (a no-op for stores without multipart). */
  abortMultipart(key: string, uploadId: string): Promise<void>;
}

/** The object does not exist. */
export class StorageNotFoundError extends Error {
  readonly code = 'storage_not_found';
  constructor(readonly key: string) {
    super(`no object at ${key}`);
    this.name = 'StorageNotFoundError';
  }
}

/** The store could not be reached or refused the operation for a reason that may pass (disk full, server down). */
export class StorageUnavailableError extends Error {
  readonly code = 'storage_unavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageUnavailableError';
  }
}
