import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import express, { type ErrorRequestHandler } from 'express';
import request from 'supertest';
import { errorHandler, sendProblem } from '../../src/http/problem';
import { parseRange, sendObject, type ServeOptions, type ServeResult } from '../../src/http/serve-object';
import { createLogger } from '../../src/logger';
import { FilesystemStore } from '../../storage/filesystem-store';
import { StorageNotFoundError, type ObjectStore } from '../../storage/object-store';
import { S3Store } from '../../storage/s3-store';
import { listen } from '../support/listen';
import { startS3rver, type TestServer } from '../support/s3rver';

const MiB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('parseRange', () => {
  const size = 10;
  it.each<[string | undefined, ReturnType<typeof parseRange>]>([
    [undefined, null],
    ['bytes=0-', { start: 0, end: 9 }],
    ['bytes=5-9', { start: 5, end: 9 }],
    ['bytes=5-5', { start: 5, end: 5 }],
    ['bytes=9-', { start: 9, end: 9 }],
    ['bytes=5-100', { start: 5, end: 9 }],
    ['bytes=-3', { start: 7, end: 9 }],
    ['bytes=-10', { start: 0, end: 9 }],
    ['bytes=-11', { start: 0, end: 9 }],
    ['bytes=-0', 'unsatisfiable'],
    ['bytes=10-', 'unsatisfiable'],
    ['bytes=100-', 'unsatisfiable'],
    ['bytes=100-200', 'unsatisfiable'],
    ['bytes=9-5', 'ignore'],
    ['bytes=0-1,5-6', 'ignore'],
    ['bytes=0-1, 20-30', 'ignore'],
    ['items=0-1', 'ignore'],
    ['bytes=', 'ignore'],
    ['bytes=-', 'ignore'],
    ['bytes=a-b', 'ignore'],
    ['bytes=1.5-2', 'ignore'],
    ['bytes=+1-2', 'ignore'],
    ['bytes=-1-2', 'ignore'],
    ['bytes 0-1', 'ignore'],
    ['garbage', 'ignore'],
    ['', 'ignore'],
    // Case-insensitive unit, empty list elements skipped, leading zeros are still numbers (RFC 9110).
    ['Bytes=0-1', { start: 0, end: 1 }],
    ['bytes=0-1,', { start: 0, end: 1 }],
    ['bytes=0003-0004', { start: 3, end: 4 }],
    // Beyond Number.MAX_SAFE_INTEGER: compared exactly, never rounded into a "valid" small number.
    ['bytes=0-99999999999999999999999', { start: 0, end: 9 }],
    ['bytes=99999999999999999999999-', 'unsatisfiable'],
    ['bytes=-99999999999999999999999', { start: 0, end: 9 }],
    ['bytes=18446744073709551617-18446744073709551616', 'ignore'],
    ['bytes=9007199254740993-9007199254740993', 'unsatisfiable'],
  ])('%j of 10 bytes → %j', (header, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });

  it('handles a zero-length object', () => {
    expect(parseRange('bytes=0-', 0)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 0)).toBe('unsatisfiable');
    expect(parseRange('bytes=-5', 0)).toBe('ignore');
    expect(parseRange(undefined, 0)).toBeNull();
  });

  it('handles sizes beyond 4 GiB exactly', () => {
    const size = 6 * 1024 ** 3 + 7;
    expect(parseRange('bytes=5000000000-', size)).toEqual({ start: 5_000_000_000, end: size - 1 });
    expect(parseRange('bytes=-7', size)).toEqual({ start: size - 7, end: size - 1 });
  });

  it('refuses a size that is not a byte count', () => {
    expect(() => parseRange('bytes=0-', -1)).toThrow(RangeError);
    expect(() => parseRange('bytes=0-', 1.5)).toThrow(RangeError);
  });
});

