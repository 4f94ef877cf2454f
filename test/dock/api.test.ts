import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { HttpResponse } from 'tus-js-client';
import { classifyTusError, createApi, outcomeOf, patienceMs, uploadFingerprint, type UploadFile } from '../../src/dock/api';
import { DockError, httpError, kindOfStatus } from '../../src/dock/errors';
import { DockUrlStorage } from '../../src/dock/state';
import { FakeServer } from './fake-server';
import { makeFiles, MiB, removeDirs, tempDir } from './helpers';

function response(status: number, headers: Record<string, string> = {}, body = ''): HttpResponse {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { getStatus: () => status, getHeader: (h) => lower[h.toLowerCase()], getBody: () => body, getUnderlyingObject: () => null };
}
const request = (method: string) => ({ getMethod: () => method });

test('HTTP statuses map to kinds, and only passing ones are retried', () => {
  const cases: [number, string, boolean][] = [
    [401, 'auth', false],
    [403, 'auth', false],
    [400, 'rejected', false],
    [413, 'rejected', false],
    [415, 'rejected', false],
    [422, 'rejected', false],
    [404, 'expired', true],
    [410, 'expired', true],
    [409, 'busy', true],
    [423, 'busy', true],
    [429, 'busy', true],
    [500, 'server', true],
    [503, 'server', true],
  ];
  for (const [status, kind, retryable] of cases) {
    const err = classifyTusError({ originalRequest: request('PATCH'), originalResponse: response(status) });
    expect([status, err.kind, err.retryable]).toEqual([status, kind, retryable]);
  }
  // A lookup's 404 is a wrong server, not an expired upload.
  expect(kindOfStatus(404, false)).toBe('rejected');
});

