import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { AppError } from '../errors';
import { SNIFF_BYTES, sniffMedia, type MediaKind } from './sniff';

/**
 * Passes a file's bytes through unchanged while hashing them (SHA-256), counting them against the size
 * cap, and checking from the first bytes that they are audio or video. Nothing passes until the content
 * is recognized, so a refused file never reaches the store. Memory: at most SNIFF_BYTES held back.
 */
export class InspectingStream extends Transform {
  private readonly hash = createHash('sha256');
  private head: Buffer[] = [];
  private headLength = 0;
  private decided = false;
  size = 0;
  media: MediaKind | null = null;
  /** The client's fault that stopped the stream, when one did. */
  failure: AppError | null = null;

  constructor(
    private readonly filename: string,
    private readonly maxBytes: number,
  ) {
    // Room for a few network reads: the hashing and the store's writes then overlap instead of alternating.
    super({ highWaterMark: 1024 * 1024 });
  }

  get sha256(): string {
    return this.hash.copy().digest('hex');
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      return done(this.fail(413, 'too_large', `is larger than the ${this.maxBytes}-byte limit`));
    }
    this.hash.update(chunk);
    if (this.decided) return done(null, chunk);
    this.head.push(chunk);
    this.headLength += chunk.length;
    if (this.headLength < SNIFF_BYTES) return done();
    this.decide(done);
  }

  override _flush(done: TransformCallback): void {
    if (this.decided) return done();
    if (this.size === 0) return done(this.fail(415, 'empty_file', 'is empty'));
    this.decide(done);
  }

  private decide(done: TransformCallback): void {
    const head = Buffer.concat(this.head);
    this.media = sniffMedia(head);
    if (!this.media) return done(this.fail(415, 'not_media', 'is not audio or video (its content is not a known media container)'));
    this.decided = true;
    this.head = [];
    done(null, head);
  }

  private fail(status: number, code: string, what: string): AppError {
    this.failure = new AppError(status, code, `file "${this.filename}" ${what}`, 'file');
    return this.failure;
  }
}
