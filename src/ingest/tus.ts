import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import pg from 'pg';
import type { Context } from '../context';
import type { AuthUser } from '../auth/tokens';
import { AppError, badRequest, conflict, notFound } from '../errors';
import type { RouteTable } from '../http/route-table';
import type { Logger } from '../logger';
import {
  OFFSET_STREAM,
  TUS_EXTENSIONS,
  TUS_VERSION,
  declaredLength,
  isUploadId,
  lockKey,
  parseMetadata,
  parseUploadLength,
  parseUploadOffset,
  requireTusResumable,
} from './tus-protocol';
import {
  OverflowError,
  appendBody,
  createDataFile,
  deleteUpload,
  findUpload,
  insertUpload,
  markCompleted,
  recordOffset,
  reconcileFile,
  removeDataFile,
  uploadPath,
  type TusUpload,
} from './tus-store';
import { INGEST_FIELDS, type IngestFields, type IngestedRecording, type Uploader } from './types';

/** What a finished upload is handed to: the same ingest a multipart file goes through. */
export type TusCompletion = (upload: {
  id: string;
  path: string;
  length: number;
  filename: string;
  fields: IngestFields;
  uploader: Uploader;
}) => Promise<IngestedRecording>;

/** Checks an upload's metadata at creation, so a bad field is refused before gigabytes are sent. Throws an AppError. */
export type TusPrecheck = (upload: { filename: string; fields: IngestFields; length: number; uploader: Uploader }) => Promise<void>;

export interface TusOptions {
  precheck?: TusPrecheck;
  /** A PATCH whose body stalls this long is ended; the bytes received so far are kept. Default one minute. */
  idleTimeoutMs?: number;
  /** PATCHes written at once by this process (each holds a database connection for its lock). Default 32. */
  maxConcurrentPatches?: number;
}

const UPLOADS = '/api/uploads';
const DEFAULT_IDLE_MS = 60_000;
const DEFAULT_MAX_PATCHES = 32;

/**
 * tus 1.0.0 (core, creation, termination) at /api/uploads. The bytes wait in `<DATA_DIR>/uploads/<id>` and
 * the offset in tus_uploads, so any API process sharing the database and the data folder can continue an
 * upload; a PostgreSQL advisory lock keeps two writers of one upload apart.
 */
export function tusRoutes(routes: RouteTable, ctx: Context, complete: TusCompletion, options: TusOptions = {}): void {
  const tus = new TusService(ctx, complete, options);
  const upload = { method: 'post', path: UPLOADS, permission: 'recordings.upload', tag: 'Uploads' } as const;
  const one = { path: `${UPLOADS}/:id`, permission: 'recordings.upload', tag: 'Uploads', params: { id: 'the upload id (from Location)' } } as const;
  routes.add(
    {
      ...upload,
      summary: 'tus: create a resumable upload (its metadata is checked now)',
      headers: { 'Tus-Resumable': TUS_HEADER, 'Upload-Length': { description: 'the file size in bytes', required: true }, 'Upload-Metadata': { description: `tus metadata: filename and the fields ${INGEST_FIELDS.join(', ')}` } },
      responses: { 201: 'tus' },
    },
    (req, res) => tus.create(req, res),
  );
  routes.add({ ...one, method: 'head', summary: 'tus: how much of an upload the server has (Upload-Offset), and the recording it became', headers: { 'Tus-Resumable': TUS_HEADER }, responses: { 200: 'tus' } }, (req, res) => tus.head(req, res));
  routes.add(
    {
      ...one,
      method: 'patch',
      summary: 'tus: send the next bytes of an upload from Upload-Offset; the last one ingests the file',
      raw: 'tus-chunk',
      headers: { 'Tus-Resumable': TUS_HEADER, 'Upload-Offset': { description: 'the offset these bytes start at (HEAD tells it)', required: true } },
      responses: { 204: 'tus' },
    },
    (req, res) => tus.patch(req, res),
  );
  routes.add({ ...one, method: 'delete', summary: 'tus: abandon an upload and free what it holds', headers: { 'Tus-Resumable': TUS_HEADER }, responses: { 204: 'tus' } }, (req, res) => tus.terminate(req, res));
}

const TUS_HEADER = { description: `the tus version, ${TUS_VERSION}`, required: true };

/**
 * OPTIONS /api/uploads (tus discovery). RouteTable has no OPTIONS and discovery needs no credentials, so
 * this is mounted beside it: `router.options('/api/uploads', tusOptions(ctx))`. tus-js-client never asks.
 */
export function tusOptions(ctx: Context): RequestHandler {
  return (_req, res) => {
    res
      .set({ 'Tus-Resumable': TUS_VERSION, 'Tus-Version': TUS_VERSION, 'Tus-Extension': TUS_EXTENSIONS, 'Tus-Max-Size': String(ctx.config.upload.maxBytes) })
      .status(204)
      .end();
  };
}

/** What a client is told about the recording its upload became. */
type RecordingFacts = Pick<TusUpload, 'recordingId' | 'sha256' | 'duplicate'>;