test('tus errors without an answer are network failures, or local ones when no request was made', () => {
  const reset = classifyTusError({ originalRequest: request('PATCH'), originalResponse: null, causingError: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
  expect(reset).toMatchObject({ kind: 'network', message: 'PATCH: ECONNRESET socket hang up' });
  expect(reset.retryable).toBe(true);
  const gone = classifyTusError(Object.assign(new Error("ENOENT: no such file or directory, stat '/rec/a.MP4'"), { code: 'ENOENT' }));
  expect(gone.kind).toBe('read');
  expect(gone.retryable).toBe(false);
  const shrunk = classifyTusError({ originalRequest: request('PATCH'), causingError: new Error('upload was configured with a size of 10 bytes, but the source is done after 5 bytes') });
  expect(shrunk.kind).toBe('changed');
  const own = new DockError('verify', 'x');
  expect(classifyTusError(own)).toBe(own);
});

test('problem details make the message', () => {
  expect(httpError(422, '{"type":"about:blank","code":"unknown_officer","detail":"no officer 100001"}', true, 'PATCH').message).toBe('PATCH: 422 unknown_officer: no officer 100001');
  expect(httpError(502, '<html>bad gateway</html>', true, 'PATCH').message).toBe('PATCH: 502');
  expect(httpError(503, 'storage unavailable', false, 'lookup').message).toBe('lookup: 503 storage unavailable');
});

test('reads the recording headers of the final answer', () => {
  const res = response(204, { 'X-Content-SHA256': 'AB'.repeat(32), 'X-Recording-Id': 'r-1', 'X-Recording-Duplicate': 'true' });
  expect(outcomeOf((h) => res.getHeader(h))).toEqual({
    serverSha256: 'ab'.repeat(32),
    recordingId: 'r-1',
    duplicate: true,
  });
  const head = response(200, { 'Upload-Offset': '10', 'X-Content-SHA256': '' });
  expect(outcomeOf((h) => head.getHeader(h))).toEqual({ serverSha256: undefined, recordingId: undefined, duplicate: false });
});

test('the resume fingerprint changes with the file, its content and the server, and has a fixed length', () => {
  const f: UploadFile = { path: '/rec/a.MP4', realPath: '/rec/a.MP4', size: 10, mtimeMs: 1000.5, sha256: 'a'.repeat(64) };
  const fp = uploadFingerprint(f, 'http://s/api/uploads');
  expect(fp).toMatch(/^[0-9a-f]{64}$/);
  expect(uploadFingerprint({ ...f, mtimeMs: 1000.9 }, 'http://s/api/uploads')).toBe(fp);
  for (const other of [{ ...f, realPath: '/rec/b.MP4' }, { ...f, size: 11 }, { ...f, mtimeMs: 2000 }, { ...f, sha256: 'b'.repeat(64) }]) {
    expect(uploadFingerprint(other, 'http://s/api/uploads')).not.toBe(fp);
  }
  expect(uploadFingerprint(f, 'http://t/api/uploads')).not.toBe(fp);
});

test('waits longer for the answer to a larger file, which the server reads again before answering', () => {
  expect(patienceMs(120_000, 0)).toBe(120_000);
  // 4 GiB at 20 MiB/s: 204.8 s more.
  expect(patienceMs(120_000, 4 * 1024 * MiB)).toBe(324_800);
});

describe('against a server', () => {
  let dir: string;
  let storage: DockUrlStorage;
  const servers: { close(): unknown }[] = [];

  beforeEach(async () => {
    dir = await tempDir('api');
    storage = new DockUrlStorage(path.join(dir, 'uploads.json'), { warn: () => undefined });
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
    await removeDirs(dir);
  });

  const api = (server: string, token = 'tok', stallTimeoutMs = 60_000) =>
    createApi({ server: `${server}/`, token, storage, chunkSize: 64 * MiB, retryDelays: [], stallTimeoutMs, requestTimeoutMs: 5000 });

  test('lookup sends the hashes with the token and reads {known}', async () => {
    const sha = 'c'.repeat(64);
    const server = await new FakeServer('tok', [sha]).start();
    servers.push(server);
    expect([...(await api(server.url).lookup([sha, 'd'.repeat(64)]))]).toEqual([sha]);
    await expect(api(server.url, 'wrong').lookup([sha])).rejects.toMatchObject({ kind: 'auth', status: 401 });
  });

  test('a lookup answer without {known} is a server fault', async () => {
    const raw = http.createServer((_req, res) => res.end('{"hashes":[]}'));
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    servers.push({ close: () => new Promise((resolve) => raw.close(resolve)) });
    await expect(api(`http://127.0.0.1:${(raw.address() as AddressInfo).port}`).lookup(['e'.repeat(64)])).rejects.toMatchObject({ kind: 'server' });
  });

  test('an upload that stops moving is cut and reported as a network failure', async () => {
    const made = await makeFiles(dir, { 'a.MP4': 1 * MiB });
    // Takes the upload, then neither reads nor answers the PATCH.
    const raw = http.createServer((req, res) => {
      if (req.method === 'POST') {
        res.writeHead(201, { Location: '/api/uploads/1', 'Tus-Resumable': '1.0.0' });
        res.end();
      }
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    servers.push({ close: () => (raw.closeAllConnections(), new Promise((resolve) => raw.close(resolve))) });
    const file: UploadFile = { path: path.join(dir, 'a.MP4'), realPath: path.join(dir, 'a.MP4'), size: MiB, mtimeMs: 1, sha256: made['a.MP4'].sha256 };
    const started = Date.now();

    const attempt = api(`http://127.0.0.1:${(raw.address() as AddressInfo).port}`, 'tok', 300).upload(file, {
      metadata: { filename: 'a.MP4' },
      signal: new AbortController().signal,
      onProgress: () => undefined,
    });

    await expect(attempt).rejects.toMatchObject({ kind: 'network', message: expect.stringMatching(/no progress/) });
    expect(Date.now() - started).toBeLessThan(5000);
    // The upload URL is kept: the next attempt resumes it.
    await storage.flush();
    expect(await storage.findAllUploads()).toHaveLength(1);
  });

  test('an upload stops at once when told to', async () => {
    const made = await makeFiles(dir, { 'a.MP4': 4 * MiB });
    const server = await new FakeServer('tok').start();
    servers.push(server);
    const stop = new AbortController();
    server.faults.onBytes = (u) => {
      if (u.offset > MiB) stop.abort();
    };
    const file: UploadFile = { path: path.join(dir, 'a.MP4'), realPath: path.join(dir, 'a.MP4'), size: 4 * MiB, mtimeMs: 1, sha256: made['a.MP4'].sha256 };

    await expect(api(server.url).upload(file, { metadata: { filename: 'a.MP4' }, signal: stop.signal, onProgress: () => undefined })).rejects.toMatchObject({
      kind: 'aborted',
    });
    expect(server.recordings.size).toBe(0);
  });
});