/** A tiny app: GET (and so HEAD) /o?key=… serves through sendObject with the options of the moment. */
function serveApp(store: ObjectStore) {
  const state = {
    opts: { contentType: 'video/mp4' } as ServeOptions & { size?: number },
    results: [] as ServeResult[],
    errors: [] as unknown[],
    /** Resolves with what the next request's sendObject did (result or error). */
    next: undefined as undefined | ((outcome: { result?: ServeResult; error?: unknown }) => void),
  };
  const app = express();
  app.get('/o', async (req, res) => {
    try {
      const result = await sendObject(req, res, store, String(req.query.key), state.opts);
      state.results.push(result);
      state.next?.({ result });
    } catch (error) {
      state.next?.({ error });
      throw error;
    }
  });
  const notFound: ErrorRequestHandler = (err, _req, res, next) => {
    state.errors.push(err);
    if (err instanceof StorageNotFoundError && !res.headersSent) return sendProblem(res, 404, 'not_found', 'no such object');
    next(err);
  };
  app.use(notFound);
  app.use(errorHandler(createLogger('silent')));
  const outcome = () => new Promise<{ result?: ServeResult; error?: unknown }>((resolve) => (state.next = resolve));
  return { app, state, outcome };
}

/** supertest parser that keeps any body as a Buffer (superagent only buffers types it knows). */
function binary(res: unknown, done: (err: Error | null, body: Buffer) => void) {
  const chunks: Buffer[] = [];
  (res as Readable).on('data', (c: Buffer) => chunks.push(c));
  (res as Readable).on('end', () => done(null, Buffer.concat(chunks)));
}

function fetch(app: express.Express, key: string, headers: Record<string, string> = {}, method: 'get' | 'head' = 'get') {
  let req = request(app)[method](`/o?key=${encodeURIComponent(key)}`);
  for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
  return req.buffer(true).parse(binary);
}

const problemOf = (body: Buffer) => JSON.parse(body.toString('utf8'));

function fdsTo(file: string): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(file)) out.push(fd);
    } catch {
      // closed between readdir and readlink
    }
  }
  return out;
}
const fdCount = () => readdirSync('/proc/self/fd').length;

async function until(check: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/** Requests over a real socket, reads the first chunk of the body, then drops the connection. */
function startThenAbort(base: string, key: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; got: number; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
    const req = http.get(`${base}/o?key=${encodeURIComponent(key)}`, { agent: false, headers }, (res) => {
      res.once('data', (chunk: Buffer) => {
        res.pause();
        // Let the server fill the socket buffers and stall on backpressure mid-file before hanging up.
        setTimeout(() => {
          req.destroy();
          resolve({ status: res.statusCode!, got: chunk.length, headers: res.headers });
        }, 200);
      });
    });
    req.on('error', (err) => {
      if (!req.destroyed) reject(err);
    });
  });
}