/** The headers that tell a client which recording its upload became (HEAD, and the last PATCH). */
function recordingHeaders(res: Response, u: RecordingFacts): void {
  if (!u.recordingId) return;
  res.set({ 'X-Recording-Id': u.recordingId, 'X-Content-SHA256': u.sha256 ?? '', 'X-Recording-Duplicate': String(u.duplicate === true) });
}

class TusService {
  private readonly log: Logger;
  private readonly idleMs: number;
  private readonly lockPool: pg.Pool;

  constructor(
    private readonly ctx: Context,
    private readonly complete: TusCompletion,
    private readonly options: TusOptions,
  ) {
    this.log = ctx.logger.child({ module: 'tus' });
    this.idleMs = options.idleTimeoutMs ?? DEFAULT_IDLE_MS;
    this.lockPool = new pg.Pool({
      connectionString: ctx.config.database.url,
      max: options.maxConcurrentPatches ?? DEFAULT_MAX_PATCHES,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 10_000,
      allowExitOnIdle: true,
    });
    this.lockPool.on('error', (err) => this.log.warn({ err: err.message }, 'idle lock connection failed'));
  }

  /** Every tus answer, errors included, names the protocol version; a request in another version is refused. */
  private begin(req: Request, res: Response): void {
    res.setHeader('Tus-Resumable', TUS_VERSION);
    requireTusResumable(req.get('tus-resumable'));
  }

  async create(req: Request, res: Response): Promise<void> {
    this.begin(req, res);
    const length = parseUploadLength(req.get('upload-length'), this.ctx.config.upload.maxBytes);
    const { filename, fields } = parseMetadata(req.get('upload-metadata'));
    const user = req.user!;
    await this.options.precheck?.({ filename, fields, length, uploader: { user, method: 'tus', receivedAt: new Date() } });

    const id = randomUUID();
    const file = uploadPath(this.ctx.config.dataDir, id);
    await createDataFile(file);
    try {
      await insertUpload(this.ctx.pool, { id, userId: user.id, length, filename, fields });
    } catch (err) {
      await removeDataFile(file);
      throw err;
    }
    this.log.info({ uploadId: id, userId: user.id, length, filename }, 'tus upload created');
    res.set('Location', `${UPLOADS}/${id}`).status(201).end();
  }

  async head(req: Request, res: Response): Promise<void> {
    this.begin(req, res);
    const upload = await this.ownUpload(req);
    res.set({ 'Upload-Offset': String(upload.offset), 'Upload-Length': String(upload.length), 'Cache-Control': 'no-store' });
    recordingHeaders(res, upload);
    res.status(200).end();
  }

  async patch(req: Request, res: Response): Promise<void> {
    try {
      await this.patchUpload(req, res);
    } catch (err) {
      // Answering before the body is read: close afterwards rather than drain gigabytes nobody wants.
      if (!req.complete) res.setHeader('Connection', 'close');
      throw err;
    }
  }

