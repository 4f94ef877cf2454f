import { mkdir, open, rm, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Db } from '../db/pool';
import type { IngestFields, IngestedRecording } from './types';

/** One row of tus_uploads: an upload in progress, or one that became a recording. */
export interface TusUpload {
  id: string;
  userId: number;
  length: number;
  offset: number;
  filename: string;
  fields: IngestFields;
  createdAt: Date;
  completedAt: Date | null;
  recordingId: string | null;
  sha256: string | null;
  duplicate: boolean | null;
}

const COLUMNS = `id, user_id AS "userId", length, upload_offset AS "offset", filename, fields, created_at AS "createdAt",
  completed_at AS "completedAt", recording_id AS "recordingId", sha256, duplicate`;

export async function insertUpload(db: Db, u: { id: string; userId: number; length: number; filename: string; fields: IngestFields }): Promise<void> {
  await db.query('INSERT INTO tus_uploads (id, user_id, length, filename, fields) VALUES ($1, $2, $3, $4, $5)', [
    u.id,
    u.userId,
    u.length,
    u.filename,
    JSON.stringify(u.fields),
  ]);
}

export async function findUpload(db: Db, id: string): Promise<TusUpload | null> {
  const { rows } = await db.query<TusUpload>(`SELECT ${COLUMNS} FROM tus_uploads WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

/** Moves the offset only from the value the caller read: a writer that lost its lock cannot undo another's work. */
export async function recordOffset(db: Db, id: string, from: number, to: number): Promise<boolean> {
  const { rowCount } = await db.query(
    'UPDATE tus_uploads SET upload_offset = $3, updated_at = now() WHERE id = $1 AND upload_offset = $2 AND completed_at IS NULL',
    [id, from, to],
  );
  return rowCount === 1;
}

export async function markCompleted(db: Db, id: string, rec: IngestedRecording): Promise<void> {
  await db.query(
    `UPDATE tus_uploads SET completed_at = now(), updated_at = now(), recording_id = $2, sha256 = $3, duplicate = $4 WHERE id = $1`,
    [id, rec.id, rec.sha256, rec.duplicate],
  );
}

export async function deleteUpload(db: Db, id: string): Promise<void> {
  await db.query('DELETE FROM tus_uploads WHERE id = $1', [id]);
}

/** Uploads untouched for `olderThanMs`, in progress or finished: either way their client has gone. */
export async function staleUploadIds(db: Db, olderThanMs: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(`SELECT id FROM tus_uploads WHERE updated_at < now() - $1 * interval '1 millisecond'`, [olderThanMs]);
  return rows.map((r) => r.id);
}

/** Deletes the upload if it is still untouched for `olderThanMs` (a PATCH may have moved it meanwhile); true when deleted. */
export async function deleteIfStale(db: Db, id: string, olderThanMs: number): Promise<boolean> {
  const { rowCount } = await db.query(`DELETE FROM tus_uploads WHERE id = $1 AND updated_at < now() - $2 * interval '1 millisecond'`, [id, olderThanMs]);
  return rowCount === 1;
}

/** Which of `ids` have a row. */
export async function existingUploadIds(db: Db, ids: string[]): Promise<Set<string>> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM tus_uploads WHERE id = ANY($1::uuid[])', [ids]);
  return new Set(rows.map((r) => r.id));
}

/** The folder of the uploads' bytes: every API process must share it for a resume to cross processes. */
export const uploadsDir = (dataDir: string): string => path.join(dataDir, 'uploads');

/** Where an upload's bytes wait. */
export const uploadPath = (dataDir: string, id: string): string => path.join(uploadsDir(dataDir), id);

export async function createDataFile(file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await (await open(file, 'wx')).close();
}

export const removeDataFile = (file: string): Promise<void> => rm(file, { force: true });

/**
 * Makes the file hold exactly the bytes the row vouches for, and returns how many it holds. Bytes past the
 * offset were written by a process that died before recording them: they are cut, the client sends them
 * again. A file shorter than the offset (lost, or a data folder not shared) is reported, not repaired.
 */
export async function reconcileFile(file: string, offset: number): Promise<number> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await createDataFile(file);
    return 0;
  }
  if (size > offset) await truncate(file, offset);
  return Math.min(size, offset);
}

/** The body carried more bytes than the upload has room for. */
export class OverflowError extends Error {
  constructor(readonly room: number) {
    super(`the body goes past Upload-Length (${room} bytes left)`);
  }
}

export interface AppendResult {
  written: number;
  /** Why the body stopped early; the bytes counted in `written` are on disk either way. */
  failure?: unknown;
}

/**
 * Copies a request body into the file at `offset` and fsyncs what arrived before returning, so the caller
 * may record it as the new offset. Memory stays flat whatever the size. A body that would go past `room`
 * is refused whole: the file is cut back to `offset`.
 */
export async function appendBody(body: Readable, file: string, offset: number, room: number, idleMs: number): Promise<AppendResult> {
  const handle = await open(file, 'r+');
  const writer = new BatchWriter(handle, offset);
  // A client that stops sending without closing would hold the upload's lock for good.
  const idle = setTimeout(() => body.destroy(new Error(`no data for ${idleMs} ms`)), idleMs);
  let failure: unknown;
  try {
    // destroyOnReturn: false, so a refused body can still be answered instead of the socket being cut.
    for await (const chunk of body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      idle.refresh();
      if (writer.received + chunk.length > room) throw new OverflowError(room);
      await writer.add(chunk);
    }
  } catch (err) {
    failure = err;
  } finally {
    clearTimeout(idle);
  }
  try {
    // What arrived is written even when the body broke off: a resume continues from it.
    const writeError = await writer.drain();
    failure ??= writeError;
    if (failure instanceof OverflowError) {
      await handle.truncate(offset);
      return { written: 0, failure };
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  return failure === undefined ? { written: writer.written } : { written: writer.written, failure };
}

const BATCH_BYTES = 1024 * 1024;
type Handle = Awaited<ReturnType<typeof open>>;

/**
 * Gathers the body's small chunks into large writes, one write in flight while the next batch fills:
 * one awaited write per 64 KiB chunk measured at half the speed. Two batches at most are held.
 */
class BatchWriter {
  /** Bytes confirmed written, in order, from the start position. */
  written = 0;
  /** Bytes taken from the body, written or not yet. */
  received = 0;
  private batch: Buffer[] = [];
  private batched = 0;
  private inFlight: Promise<void> = Promise.resolve();
  private error: unknown;

  constructor(
    private readonly handle: Handle,
    private readonly start: number,
  ) {}

  async add(chunk: Buffer): Promise<void> {
    this.batch.push(chunk);
    this.batched += chunk.length;
    this.received += chunk.length;
    if (this.batched < BATCH_BYTES) return;
    await this.inFlight;
    if (this.error) throw this.error;
    this.launch();
  }

  /** Waits for the write in flight and writes what is left; returns the write error, if any. */
  async drain(): Promise<unknown> {
    await this.inFlight;
    if (!this.error && this.batched > 0) {
      this.launch();
      await this.inFlight;
    }
    return this.error;
  }

  private launch(): void {
    const data = this.batch.length === 1 ? this.batch[0]! : Buffer.concat(this.batch, this.batched);
    const position = this.start + this.received - this.batched;
    this.batch = [];
    this.batched = 0;
    // The rejection is kept, not left unhandled: add() or drain() reports it.
    this.inFlight = writeFully(this.handle, data, position).then(
      () => void (this.written += data.length),
      (err: unknown) => void (this.error = err),
    );
  }
}

async function writeFully(handle: Handle, chunk: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, done, chunk.length - done, position + done);
    done += bytesWritten;
  }
}