const tempDirs: string[] = [];
afterAll(async () => {
  await Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('sendObject on the filesystem store', () => {
  const data = randomBytes(100_003);
  const key = 'originals/ab/abc';
  const etag = sha256(data);
  let store: FilesystemStore;
  let served: ReturnType<typeof serveApp>;

  beforeAll(async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bce-serve-'));
    tempDirs.push(dir);
    store = new FilesystemStore(dir);
    await store.init();
    await store.put(key, Readable.from([data]));
    await store.put('empty/one', Readable.from([]));
  });
  beforeEach(() => {
    served = serveApp(store);
    served.state.opts = { contentType: 'video/mp4', etag, headers: { 'X-Content-SHA256': etag } };
  });

  it('serves the whole object with 200 and every header', async () => {
    const outcome = served.outcome();
    const res = await fetch(served.app, key);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('video/mp4');
    expect(res.headers['content-length']).toBe(String(data.length));
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers['etag']).toBe(`"${etag}"`);
    expect(res.headers['cache-control']).toBe('private, max-age=0, must-revalidate');
    expect(res.headers['x-content-sha256']).toBe(etag);
    expect(res.headers['content-range']).toBeUndefined();
    expect(res.headers['content-disposition']).toBeUndefined();
    expect(sha256(res.body)).toBe(etag);
    // The client can have the last byte before the server saw its 'finish'.
    expect(await outcome).toEqual({ result: { status: 200, range: null, bytes: data.length, aborted: false } });
  });

  it.each([
    ['bytes=0-', 0, data.length - 1],
    ['bytes=5-9', 5, 9],
    ['bytes=0-0', 0, 0],
    ['bytes=-3', data.length - 3, data.length - 1],
    ['bytes=50000-', 50_000, data.length - 1],
    ['bytes=99990-200000', 99_990, data.length - 1],
    [`bytes=${data.length - 1}-`, data.length - 1, data.length - 1],
    ['bytes=-99999999999999999999', 0, data.length - 1],
  ])('%s → 206 with exactly bytes %d-%d', async (range, start, end) => {
    const outcome = served.outcome();
    const res = await fetch(served.app, key, { Range: range });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/${data.length}`);
    expect(res.headers['content-length']).toBe(String(end - start + 1));
    expect(res.headers['etag']).toBe(`"${etag}"`);
    expect(Buffer.compare(res.body, data.subarray(start, end + 1))).toBe(0);
    expect(await outcome).toEqual({ result: { status: 206, range: { start, end }, bytes: end - start + 1, aborted: false } });
  });

  it.each(['bytes=-0', `bytes=${data.length}-`, 'bytes=100000000-', 'bytes=99999999999999999999999-'])(
    '%s → 416 problem+json with Content-Range: bytes */size',
    async (range) => {
      const res = await fetch(served.app, key, { Range: range });
      expect(res.status).toBe(416);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['content-range']).toBe(`bytes */${data.length}`);
      expect(problemOf(res.body)).toMatchObject({ status: 416, code: 'range_not_satisfiable' });
      // Nothing of the object's headers leaks onto the error (Express puts its own weak ETag on any send()).
      expect(res.headers['etag']).not.toBe(`"${etag}"`);
      expect(res.headers['x-content-sha256']).toBeUndefined();
    },
  );

  it.each(['bytes=9-5', 'bytes=0-1,5-6', 'items=0-1', 'garbage', 'bytes=abc'])('%s is ignored: 200 with the whole object', async (range) => {
    const res = await fetch(served.app, key, { Range: range });
    expect(res.status).toBe(200);
    expect(res.headers['content-range']).toBeUndefined();
    expect(sha256(res.body)).toBe(etag);
  });

  it('answers HEAD with the headers of a GET and no body, without opening the object', async () => {
    const get = jest.spyOn(store, 'get');
    try {
      const whole = await fetch(served.app, key, {}, 'head');
      expect(whole.status).toBe(200);
      expect(whole.headers['content-length']).toBe(String(data.length));
      expect(whole.headers['accept-ranges']).toBe('bytes');
      expect(whole.headers['etag']).toBe(`"${etag}"`);
      expect(whole.body?.length ?? 0).toBe(0);
      const part = await fetch(served.app, key, { Range: 'bytes=10-19' }, 'head');
      expect(part.status).toBe(206);
      expect(part.headers['content-range']).toBe(`bytes 10-19/${data.length}`);
      expect(part.headers['content-length']).toBe('10');
      expect(part.body?.length ?? 0).toBe(0);
      expect(get).not.toHaveBeenCalled();
    } finally {
      get.mockRestore();
    }
  });

  it.each(['"ETAG"', 'W/"ETAG"', '"other", "ETAG"', '*'])('If-None-Match %s → 304', async (template) => {
    const outcome = served.outcome();
    const res = await fetch(served.app, key, { 'If-None-Match': template.replace('ETAG', etag), Range: 'bytes=0-' });
    expect(res.status).toBe(304);
    expect(res.headers['etag']).toBe(`"${etag}"`);
    expect(res.headers['cache-control']).toBe('private, max-age=0, must-revalidate');
    expect(res.body?.length ?? 0).toBe(0);
    expect(await outcome).toMatchObject({ result: { status: 304, bytes: 0 } });
  });

  it('If-None-Match with another tag → 200', async () => {
    const res = await fetch(served.app, key, { 'If-None-Match': '"something-else"' });
    expect(res.status).toBe(200);
    expect(sha256(res.body)).toBe(etag);
  });

  it('honours If-Range only when it names the current tag, strongly', async () => {
    const match = await fetch(served.app, key, { Range: 'bytes=5-9', 'If-Range': `"${etag}"` });
    expect(match.status).toBe(206);
    expect(Buffer.compare(match.body, data.subarray(5, 10))).toBe(0);
    for (const ifRange of ['"stale"', `W/"${etag}"`, 'Wed, 21 Oct 2015 07:28:00 GMT']) {
      const res = await fetch(served.app, key, { Range: 'bytes=5-9', 'If-Range': ifRange });
      expect(res.status).toBe(200);
      expect(res.headers['content-range']).toBeUndefined();
      expect(sha256(res.body)).toBe(etag);
    }
    // A stale If-Range also overrides an unsatisfiable range: the client gets the new whole object.
    const past = await fetch(served.app, key, { Range: 'bytes=99999999-', 'If-Range': '"stale"' });
    expect(past.status).toBe(200);
  });

  it('offers a Chinese download name through filename* with an ASCII fallback', async () => {
    const name = '执法记录仪 2024-05-01 "王警官" (1).mp4';
    served.state.opts = { ...served.state.opts, downloadName: name };
    const res = await fetch(served.app, key);
    expect(res.status).toBe(200);
    const header = res.headers['content-disposition'] as string;
    expect(header).toMatch(/^attachment; filename="[\x20-\x21\x23-\x7e]*"; filename\*=UTF-8''[A-Za-z0-9!#$&+\-.^_`|~%]+$/);
    const star = /filename\*=UTF-8''(.*)$/.exec(header)![1]!;
    expect(decodeURIComponent(star)).toBe(name);
    expect(/filename="(.*?)"/.exec(header)![1]).toBe('_ 2024-05-01 ___ (1).mp4');
    expect(sha256(res.body)).toBe(etag);
  });

  it('lets StorageNotFoundError propagate for an absent key, with or without a size from the caller', async () => {
    const res = await fetch(served.app, 'originals/zz/none');
    expect(res.status).toBe(404);
    expect(problemOf(res.body)).toMatchObject({ code: 'not_found' });
    served.state.opts = { ...served.state.opts, size: 10 };
    const sized = await fetch(served.app, 'originals/zz/none');
    expect(sized.status).toBe(404);
    expect(sized.headers['etag']).not.toBe(`"${etag}"`);
    expect(served.state.errors).toHaveLength(2);
    for (const err of served.state.errors) expect(err).toBeInstanceOf(StorageNotFoundError);
  });

  it('skips the stat when the caller passes the size', async () => {
    const stat = jest.spyOn(store, 'stat');
    try {
      served.state.opts = { ...served.state.opts, size: data.length };
      const res = await fetch(served.app, key, { Range: 'bytes=100-199' });
      expect(res.status).toBe(206);
      expect(Buffer.compare(res.body, data.subarray(100, 200))).toBe(0);
      expect(stat).not.toHaveBeenCalled();
    } finally {
      stat.mockRestore();
    }
  });

  it('plays like Chromium: bytes=0- gets 206 of the full length, then seeks with bytes=N-', async () => {
    const base = await listen(served.app);
    try {
      const agent = request.agent(base.base);
      const first = await agent.get(`/o?key=${key}`).set('Range', 'bytes=0-').buffer(true).parse(binary);
      expect(first.status).toBe(206);
      expect(first.headers['content-range']).toBe(`bytes 0-${data.length - 1}/${data.length}`);
      expect(first.headers['content-length']).toBe(String(data.length));
      expect(first.headers['accept-ranges']).toBe('bytes');
      expect(sha256(first.body)).toBe(etag);
      const seek = await agent.get(`/o?key=${key}`).set('Range', 'bytes=73000-').set('If-Range', first.headers['etag']!).buffer(true).parse(binary);
      expect(seek.status).toBe(206);
      expect(seek.headers['content-range']).toBe(`bytes 73000-${data.length - 1}/${data.length}`);
      expect(Buffer.compare(seek.body, data.subarray(73_000))).toBe(0);
    } finally {
      await base.close();
    }
  });

  it('serves a zero-length object with 200 and refuses ranges of it with 416', async () => {
    served.state.opts = { contentType: 'video/mp4' };
    const res = await fetch(served.app, 'empty/one');
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe('0');
    expect(res.body.length).toBe(0);
    const ranged = await fetch(served.app, 'empty/one', { Range: 'bytes=0-' });
    expect(ranged.status).toBe(416);
    expect(ranged.headers['content-range']).toBe('bytes */0');
  });

  it('answers 416 against the real size when the size passed is stale', async () => {
    served.state.opts = { ...served.state.opts, size: data.length + 1000 };
    const res = await fetch(served.app, key, { Range: `bytes=${data.length + 10}-` });
    expect(res.status).toBe(416);
    expect(res.headers['content-range']).toBe(`bytes */${data.length}`);
  });

  it('cuts the response off, and throws, when the store sends fewer bytes than the size passed', async () => {
    served.state.opts = { ...served.state.opts, size: data.length + 1000 };
    const base = await listen(served.app);
    try {
      const outcome = served.outcome();
      const client = await new Promise<{ got: number; ended: 'end' | 'error' }>((resolve) => {
        http.get(`${base.base}/o?key=${key}`, { agent: false }, (res) => {
          let got = 0;
          res.on('data', (c: Buffer) => (got += c.length));
          res.on('end', () => resolve({ got, ended: 'end' }));
          res.on('error', () => resolve({ got, ended: 'error' }));
        });
      });
      expect(client).toEqual({ got: data.length, ended: 'error' });
      expect(((await outcome).error as Error).message).toMatch(/sent 100003 of the 101003 bytes/);
    } finally {
      await base.close();
    }
  });

  it('destroys the response, and throws, when the store fails mid-stream', async () => {
    const failing: ObjectStore = Object.create(store);
    failing.get = async () =>
      Readable.from(
        (async function* () {
          yield data.subarray(0, 1000);
          await new Promise((r) => setTimeout(r, 50));
          throw new Error('disk read failed');
        })(),
      );
    const app = serveApp(failing);
    app.state.opts = { contentType: 'video/mp4', size: data.length };
    const base = await listen(app.app);
    try {
      const outcome = app.outcome();
      const client = await new Promise<{ status: number; got: number; ended: string }>((resolve) => {
        http.get(`${base.base}/o?key=${key}`, { agent: false }, (res) => {
          let got = 0;
          res.on('data', (c: Buffer) => (got += c.length));
          res.on('end', () => resolve({ status: res.statusCode!, got, ended: 'end' }));
          res.on('error', () => resolve({ status: res.statusCode!, got, ended: 'error' }));
        });
      });
      expect(client).toEqual({ status: 200, got: 1000, ended: 'error' });
      expect(((await outcome).error as Error).message).toBe('disk read failed');
    } finally {
      await base.close();
    }
  });

  it('a store stream that fails before its first byte still leaves no answer hanging', async () => {
    const failing: ObjectStore = Object.create(store);
    failing.get = async () =>
      new Readable({
        read() {
          this.destroy(new Error('gone at once'));
        },
      });
    const app = serveApp(failing);
    app.state.opts = { contentType: 'video/mp4', size: data.length };
    const base = await listen(app.app);
    try {
      const outcome = app.outcome();
      const client = await new Promise<string>((resolve) => {
        const req = http.get(`${base.base}/o?key=${key}`, { agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(`end ${res.statusCode}`));
          res.on('error', () => resolve('response error'));
        });
        req.on('error', (err) => resolve(`request error ${(err as NodeJS.ErrnoException).code}`));
      });
      expect(client).toMatch(/error/);
      expect(((await outcome).error as Error).message).toBe('gone at once');
    } finally {
      await base.close();
    }
  });

  describe('a client that hangs up mid-stream', () => {
    const big = randomBytes(20 * MiB);
    const bigKey = 'originals/cd/big';
    let file: string;
    beforeAll(async () => {
      await store.put(bigKey, Readable.from([big]));
      file = path.join(store.root, 'originals', 'cd', 'big');
    });

    it.each([[{}], [{ Range: 'bytes=1000000-' }]])('leaves no file descriptor open and no error (%j)', async (headers) => {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => void unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      const base = await listen(served.app);
      try {
        const before = fdCount();
        const outcome = served.outcome();
        const client = await startThenAbort(base.base, bigKey, headers);
        expect(client.status).toBe('Range' in headers ? 206 : 200);
        // The transfer really was mid-file: the object was open when the client hung up.
        const { result, error } = await outcome;
        expect(error).toBeUndefined();
        expect(result).toMatchObject({ aborted: true });
        expect(result!.bytes).toBeLessThan(big.length / 2);
        expect(await until(() => fdsTo(file).length === 0)).toBe(true);
        expect(await until(() => fdCount() <= before)).toBe(true);
        expect(served.state.errors).toEqual([]);
        expect(unhandled).toEqual([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
        await base.close();
      }
    });

    it('holds the file open while streaming (so the check above measures something)', async () => {
      const base = await listen(served.app);
      try {
        const seen = await new Promise<number>((resolve) => {
          const req = http.get(`${base.base}/o?key=${bigKey}`, { agent: false }, (res) => {
            res.once('data', () => {
              res.pause();
              setTimeout(() => {
                const open = fdsTo(file).length;
                req.destroy();
                resolve(open);
              }, 100);
            });
          });
          req.on('error', () => undefined);
        });
        expect(seen).toBe(1);
        expect(await until(() => fdsTo(file).length === 0)).toBe(true);
      } finally {
        await base.close();
      }
    });
  });
});

