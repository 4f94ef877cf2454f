import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { appendFile, readFile, readdir, stat, truncate } from 'node:fs/promises';
import http, { type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import path from 'node:path';
import express, { type Express } from 'express';
import request from 'supertest';
import { Upload, type HttpResponse } from 'tus-js-client';
import { closeContext, createContext, type Context } from '../../src/context';
import { AppError } from '../../src/errors';
import { authenticate } from '../../src/http/auth';
import { errorHandler, notFoundHandler } from '../../src/http/problem';
import { RouteTable } from '../../src/http/route-table';
import { tusOptions, tusRoutes, type TusCompletion, type TusPrecheck } from '../../src/ingest/tus';
import type { IngestFields } from '../../src/ingest/types';
import { createLogger } from '../../src/logger';
import { startTestEnv, userWithToken, type TestEnv } from '../support/harness';
import { waitFor } from '../support/wait';

const MiB = 1024 * 1024;
const MAX_BYTES = 64 * MiB;
const IDLE_MS = 1500;
const TUS = { 'Tus-Resumable': '1.0.0' };
const OCTETS = 'application/offset+octet-stream';

/** What the stand-in for the real ingest was handed, and the hash of the file it found at `path`. */
interface Handed {
  id: string;
  sha256: string;
  size: number;
  length: number;
  filename: string;
  fields: IngestFields;
  method: string;
  username: string;
}

const handed: Handed[] = [];
const failedOnce = new Set<string>();
const seen = new Set<string>();

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

// Stands for the lead's ingest: hashes the file it is given; file names choose a refusal or an outage.
const fakeComplete: TusCompletion = async (u) => {
  const digest = await sha256File(u.path);
  handed.push({ id: u.id, sha256: digest, size: (await stat(u.path)).size, length: u.length, filename: u.filename, fields: u.fields, method: u.uploader.method, username: u.uploader.user.username });
  if (u.filename.startsWith('REFUSE')) throw new AppError(422, 'sha256_mismatch', 'the content does not match sha256', 'sha256');
  if (u.filename.startsWith('FLAKY') && !failedOnce.has(u.id)) {
    failedOnce.add(u.id);
    throw new Error('object store unreachable');
  }
  const duplicate = seen.has(digest);
  seen.add(digest);
  return {
    id: randomUUID(),
    sha256: digest,
    size: u.length,
    filename: u.filename,
    status: 'received',
    recorderSerial: u.fields.recorderSerial ?? '',
    badgeNo: u.fields.badgeNo ?? '',
    startedAt: u.fields.startedAt ?? '',
    important: false,
    duplicate,
  };
};

const precheck: TusPrecheck = async ({ fields }) => {
  if (fields.badgeNo === '999999') throw new AppError(422, 'unknown_officer', 'no officer with badge number 999999', 'badgeNo');
};

/** One API process: its own router and route table; `patches` is every PATCH it saw, with its Upload-Offset. */
interface Instance {
  app: Express;
  server: Server;
  base: string;
  patches: { id: string; offset: number }[];
}

async function startInstance(ctx: Context): Promise<Instance> {
  const patches: Instance['patches'] = [];
  const app = express();
  app.use((req, _res, next) => {
    if (req.method === 'PATCH') patches.push({ id: req.path.split('/').pop()!, offset: Number(req.get('upload-offset')) });
    next();
  });
  const router = express.Router();
  router.use('/api', authenticate(ctx.pool, false));
  router.options('/api/uploads', tusOptions(ctx));
  tusRoutes(new RouteTable(router), ctx, fakeComplete, { precheck, idleTimeoutMs: IDLE_MS });
  app.use(router);
  app.use('/api', notFoundHandler);
  app.use(errorHandler(ctx.logger));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { app, server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, patches };
}

let env: TestEnv;
let ctxB: Context;
let a: Instance;
let b: Instance;
let station: string;
let admin: string;

beforeAll(async () => {
  env = await startTestEnv({ UPLOAD_MAX_BYTES: String(MAX_BYTES) });
  // "Another process": a second context (its own pool) and app on the same database and data folder.
  ctxB = await createContext(env.config, 'api-b', createLogger('silent'));
  a = await startInstance(env.ctx);
  b = await startInstance(ctxB);
  station = await userWithToken(env, 'station1', 'station');
  admin = await userWithToken(env, 'root', 'admin');
});

afterAll(async () => {
  for (const instance of [a, b]) {
    instance?.server.closeAllConnections();
    await new Promise((resolve) => instance?.server.close(resolve));
  }
  if (ctxB) await closeContext(ctxB);
  await env?.close();
});

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const metadata = (m: Record<string, string>) => Object.entries(m).map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`).join(',');
const dataFile = (id: string) => path.join(env.dataDir, 'uploads', id);
const exists = (file: string) => stat(file).then(() => true, () => false);
const uploadFiles = () => readdir(path.join(env.dataDir, 'uploads')).catch(() => [] as string[]);

async function row(id: string): Promise<{ offset: number; completed: boolean } | undefined> {
  const { rows } = await env.ctx.pool.query('SELECT upload_offset AS "offset", completed_at IS NOT NULL AS completed FROM tus_uploads WHERE id = $1', [id]);
  return rows[0];
}

async function locksHeld(): Promise<number> {
  const { rows } = await env.ctx.pool.query(
    `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );
  return rows[0].n;
}