  private async patchUpload(req: Request, res: Response): Promise<void> {
    this.begin(req, res);
    const contentType = (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (contentType !== OFFSET_STREAM) {
      throw new AppError(415, 'unsupported_media_type', `a PATCH body must be ${OFFSET_STREAM}`, 'Content-Type');
    }
    const claimed = parseUploadOffset(req.get('upload-offset'));
    const bodyLength = declaredLength(req.get('content-length'));
    await this.ownUpload(req);

    await this.withLock(req.params.id as string, async () => {
      // Read again under the lock: the offset may have moved while another request held it.
      const upload = await this.ownUpload(req);
      if (upload.completedAt) {
        // A client whose last response was lost asks again; the answer is the same.
        if (claimed !== upload.length || bodyLength) throw offsetMismatch(upload.length);
        return this.answerPatch(res, upload.length, upload);
      }
      if (claimed !== upload.offset) throw offsetMismatch(upload.offset);
      if (bodyLength !== undefined && claimed + bodyLength > upload.length) throw beyondLength(upload.length - claimed);

      const offset = bodyLength === 0 ? upload.offset : await this.receive(req, upload);
      if (offset === undefined) return; // the client is gone; nobody to answer
      if (offset < upload.length) return this.answerPatch(res, offset);
      const rec = await this.finish(upload, req.user!);
      this.answerPatch(res, upload.length, { recordingId: rec.id, sha256: rec.sha256, duplicate: rec.duplicate });
    });
  }

  async terminate(req: Request, res: Response): Promise<void> {
    this.begin(req, res);
    await this.ownUpload(req);
    await this.withLock(req.params.id as string, async () => {
      const upload = await this.ownUpload(req);
      await deleteUpload(this.ctx.pool, upload.id);
      await removeDataFile(uploadPath(this.ctx.config.dataDir, upload.id));
      this.log.info({ uploadId: upload.id }, 'tus upload terminated');
    });
    res.status(204).end();
  }

  private answerPatch(res: Response, offset: number, rec?: RecordingFacts): void {
    res.setHeader('Upload-Offset', String(offset));
    if (rec) recordingHeaders(res, rec);
    res.status(204).end();
  }

  /** Anyone but the creator is told the upload does not exist: ids are not to be probed. */
  private async ownUpload(req: Request): Promise<TusUpload> {
    const id = req.params.id as string;
    const upload = isUploadId(id) ? await findUpload(this.ctx.pool, id) : null;
    if (!upload || upload.userId !== req.user!.id) throw notFound('upload');
    return upload;
  }

  /**
   * Runs `fn` holding the upload's advisory lock, on a connection of the lock pool: a PATCH may last as long
   * as a 4 GB body takes and must not hold one of the main pool's connections meanwhile, and the lock pool
   * is bounded so that many slow uploads cannot take every connection the database allows. The lock
   * belongs to the session, so a process that dies mid-PATCH lets go of it with its connection.
   */
  private async withLock(id: string, fn: () => Promise<void>): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.lockPool.connect();
    } catch (err) {
      this.log.warn({ err, uploadId: id }, 'no lock connection free');
      throw new AppError(503, 'uploads_busy', 'too many uploads are being written at once; retry shortly', undefined, { 'Retry-After': '5' });
    }
    let clean = false;
    try {
      const { rows } = await client.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS got', [lockKey(id)]);
      if (!rows[0]?.got) {
        clean = true;
        throw new AppError(423, 'upload_locked', 'another request is writing this upload; retry shortly', undefined, { 'Retry-After': '2' });
      }
      try {
        await fn();
      } finally {
        await client.query('SELECT pg_advisory_unlock($1::bigint)', [lockKey(id)]);
        clean = true;
      }
    } finally {
      // A connection whose lock could not be released is closed, which releases it.
      client.release(!clean);
    }
  }

  /**
   * Appends the body and records the new offset; returns it, or undefined when the client went away (the
   * bytes that arrived are kept and recorded: that is what a resume continues from).
   */
  private async receive(req: Request, upload: TusUpload): Promise<number | undefined> {
    const file = uploadPath(this.ctx.config.dataDir, upload.id);
    const held = await reconcileFile(file, upload.offset);
    if (held < upload.offset) {
      this.log.error({ uploadId: upload.id, recorded: upload.offset, held }, 'tus upload file is shorter than its offset; the client resends the rest');
      await recordOffset(this.ctx.pool, upload.id, upload.offset, held);
      throw offsetMismatch(held);
    }
    const { written, failure } = await appendBody(req, file, upload.offset, upload.length - upload.offset, this.idleMs);
    const offset = upload.offset + written;
    if (written > 0 && !(await recordOffset(this.ctx.pool, upload.id, upload.offset, offset))) {
      throw new Error(`tus upload ${upload.id} changed under its lock`);
    }
    if (failure === undefined) return offset;
    if (failure instanceof OverflowError) throw beyondLength(failure.room);
    if (req.destroyed) {
      this.log.info({ uploadId: upload.id, offset, length: upload.length, reason: (failure as Error).message }, 'tus client disconnected; bytes kept');
      return undefined;
    }
    throw failure;
  }

  /**
   * Hands the complete file to the ingest. A refusal (a 4xx AppError: not footage, wrong hash, unknown
   * recorder) ends the upload, since sending the same bytes again cannot help. Any other failure (storage
   * down) keeps file and row: a PATCH with Upload-Offset = Upload-Length and an empty body tries again.
   */
  private async finish(upload: TusUpload, user: AuthUser): Promise<IngestedRecording> {
    const file = uploadPath(this.ctx.config.dataDir, upload.id);
    const uploader: Uploader = { user, method: 'tus', receivedAt: upload.createdAt };
    let rec: IngestedRecording;
    try {
      rec = await this.complete({ id: upload.id, path: file, length: upload.length, filename: upload.filename, fields: upload.fields, uploader });
    } catch (err) {
      if (err instanceof AppError && err.status < 500) {
        await deleteUpload(this.ctx.pool, upload.id);
        await removeDataFile(file);
        this.log.info({ uploadId: upload.id, code: err.code, status: err.status }, 'tus upload refused by ingest; discarded');
      } else {
        this.log.warn({ err, uploadId: upload.id }, 'tus upload complete but not ingested; kept for a retry');
      }
      throw err;
    }
    // The row first: a crash before the file is removed leaves litter, never a recording the row forgot.
    await markCompleted(this.ctx.pool, upload.id, rec);
    await removeDataFile(file);
    this.log.info({ uploadId: upload.id, recordingId: rec.id, duplicate: rec.duplicate }, 'tus upload ingested');
    return rec;
  }
}

function offsetMismatch(expected: number): AppError {
  return conflict('offset_mismatch', `Upload-Offset must be ${expected}; ask with HEAD before resuming`, 'Upload-Offset');
}

function beyondLength(room: number): AppError {
  return badRequest('beyond_length', `the body goes past Upload-Length: ${room} bytes remain`, 'Content-Length');
}
