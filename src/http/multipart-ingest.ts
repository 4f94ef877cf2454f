import type { Request, RequestHandler, Response } from 'express';
import multer, { MulterError } from 'multer';
import type { Context } from '../context';
import { AppError } from '../errors';
import { resolveMeta, storeOriginal, type ResolvedMeta, type StoredOriginal } from '../ingest/ingest';
import { INGEST_FIELDS, type IngestFields, type Uploader } from '../ingest/types';

/** What one multipart ingest request has done so far, so that a failure can undo all of it. */
export interface IngestState {
  uploader: Uploader;
  files: { meta: ResolvedMeta; stored: StoredOriginal }[];
  /** The text fields as they were when the first file part began; anything added later came after a file. */
  fieldsBeforeFiles: string | null;
  /** Files still being stored: multer reports a failure without waiting for them, so cleanup must. */
  inFlight: Promise<unknown>[];
  /** Ends the parse with a refusal at once; multer itself would first read the rest of the body. */
  refuse?: (err: unknown) => void;
}

/** The fields as one comparable text (a field repeated later turns a value into an array). */
export const fieldsSnapshot = (body: unknown) => JSON.stringify(body ?? {});

const states = new WeakMap<Request, IngestState>();

function fieldsOf(body: Record<string, unknown>): IngestFields {
  const fields: IngestFields = {};
  for (const [key, value] of Object.entries(body)) {
    if (!(INGEST_FIELDS as readonly string[]).includes(key)) throw new AppError(400, 'unknown_field', `unknown field ${key}`, key);
    if (typeof value !== 'string') throw new AppError(400, 'invalid_field', `${key} must be sent once, as text`, key);
    fields[key as keyof IngestFields] = value;
  }
  return fields;
}

/**
 * A multer storage engine that streams each file part straight into the object store while hashing it:
 * no temporary file, no buffering. Fields must come before the files they describe.
 */
class IngestStorage implements multer.StorageEngine {
  constructor(private readonly ctx: Context) {}

  _handleFile(req: Request, file: Express.Multer.File, cb: (error?: unknown, info?: Partial<Express.Multer.File>) => void): void {
    const work = this.handle(req, file);
    states.get(req)!.inFlight.push(work);
    work.then(
      (size) => cb(null, { size }),
      (err: unknown) => {
        // The client's fault is known now: answer before gigabytes more of a refused file arrive.
        if (err instanceof AppError && err.status < 500) states.get(req)!.refuse?.(err);
        cb(err);
      },
    );
  }

  private async handle(req: Request, file: Express.Multer.File): Promise<number> {
    const state = states.get(req)!;
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (state.fieldsBeforeFiles === null) state.fieldsBeforeFiles = fieldsSnapshot(body);
    else if (body.sha256 !== undefined) {
      throw new AppError(400, 'sha256_with_many_files', 'sha256 may be sent only with a single file', 'sha256');
    } else if (body.startedAt !== undefined) {
      throw new AppError(400, 'started_at_with_many_files', 'startedAt may be sent only with a single file: each file has its own start', 'startedAt');
    }
    const fields = fieldsOf(body);
    const meta = await resolveMeta(this.ctx.pool, state.uploader, fields, file.originalname, this.ctx.config.bureauTz);
    const stored = await storeOriginal(this.ctx.store, file.stream, {
      filename: meta.filename,
      maxBytes: this.ctx.config.upload.maxBytes,
      expectedSha256: meta.expectedSha256,
    });
    state.files.push({ meta, stored });
    return stored.size;
  }

  _removeFile(_req: Request, _file: Express.Multer.File, cb: (error: Error | null) => void): void {
    // The route removes every stored file of a failed request itself (it also fails after multer is done).
    cb(null);
  }
}

const MULTER_CODES: Record<string, [number, string, string]> = {
  LIMIT_PART_COUNT: [400, 'too_many_parts', 'too many parts in the form'],
  LIMIT_FILE_COUNT: [400, 'too_many_files', 'too many files in one request'],
  LIMIT_FIELD_COUNT: [400, 'too_many_fields', 'too many fields'],
  LIMIT_FIELD_KEY: [400, 'invalid_field', 'a field name is too long'],
  LIMIT_FIELD_VALUE: [400, 'invalid_field', 'a field value is too long'],
  LIMIT_UNEXPECTED_FILE: [400, 'unexpected_file_field', 'files must be sent in parts named "file"'],
  MISSING_FIELD_NAME: [400, 'invalid_field', 'a part has no name'],
};

// What busboy throws or emits about a request it cannot read (lib/index.js, lib/types/multipart.js), and what
// multer says of one the client abandoned.
const BUSBOY_REFUSALS =
  /^(Unexpected end of (form|file)|Malformed (part header|content type)|Missing (boundary|Content-Type)|Multipart: Boundary not found|Unsupported content type|Unexpected end of multipart data|Request (aborted|closed))/i;

/** Runs multer for one request; resolves when every part is handled. */
export function parseIngestForm(ctx: Context): (req: Request, res: Response, state: IngestState) => Promise<void> {
  const upload: RequestHandler = multer({
    storage: new IngestStorage(ctx),
    // The raw name as the client sent it: a name with a path in it is refused, not quietly shortened.
    preservePath: true,
    // File names from Chinese Windows stations are UTF-8: latin1 (multer's default) would garble them.
    defParamCharset: 'utf8',
    limits: { fields: 16, fieldNameSize: 64, fieldSize: 1024, files: 100, parts: 120, headerPairs: 50 },
  }).array('file', 100);
  return (req, res, state) => {
    if (!req.is('multipart/form-data')) {
      return Promise.reject(new AppError(415, 'unsupported_media_type', 'send footage as multipart/form-data'));
    }
    states.set(req, state);
    return new Promise<void>((resolve, reject) => {
      state.refuse = reject;
      void upload(req, res, (err?: unknown) => {
        if (!err) return resolve();
        if (err instanceof MulterError) {
          const [status, code, detail] = MULTER_CODES[err.code] ?? [400, 'malformed_multipart', err.message];
          return reject(new AppError(status, code, detail, err.field));
        }
        // busboy's own complaints about the body (a broken boundary, a cut-off form) and about the content type
        // it is told (no boundary, unparseable parameters) are the client's fault, and so is a request the
        // client abandoned (nobody is left to read the answer).
        if (err instanceof Error && BUSBOY_REFUSALS.test(err.message)) {
          return reject(new AppError(400, 'malformed_multipart', `the form cannot be read: ${err.message}`));
        }
        reject(err);
      });
    });
  };
}