async function create(token: string, length: number, meta: Record<string, string> = { filename: 'clip.MP4' }): Promise<string> {
  const res = await request(a.app).post('/api/uploads').set(TUS).set(bearer(token)).set('Upload-Length', String(length)).set('Upload-Metadata', metadata(meta));
  expect(res.status).toBe(201);
  return (res.headers.location as string).split('/').pop()!;
}

const patch = (id: string, offset: number, body: Buffer, token = station) =>
  request(a.app).patch(`/api/uploads/${id}`).set(TUS).set(bearer(token)).set('Upload-Offset', String(offset)).set('Content-Type', OCTETS).send(body);

const head = (id: string, token = station) => request(a.app).head(`/api/uploads/${id}`).set(TUS).set(bearer(token));

/** A real tus client upload; resolves with the last response, rejects with the client's error. */
function tusUpload(data: Buffer, o: { base: string; uploadUrl?: string; chunkSize?: number; retryDelays?: number[]; meta?: Record<string, string> }) {
  let upload!: Upload;
  const done = new Promise<HttpResponse>((resolve, reject) => {
    upload = new Upload(data, {
      endpoint: `${o.base}/api/uploads`,
      uploadUrl: o.uploadUrl ?? null,
      uploadSize: data.length,
      chunkSize: o.chunkSize ?? Infinity,
      metadata: o.meta ?? { filename: 'clip.MP4' },
      headers: bearer(station),
      retryDelays: o.retryDelays ?? null,
      storeFingerprintForResuming: false,
      onSuccess: ({ lastResponse }) => resolve(lastResponse),
      onError: reject,
    });
    upload.start();
  });
  return { upload, done };
}

/** A PATCH sent by hand, so a test can stall its body half-way; `res` settles when the server answers or cuts. */
function rawPatch(base: string, id: string, offset: number, headers: Record<string, string> = {}) {
  const req = http.request(`${base}/api/uploads/${id}`, {
    method: 'PATCH',
    headers: { ...TUS, ...bearer(station), 'Upload-Offset': String(offset), 'Content-Type': OCTETS, ...headers },
  });
  const res = new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
    req.on('response', (r) => {
      let body = '';
      r.setEncoding('utf8').on('data', (c: string) => (body += c));
      r.on('end', () => resolve({ status: r.statusCode!, headers: r.headers, body }));
    });
    req.on('error', reject);
  });
  return { req, res };
}

/**
 * A TCP relay to `target` that passes `budget` bytes of requests and then cuts every connection: the
 * server receives exactly the bytes before the cut, as when a docking station loses its link.
 */