describe('sendObject on the S3 store (s3rver)', () => {
  const data = randomBytes(3 * MiB + 17);
  const big = randomBytes(20 * MiB);
  const key = 'originals/ef/efgh';
  let server: TestServer;
  let store: S3Store;
  let served: ReturnType<typeof serveApp>;

  beforeAll(async () => {
    server = await startS3rver();
    store = new S3Store({
      endPoint: server.endPoint,
      accessKey: 'S3RVER',
      secretKey: 'S3RVER',
      bucket: 'serve-test',
      region: 'us-east-1',
      createBucket: true,
      partSize: 5 * MiB,
      partConcurrency: 2,
    });
    await store.init();
    await store.put(key, Readable.from([data]));
    await store.put('originals/ef/big', Readable.from([big]));
  });
  afterAll(() => server.close());
  beforeEach(() => {
    served = serveApp(store);
    served.state.opts = { contentType: 'video/mp4', etag: sha256(data) };
  });

  it('serves the whole object with 200', async () => {
    const res = await fetch(served.app, key);
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String(data.length));
    expect(sha256(res.body)).toBe(sha256(data));
  });

  it.each([
    ['bytes=0-', 0, data.length - 1],
    ['bytes=0-0', 0, 0], // s3rver answers this one with the whole object; the store cuts it to size
    ['bytes=1048576-2097151', MiB, 2 * MiB - 1],
    ['bytes=-5', data.length - 5, data.length - 1],
    ['bytes=3000000-', 3_000_000, data.length - 1],
  ])('%s → 206 with exactly bytes %d-%d', async (range, start, end) => {
    const res = await fetch(served.app, key, { Range: range });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/${data.length}`);
    expect(res.headers['content-length']).toBe(String(end - start + 1));
    expect(Buffer.compare(res.body, data.subarray(start, end + 1))).toBe(0);
  });

  it('416 past the end, and StorageNotFoundError for an absent key', async () => {
    const past = await fetch(served.app, key, { Range: `bytes=${data.length}-` });
    expect(past.status).toBe(416);
    expect(past.headers['content-range']).toBe(`bytes */${data.length}`);
    const absent = await fetch(served.app, 'originals/ef/none');
    expect(absent.status).toBe(404);
    expect(served.state.errors.at(-1)).toBeInstanceOf(StorageNotFoundError);
  });

  it('a client that hangs up mid-stream closes the request to the store', async () => {
    const base = await listen(served.app);
    const objectFiles = () => fdsTo(path.join(server.directory, 'serve-test'));
    try {
      const outcome = served.outcome();
      const client = await startThenAbort(base.base, 'originals/ef/big', { Range: 'bytes=0-' });
      expect(client.status).toBe(206);
      const { result, error } = await outcome;
      expect(error).toBeUndefined();
      expect(result).toMatchObject({ aborted: true });
      // s3rver (in this process) stops reading its file once our request to it is gone.
      expect(await until(() => objectFiles().length === 0)).toBe(true);
      // And the store still answers afterwards.
      const after = await fetch(served.app, key, { Range: 'bytes=5-9' });
      expect(Buffer.compare(after.body, data.subarray(5, 10))).toBe(0);
    } finally {
      await base.close();
    }
  });
});
