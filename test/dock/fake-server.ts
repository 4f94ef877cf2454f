import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Just enough of the server for the docking client: tus 1.0 core + creation at /api/uploads (POST, HEAD,
 * PATCH), the final PATCH answering with X-Content-SHA256 / X-Recording-Id / X-Recording-Duplicate, and
 * POST /api/recordings/lookup; every route wants the bearer token. Bytes of a PATCH cut short are kept,
 * as a tus server does, so a resumed upload continues from where the connection dropped.
 */

export interface Upload {
  id: string;
  length: number;
  offset: number;
  chunks: Buffer[];
  metadata: Record<string, string>;
  done: boolean;
  /** What the upload became, repeated to a HEAD or a PATCH asking again (as the real server does). */
  answer?: Record<string, string>;
}

export interface Recording {
  id: string;
  sha256: string;
  size: number;
  metadata: Record<string, string>;
}

export interface RequestRecord {
  method: string;
  path: string;
  uploadOffset?: number;
  status?: number;
}

export interface Faults {
  /** Cut the connection (once) when an upload has received this many bytes in all. */
  dropOnceAtBytes?: number;
  /** Take the final PATCH's bytes and finish the recording, then cut the connection instead of answering (once). */
  dropFinalAnswerOnce?: boolean;
  /** Keep all the bytes but fail making the recording with this status (once), as when storage is down. */
  failIngestOnce?: number;
  /** Leave the recording headers off HEAD answers (tus does not require them there). */
  headWithoutRecording?: boolean;
  /** Answer with a SHA-256 other than the bytes' for uploads of these file names. */
  wrongHashFor?: string[];
  /** Answer the final PATCH with this problem for these file names (as a server refusing the content). */
  rejectFinal?: { filenames: string[]; status: number; code: string };
  /** Called as bytes arrive, with the upload's offset. */
  onBytes?: (upload: Upload) => void;
}

function parseMetadata(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (header ?? '').split(',')) {
    const [key, value] = pair.trim().split(' ');
    if (key) out[key] = value ? Buffer.from(value, 'base64').toString('utf8') : '';
  }
  return out;
}

export class FakeServer {
  readonly uploads = new Map<string, Upload>();
  readonly recordings = new Map<string, Recording>();
  readonly requests: RequestRecord[] = [];
  /** The file name of every upload created, in order (also of those deleted since). */
  readonly created: string[] = [];
  faults: Faults = {};
  url = '';
  private readonly server: http.Server;