async function cuttingProxy(target: string, budget: number): Promise<{ base: string; close(): Promise<void> }> {
  const port = Number(new URL(target).port);
  let passed = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    upstream.pipe(client);
    client.on('data', (chunk: Buffer) => {
      const room = budget - passed;
      if (chunk.length < room) {
        passed += chunk.length;
        upstream.write(chunk);
        return;
      }
      passed = budget;
      upstream.end(chunk.subarray(0, Math.max(room, 0)));
      for (const s of sockets) if (s !== upstream) s.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Starts a tus upload through a relay that cuts after `budget` bytes; returns the id once the server has settled. */
async function uploadUntilCut(data: Buffer, budget: number): Promise<{ id: string; kept: number }> {
  const proxy = await cuttingProxy(a.base, budget);
  try {
    const { upload, done } = tusUpload(data, { base: proxy.base });
    await expect(done).rejects.toThrow();
    const id = upload.url!.split('/').pop()!;
    await waitFor(async () => ((await row(id))?.offset ?? 0) > 0 && (await locksHeld()) === 0, 'the cut PATCH to be recorded', 5000, 20);
    return { id, kept: (await row(id))!.offset };
  } finally {
    await proxy.close();
  }
}

describe('tus-js-client against the server', () => {
  test('an upload in several PATCHes becomes a recording of exactly the bytes sent, with its metadata', async () => {
    const data = randomBytes(6 * MiB + 123);
    const meta = { filename: '执法仪_ABC123_100001_20260301083000_0001.MP4', recorderSerial: 'ABC123', badgeNo: '100001', startedAt: '2026-03-01T08:30:00+08:00' };
    const { upload, done } = tusUpload(data, { base: a.base, chunkSize: 2 * MiB, meta });
    const last = await done;
    const id = upload.url!.split('/').pop()!;

    expect(a.patches.filter((p) => p.id === id).map((p) => p.offset)).toEqual([0, 2 * MiB, 4 * MiB, 6 * MiB]);
    const got = handed.filter((h) => h.id === id);
    expect(got).toEqual([
      { id, sha256: sha256(data), size: data.length, length: data.length, filename: meta.filename, fields: { recorderSerial: 'ABC123', badgeNo: '100001', startedAt: meta.startedAt }, method: 'tus', username: 'station1' },
    ]);
    expect(last.getHeader('X-Content-SHA256')).toBe(sha256(data));
    expect(last.getHeader('X-Recording-Duplicate')).toBe('false');

    const res = await head(id);
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({
      'tus-resumable': '1.0.0',
      'upload-offset': String(data.length),
      'upload-length': String(data.length),
      'cache-control': 'no-store',
      'x-recording-id': last.getHeader('X-Recording-Id'),
      'x-content-sha256': sha256(data),
      'x-recording-duplicate': 'false',
    });
    expect(await exists(dataFile(id))).toBe(false);
    expect(await row(id)).toEqual({ offset: data.length, completed: true });
  });

  test('a connection cut mid-way resumes from the bytes the server kept, not from zero', async () => {
    const data = randomBytes(8 * MiB);
    const { id, kept } = await uploadUntilCut(data, 3 * MiB);
    // The relay passed 3 MiB, headers included. What was still in the request stream's buffer when the
    // connection dropped is gone with it (Node discards it), so a few KiB short of that is expected.
    expect(kept).toBeGreaterThan(3 * MiB - 256 * 1024);
    expect(kept).toBeLessThan(3 * MiB);
    expect((await readFile(dataFile(id))).equals(data.subarray(0, kept))).toBe(true);

    const { done } = tusUpload(data, { base: a.base, uploadUrl: `${a.base}/api/uploads/${id}` });
    const last = await done;
    expect(a.patches.filter((p) => p.id === id).map((p) => p.offset)).toEqual([0, kept]);
    expect(last.getHeader('X-Content-SHA256')).toBe(sha256(data));
    expect(handed.filter((h) => h.id === id).map((h) => h.sha256)).toEqual([sha256(data)]);
  });

  test('an upload cut in one process resumes in another', async () => {
    const data = randomBytes(8 * MiB);
    const { id, kept } = await uploadUntilCut(data, 5 * MiB);
    expect(kept).toBeGreaterThan(4 * MiB);

    const { done } = tusUpload(data, { base: b.base, uploadUrl: `${b.base}/api/uploads/${id}` });
    const last = await done;
    expect(b.patches.filter((p) => p.id === id).map((p) => p.offset)).toEqual([kept]);
    expect(last.getHeader('X-Content-SHA256')).toBe(sha256(data));
    expect(handed.filter((h) => h.id === id).map((h) => h.sha256)).toEqual([sha256(data)]);
    expect(await exists(dataFile(id))).toBe(false);
  });
});

describe('creating an upload', () => {
  test('answers 201 with a Location, an empty file and a row; OPTIONS tells the protocol', async () => {
    const id = await create(station, 1000, { filename: 'a.MP4', important: 'true' });
    expect((await stat(dataFile(id))).size).toBe(0);
    expect(await row(id)).toEqual({ offset: 0, completed: false });
    const options = await request(a.app).options('/api/uploads');
    expect(options.status).toBe(204);
    expect(options.headers).toMatchObject({ 'tus-version': '1.0.0', 'tus-extension': 'creation,termination', 'tus-max-size': String(MAX_BYTES) });
  });

  test('bad lengths and metadata are refused with a stable code, and nothing is created', async () => {
    const before = await uploadFiles();
    const post = (headers: Record<string, string>) => request(a.app).post('/api/uploads').set(TUS).set(bearer(station)).set(headers);
    const ok = metadata({ filename: 'a.MP4' });
    const cases: [Record<string, string>, number, string][] = [
      [{ 'Upload-Metadata': ok }, 400, 'missing_header'],
      [{ 'Upload-Length': '12abc', 'Upload-Metadata': ok }, 400, 'invalid_header'],
      [{ 'Upload-Length': '-5', 'Upload-Metadata': ok }, 400, 'invalid_header'],
      [{ 'Upload-Length': '0', 'Upload-Metadata': ok }, 400, 'empty_file'],
      [{ 'Upload-Length': String(MAX_BYTES + 1), 'Upload-Metadata': ok }, 413, 'too_large'],
      [{ 'Upload-Length': '10' }, 400, 'missing_field'],
      [{ 'Upload-Length': '10', 'Upload-Metadata': metadata({ badgeNo: '100001' }) }, 400, 'missing_field'],
      [{ 'Upload-Length': '10', 'Upload-Metadata': `${ok},${metadata({ colour: 'red' })}` }, 400, 'unknown_field'],
      [{ 'Upload-Length': '10', 'Upload-Metadata': `${ok},${ok}` }, 400, 'invalid_metadata'],
      [{ 'Upload-Length': '10', 'Upload-Metadata': 'filename @@not-base64@@' }, 400, 'invalid_metadata'],
      [{ 'Upload-Length': '10', 'Upload-Metadata': `filename ${Buffer.from([0x61, 0xff, 0xfe]).toString('base64')}` }, 400, 'invalid_metadata'],
      [{ 'Upload-Length': '10', 'Upload-Metadata': metadata({ filename: '../etc/x.MP4' }) }, 400, 'invalid_filename'],
      [{ 'Upload-Length': '10', 'Upload-Metadata': metadata({ filename: 'a\\b.MP4' }) }, 400, 'invalid_filename'],
      [{ 'Upload-Length': '10', 'Upload-Metadata': metadata({ filename: '..' }) }, 400, 'invalid_filename'],
      [{ 'Upload-Length': '10', 'Upload-Metadata': metadata({ filename: 'a\u0001b.MP4' }) }, 400, 'invalid_filename'],
      [{ 'Upload-Length': '10', 'Upload-Metadata': metadata({ filename: `${'x'.repeat(296)}.MP4` }) }, 400, 'invalid_filename'],
      [{ 'Upload-Length': '10', 'Upload-Metadata': 'filename' }, 400, 'invalid_filename'],
      [{ 'Upload-Length': '10', 'Upload-Metadata': `${ok},${metadata({ badgeNo: '999999' })}` }, 422, 'unknown_officer'],
    ];
    const wrong: string[] = [];
    for (const [headers, status, code] of cases) {
      const res = await post(headers);
      if (res.status !== status || res.body.code !== code || res.headers['tus-resumable'] !== '1.0.0') {
        wrong.push(`${JSON.stringify(headers)} → ${res.status} ${res.body.code}`);
      }
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    expect(wrong).toEqual([]);
    expect((await post({ 'Upload-Length': String(MAX_BYTES + 1), 'Upload-Metadata': ok })).headers['tus-max-size']).toBe(String(MAX_BYTES));
    expect(await uploadFiles()).toEqual(before);
  });

  test('another protocol version is 412 with Tus-Version; no credentials is 401', async () => {
    const old = await request(a.app).post('/api/uploads').set('Tus-Resumable', '0.2.0').set(bearer(station)).set('Upload-Length', '10').set('Upload-Metadata', metadata({ filename: 'a.MP4' }));
    expect(old.status).toBe(412);
    expect(old.headers['tus-version']).toBe('1.0.0');
    expect(old.body.code).toBe('unsupported_tus_version');
    const id = await create(station, 10);
    expect((await request(a.app).head(`/api/uploads/${id}`).set(bearer(station))).status).toBe(412);
    expect((await patch(id, 0, Buffer.alloc(10)).set('Tus-Resumable', '0.2.0')).status).toBe(412);
    expect((await request(a.app).post('/api/uploads').set(TUS).set('Upload-Length', '10')).status).toBe(401);
    expect((await request(a.app).head(`/api/uploads/${id}`).set(TUS)).status).toBe(401);
    expect((await request(a.app).patch(`/api/uploads/${id}`).set(TUS).set('Upload-Offset', '0').set('Content-Type', OCTETS).send(Buffer.alloc(10))).status).toBe(401);
    expect((await row(id))!.offset).toBe(0);
  });
});

describe('PATCH, HEAD and DELETE', () => {
  test('only the creator sees an upload; anyone else, and ids that are not ids, get 404', async () => {
    const id = await create(station, 10);
    expect((await head(id, admin)).status).toBe(404);
    expect((await patch(id, 0, Buffer.alloc(10), admin)).status).toBe(404);
    expect((await request(a.app).delete(`/api/uploads/${id}`).set(TUS).set(bearer(admin))).status).toBe(404);
    expect((await head('not-a-uuid')).status).toBe(404);
    expect((await head(randomUUID())).status).toBe(404);
    const mine = await head(id);
    expect(mine.status).toBe(200);
    expect(mine.headers['upload-offset']).toBe('0');
    expect(mine.headers['x-recording-id']).toBeUndefined();
  });

  test('a wrong offset is 409, a wrong content type 415, a missing offset 400', async () => {
    const id = await create(station, 10);
    expect((await patch(id, 0, Buffer.from('abcd'))).headers['upload-offset']).toBe('4');
    const wrong = await patch(id, 0, Buffer.from('efgh'));
    expect(wrong.status).toBe(409);
    expect(wrong.body.code).toBe('offset_mismatch');
    const typed = await request(a.app).patch(`/api/uploads/${id}`).set(TUS).set(bearer(station)).set('Upload-Offset', '4').set('Content-Type', 'application/octet-stream').send(Buffer.from('efgh'));
    expect(typed.status).toBe(415);
    expect(typed.headers['tus-resumable']).toBe('1.0.0');
    const unsaid = await request(a.app).patch(`/api/uploads/${id}`).set(TUS).set(bearer(station)).set('Content-Type', OCTETS).send(Buffer.from('efgh'));
    expect(unsaid.status).toBe(400);
    expect(unsaid.body.code).toBe('missing_header');
    expect((await readFile(dataFile(id))).toString()).toBe('abcd');

    // Refused before its body has arrived: answered at once, and the connection closed rather than drained.
    const early = rawPatch(a.base, id, 0, { 'Content-Length': String(MiB) });
    early.req.write(Buffer.alloc(1024));
    const refused = await early.res;
    early.req.destroy();
    expect(refused.status).toBe(409);
    expect(refused.headers.connection).toBe('close');
  });

  test('a body past Upload-Length is refused whole, declared or chunked, and nothing past the length is kept', async () => {
    const data = randomBytes(2 * MiB + 10);
    const id = await create(station, data.length);
    const declared = await patch(id, 0, Buffer.alloc(data.length + 1));
    expect(declared.status).toBe(400);
    expect(declared.body.code).toBe('beyond_length');
    expect((await patch(id, 0, data.subarray(0, 6))).status).toBe(204);

    // No Content-Length: chunked, so the excess is found while streaming, after a first part was written.
    const { req, res } = rawPatch(a.base, id, 6);
    req.write(data.subarray(6, 6 + 1.5 * MiB));
    await waitFor(async () => (await stat(dataFile(id))).size > MiB, 'the first part on disk', 5000, 20);
    req.end(Buffer.concat([data.subarray(6 + 1.5 * MiB), Buffer.from('!')])); // one byte too many
    const chunked = await res;
    expect(chunked.status).toBe(400);
    expect(JSON.parse(chunked.body).code).toBe('beyond_length');
    expect((await head(id)).headers['upload-offset']).toBe('6');
    expect((await readFile(dataFile(id))).equals(data.subarray(0, 6))).toBe(true);
    expect(handed.some((h) => h.id === id)).toBe(false);

    const rest = await patch(id, 6, data.subarray(6));
    expect(rest.headers['x-content-sha256']).toBe(sha256(data));
  });

  test('DELETE removes the upload and its bytes', async () => {
    const id = await create(station, 10);
    await patch(id, 0, Buffer.from('abc'));
    const del = await request(a.app).delete(`/api/uploads/${id}`).set(TUS).set(bearer(station));
    expect(del.status).toBe(204);
    expect(del.headers['tus-resumable']).toBe('1.0.0');
    expect((await head(id)).status).toBe(404);
    expect(await exists(dataFile(id))).toBe(false);
    expect(await row(id)).toBeUndefined();
    expect((await request(a.app).delete(`/api/uploads/${id}`).set(TUS).set(bearer(station))).status).toBe(404);
  });

  test('bytes past the recorded offset (a crash before the row was updated) are cut before appending', async () => {
    const data = randomBytes(100);
    const id = await create(station, 100);
    await patch(id, 0, data.subarray(0, 40));
    await appendFile(dataFile(id), Buffer.alloc(30, 0xee));
    expect((await patch(id, 40, data.subarray(40, 50))).headers['upload-offset']).toBe('50');
    expect((await readFile(dataFile(id))).equals(data.subarray(0, 50))).toBe(true);
    const res = await patch(id, 50, data.subarray(50));
    expect(res.status).toBe(204);
    expect(res.headers['x-content-sha256']).toBe(sha256(data));
  });

  test('a file shorter than its recorded offset moves the offset back: 409, then the client resends', async () => {
    const data = randomBytes(100);
    const id = await create(station, 100);
    await patch(id, 0, data.subarray(0, 40));
    await truncate(dataFile(id), 10);
    expect((await patch(id, 40, data.subarray(40))).status).toBe(409);
    expect((await head(id)).headers['upload-offset']).toBe('10');
    const res = await patch(id, 10, data.subarray(10));
    expect(res.headers['x-content-sha256']).toBe(sha256(data));
  });
});

describe('completion', () => {
  test('an ingest refusal reaches the client as its problem, and nothing of the upload remains', async () => {
    const id = await create(station, 1000, { filename: 'REFUSE.MP4' });
    const res = await patch(id, 0, randomBytes(1000));
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'sha256_mismatch', field: 'sha256' });
    expect(handed.filter((h) => h.id === id)).toHaveLength(1);
    expect((await head(id)).status).toBe(404);
    expect(await row(id)).toBeUndefined();
    expect(await exists(dataFile(id))).toBe(false);
  });

  test('an ingest outage keeps the bytes; an empty PATCH at the end retries, and asking again gives the same answer', async () => {
    const data = randomBytes(1000);
    const id = await create(station, 1000, { filename: 'FLAKY.MP4' });
    const failed = await patch(id, 0, data);
    expect(failed.status).toBe(500);
    const after = await head(id);
    expect(after.headers['upload-offset']).toBe('1000');
    expect(after.headers['x-recording-id']).toBeUndefined();
    expect((await readFile(dataFile(id))).equals(data)).toBe(true);

    const retried = await patch(id, 1000, Buffer.alloc(0));
    expect(retried.status).toBe(204);
    expect(retried.headers['x-content-sha256']).toBe(sha256(data));
    expect(await exists(dataFile(id))).toBe(false);
    const again = await patch(id, 1000, Buffer.alloc(0));
    expect(again.status).toBe(204);
    expect(again.headers['x-recording-id']).toBe(retried.headers['x-recording-id']);
    expect((await patch(id, 999, Buffer.alloc(1))).status).toBe(409);
    expect(handed.filter((h) => h.id === id).map((h) => h.sha256)).toEqual([sha256(data), sha256(data)]);
  });

  test('tus-js-client after an outage reports success from HEAD without X-Recording-Id: the client must retry the completion', async () => {
    const data = randomBytes(2000);
    const { upload, done } = tusUpload(data, { base: a.base, retryDelays: [0], meta: { filename: 'FLAKY-2.MP4' } });
    const last = await done;
    expect(last.getHeader('X-Recording-Id')).toBeUndefined();
    const id = upload.url!.split('/').pop()!;
    const retried = await patch(id, data.length, Buffer.alloc(0));
    expect(retried.headers['x-content-sha256']).toBe(sha256(data));
  });
});

describe('concurrency', () => {
  test('a second PATCH while one is writing is 423 Locked, and the data stays the first writer\'s', async () => {
    const data = randomBytes(4000);
    const id = await create(station, 4000);
    const first = rawPatch(a.base, id, 0, { 'Content-Length': '2000' });
    first.req.write(data.subarray(0, 1000));
    await waitFor(async () => (await locksHeld()) > 0, 'the first PATCH to hold the lock', 5000, 20);

    const second = await request(b.app).patch(`/api/uploads/${id}`).set(TUS).set(bearer(station)).set('Upload-Offset', '0').set('Content-Type', OCTETS).send(randomBytes(500));
    expect(second.status).toBe(423);
    expect(second.body.code).toBe('upload_locked');
    expect(await uploadFiles()).toContain(id);

    first.req.end(data.subarray(1000, 2000));
    const res = await first.res;
    expect(res.status).toBe(204);
    expect(res.headers['upload-offset']).toBe('2000');
    expect((await readFile(dataFile(id))).equals(data.subarray(0, 2000))).toBe(true);
  });

  test('a body that stalls is ended after the idle time; its bytes are kept and the lock let go', async () => {
    const data = randomBytes(2000);
    const id = await create(station, 2000);
    const stalled = rawPatch(a.base, id, 0, { 'Content-Length': '2000' });
    stalled.req.write(data.subarray(0, 700));
    await expect(stalled.res).rejects.toThrow();
    await waitFor(async () => (await row(id))?.offset === 700 && (await locksHeld()) === 0, 'the stalled PATCH to be recorded', 5000, 20);
    const res = await patch(id, 700, data.subarray(700));
    expect(res.headers['x-content-sha256']).toBe(sha256(data));
  });
});