  constructor(
    private readonly token: string,
    known: Iterable<string> = [],
  ) {
    for (const sha of known) this.recordings.set(sha, { id: randomUUID(), sha256: sha, size: 0, metadata: {} });
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  patches(): RequestRecord[] {
    return this.requests.filter((r) => r.method === 'PATCH');
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const record: RequestRecord = { method: req.method ?? '', path: url.pathname };
    if (req.headers['upload-offset'] !== undefined) record.uploadOffset = Number(req.headers['upload-offset']);
    this.requests.push(record);
    const send = (status: number, headers: Record<string, string> = {}, body?: unknown): void => {
      record.status = status;
      const text = body === undefined ? '' : JSON.stringify(body);
      res.writeHead(status, {
        'Tus-Resumable': '1.0.0',
        ...(body === undefined ? {} : { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json' }),
        ...headers,
      });
      res.end(text);
    };
    const problem = (status: number, code: string, detail: string): void => send(status, {}, { type: 'about:blank', title: code, status, code, detail });

    if (req.headers.authorization !== `Bearer ${this.token}`) {
      req.resume();
      return problem(401, 'unauthenticated', 'a valid token is required');
    }

    if (req.method === 'POST' && url.pathname === '/api/recordings/lookup') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { sha256: string[] };
        if (!Array.isArray(body.sha256) || body.sha256.length > 500) return problem(400, 'invalid_sha256', 'at most 500 hashes');
        send(200, {}, { known: body.sha256.filter((h) => this.recordings.has(h)) });
      });
      return;
    }

    if (req.method === 'POST' && url.pathname === '/api/uploads') {
      req.resume();
      const length = Number(req.headers['upload-length']);
      if (!Number.isInteger(length) || length <= 0) return problem(400, 'invalid_upload_length', 'Upload-Length is required');
      const upload: Upload = { id: randomUUID(), length, offset: 0, chunks: [], metadata: parseMetadata(req.headers['upload-metadata'] as string), done: false };
      this.uploads.set(upload.id, upload);
      this.created.push(upload.metadata.filename ?? '');
      // Relative, as a server behind a proxy answers: the client must resolve it against the endpoint.
      return send(201, { Location: `/api/uploads/${upload.id}` });
    }

    const match = /^\/api\/uploads\/([0-9a-f-]+)$/.exec(url.pathname);
    const upload = match ? this.uploads.get(match[1]) : undefined;
    if (!upload) {
      req.resume();
      return problem(404, 'unknown_upload', 'no such upload');
    }
    if (req.method === 'HEAD') {
      const recording = upload.answer && !this.faults.headWithoutRecording ? upload.answer : {};
      return send(200, { 'Upload-Offset': String(upload.offset), 'Upload-Length': String(upload.length), 'Cache-Control': 'no-store', ...recording });
    }
    if (req.method !== 'PATCH') {
      req.resume();
      return problem(405, 'method_not_allowed', req.method ?? '');
    }
    if (req.headers['content-type'] !== 'application/offset+octet-stream') {
      req.resume();
      return problem(415, 'unsupported_media_type', 'tus PATCH needs application/offset+octet-stream');
    }
    if (upload.done) {
      req.resume();
      // A client whose last answer was lost asks again with an empty PATCH: the answer is the same.
      if (record.uploadOffset === upload.length && req.headers['content-length'] === '0') return send(204, { 'Upload-Offset': String(upload.length), ...upload.answer });
      return problem(409, 'offset_mismatch', `offset is ${upload.offset}`);
    }
    if (record.uploadOffset !== upload.offset) {
      req.resume();
      return problem(409, 'offset_mismatch', `offset is ${upload.offset}`);
    }
    let cut = false;
    req.on('data', (chunk: Buffer) => {
      if (cut) return;
      const room = upload.length - upload.offset;
      const part = chunk.subarray(0, room);
      upload.chunks.push(Buffer.from(part));
      upload.offset += part.length;
      this.faults.onBytes?.(upload);
      const dropAt = this.faults.dropOnceAtBytes;
      if (dropAt !== undefined && upload.offset >= dropAt && upload.offset < upload.length) {
        this.faults.dropOnceAtBytes = undefined;
        cut = true;
        record.status = 0;
        req.socket.destroy();
      }
    });
    req.on('end', () => {
      if (cut) return;
      if (upload.offset < upload.length) return send(204, { 'Upload-Offset': String(upload.offset) });
      this.finish(upload, req, send, problem);
    });
  }

  private finish(
    upload: Upload,
    req: http.IncomingMessage,
    send: (status: number, headers?: Record<string, string>) => void,
    problem: (status: number, code: string, detail: string) => void,
  ): void {
    const bytes = Buffer.concat(upload.chunks);
    const sha = createHash('sha256').update(bytes).digest('hex');
    const filename = upload.metadata.filename ?? '';
    const reject = this.faults.rejectFinal;
    if (reject && reject.filenames.includes(filename)) {
      this.uploads.delete(upload.id);
      return problem(reject.status, reject.code, `refused ${filename}`);
    }
    if (this.faults.failIngestOnce) {
      const status = this.faults.failIngestOnce;
      this.faults.failIngestOnce = undefined;
      return problem(status, 'storage_unavailable', 'the object store did not answer');
    }
    const existing = this.recordings.get(sha);
    const recording = existing ?? { id: randomUUID(), sha256: sha, size: bytes.length, metadata: upload.metadata };
    if (!existing) this.recordings.set(sha, recording);
    upload.done = true;
    upload.answer = {
      'X-Content-SHA256': this.faults.wrongHashFor?.includes(filename) ? createHash('sha256').update('not the bytes').digest('hex') : sha,
      'X-Recording-Id': recording.id,
      'X-Recording-Duplicate': existing ? 'true' : 'false',
    };
    if (this.faults.dropFinalAnswerOnce) {
      this.faults.dropFinalAnswerOnce = false;
      req.socket.destroy();
      return;
    }
    send(204, { 'Upload-Offset': String(upload.offset), ...upload.answer });
  }
}
