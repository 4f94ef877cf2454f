import { randomBytes } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { Client } from 'minio';
import { createObjectStore } from '../../storage/index';
import { StorageUnavailableError, type MultipartRegistry } from '../../storage/object-store';
import { S3Store, type S3StoreConfig, type StoreLogger } from '../../storage/s3-store';
import { objectStoreContract, readAll, sha256, sourceOf } from './contract';
import { startS3rver, type AbortMode, type TestServer } from '../support/s3rver';

const MiB = 1024 * 1024;
const BUCKET = 'evidence-test';

function configFor(endPoint: string, overrides: Partial<S3StoreConfig> = {}): S3StoreConfig {
  return {
    endPoint,
    accessKey: 'S3RVER',
    secretKey: 'S3RVER',
    bucket: BUCKET,
    region: 'us-east-1',
    createBucket: true,
    partSize: 5 * MiB,
    partConcurrency: 2,
    ...overrides,
  };
}

class RecordingRegistry implements MultipartRegistry {
  events: [string, string, string][] = [];
  async started(key: string, uploadId: string) {
    this.events.push(['started', key, uploadId]);
  }
  async finished(key: string, uploadId: string) {
    this.events.push(['finished', key, uploadId]);
  }
}

function recordingLogger() {
  const lines: { level: string; obj: object; msg?: string }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, msg });
  const logger: StoreLogger = { info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
}

const clientOf = (store: S3Store) => (store as unknown as { client: Client }).client;

objectStoreContract('S3Store on s3rver', async () => {
  const server = await startS3rver('implemented');
  const store = new S3Store(configFor(server.endPoint));
  await store.init();
  return { store, leftovers: () => server.unfinishedUploads(BUCKET), close: () => server.close() };
});

describe('S3Store', () => {
  const servers: TestServer[] = [];
  const start = async (mode: AbortMode) => {
    const server = await startS3rver(mode);
    servers.push(server);
    return server;
  };
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });
  const data = randomBytes(17 * MiB + 5);

  it('drives multipart itself, with at most partConcurrency parts in flight, and registers the upload', async () => {
    const server = await start('implemented');
    const registry = new RecordingRegistry();
    const store = new S3Store(configFor(server.endPoint), { registry });
    await store.init();
    const client = clientOf(store);
    const putObject = jest.spyOn(client, 'putObject');
    const uploadPart = client.uploadPart.bind(client);
    let active = 0;
    let peak = 0;
    const partSizes: number[] = [];
    jest.spyOn(client, 'uploadPart').mockImplementation(async (config, payload) => {
      active++;
      peak = Math.max(peak, active);
      partSizes[config.partNumber - 1] = payload!.length;
      try {
        await new Promise((resolve) => setTimeout(resolve, 50)); // long enough for the next part to overlap
        return await uploadPart(config, payload);
      } finally {
        active--;
      }
    });

    await expect(store.put('originals/ab/abc', sourceOf(data))).resolves.toEqual({ size: data.length });

    expect(partSizes).toEqual([5 * MiB, 5 * MiB, 5 * MiB, 2 * MiB + 5]);
    expect(peak).toBe(2);
    expect(putObject).not.toHaveBeenCalled();
    const [started, finished] = registry.events;
    expect(registry.events).toHaveLength(2);
    expect(started).toEqual(['started', 'originals/ab/abc', expect.stringMatching(/\S/)]);
    expect(finished).toEqual(['finished', 'originals/ab/abc', started![2]]);
    expect(await server.unfinishedUploads(BUCKET)).toEqual([]);
    expect(sha256(await readAll(await store.get('originals/ab/abc')))).toBe(sha256(data));
  });

  it('reads no further ahead of the uploads than partConcurrency + 1 parts', async () => {
    const server = await start('implemented');
    const store = new S3Store(configFor(server.endPoint), {});
    await store.init();
    const client = clientOf(store);
    const uploadPart = client.uploadPart.bind(client);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    jest.spyOn(client, 'uploadPart').mockImplementation(async (config, payload) => {
      await gate;
      return uploadPart(config, payload);
    });
    let pulled = 0;
    const body = sourceOf(data, { pushed: (total) => (pulled = total) });

    const put = store.put('originals/ab/abd', body);
    put.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(pulled).toBeGreaterThanOrEqual(2 * 5 * MiB); // both parallel slots were filled …
    expect(pulled).toBeLessThanOrEqual(3 * 5 * MiB); // … and reading then waited for a slot
    release();
    await expect(put).resolves.toEqual({ size: data.length });
  });

  it('sends an object smaller than a part as one PUT of a Buffer, without the registry', async () => {
    const server = await start('implemented');
    const registry = new RecordingRegistry();
    const store = new S3Store(configFor(server.endPoint), { registry });
    await store.init();
    const putObject = jest.spyOn(clientOf(store), 'putObject');
    const small = data.subarray(0, 5 * MiB - 1);
    await expect(store.put('derived/ab/abc/proxy.mp4', sourceOf(small), { contentType: 'video/mp4' })).resolves.toEqual({
      size: small.length,
    });
    expect(putObject).toHaveBeenCalledTimes(1);
    const [, , body, size, meta] = putObject.mock.calls[0]!;
    expect(Buffer.isBuffer(body)).toBe(true);
    expect(size).toBe(small.length);
    expect(meta).toEqual({ 'Content-Type': 'video/mp4' });
    expect((await clientOf(store).statObject(BUCKET, 'derived/ab/abc/proxy.mp4')).metaData['content-type']).toBe(
      'video/mp4',
    );
    expect(registry.events).toEqual([]);
  });

  it('on a server that cannot abort (s3rver itself): rejects, tells the registry, warns, and the parts stay', async () => {
    const server = await start('s3rver');
    const registry = new RecordingRegistry();
    const { logger, lines } = recordingLogger();
    const store = new S3Store(configFor(server.endPoint), { registry, logger });
    await store.init();
    lines.length = 0; // only what the put logs

    await expect(store.put('originals/ab/abe', sourceOf(data, { failAt: 12 * MiB }))).rejects.toThrow('source broke');

    const [started, finished] = registry.events;
    expect(started).toEqual(['started', 'originals/ab/abe', expect.any(String)]);
    expect(finished).toEqual(['finished', 'originals/ab/abe', started![2]]);
    expect(lines).toEqual([
      expect.objectContaining({ level: 'warn', obj: expect.objectContaining({ code: 'MethodNotAllowed' }) }),
    ]);
    // The documented s3rver gap: its AbortMultipartUpload is a 405, so the parts remain on its disk.
    expect(await server.unfinishedUploads(BUCKET)).toEqual([started![2]]);
    expect(await store.stat('originals/ab/abe')).toBeNull();
    await expect(store.abortMultipart('originals/ab/abe', started![2])).resolves.toBeUndefined();
  });

  it('keeps the upload registered when the abort itself fails, so it can be retried later', async () => {
    const server = await start('failing');
    const registry = new RecordingRegistry();
    const { logger, lines } = recordingLogger();
    const store = new S3Store(configFor(server.endPoint), { registry, logger });
    await store.init();
    lines.length = 0; // only what the put logs
    // minio-js retries 5xx once and says so on the console.
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      await expect(store.put('originals/ab/abf', sourceOf(data, { failAt: 6 * MiB }))).rejects.toThrow('source broke');
      await expect(store.abortMultipart('originals/ab/abf', registry.events[0]![2])).rejects.toBeInstanceOf(
        StorageUnavailableError,
      );
    } finally {
      warn.mockRestore();
    }
    expect(registry.events.map((e) => e[0])).toEqual(['started']);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([['error', 'could not abort a failed multipart upload']]);
  });

  it('abortMultipart aborts a leftover upload, and an unknown one is no error', async () => {
    const server = await start('implemented');
    const store = new S3Store(configFor(server.endPoint));
    await store.init();
    const uploadId = await clientOf(store).initiateNewMultipartUpload(BUCKET, 'originals/ab/abg', {});
    expect(await server.unfinishedUploads(BUCKET)).toEqual([uploadId]);
    await store.abortMultipart('originals/ab/abg', uploadId);
    expect(await server.unfinishedUploads(BUCKET)).toEqual([]);
    await expect(store.abortMultipart('originals/ab/abg', uploadId)).resolves.toBeUndefined();
  });

  it('init() creates the bucket only when configured to, and may run twice', async () => {
    const server = await start('implemented');
    const manual = new S3Store(configFor(server.endPoint, { bucket: 'made-by-hand', createBucket: false }));
    await manual.init();
    await expect(manual.check()).rejects.toThrow(/has no bucket made-by-hand/);

    const auto = new S3Store(configFor(server.endPoint, { bucket: 'made-by-init' }));
    await expect(auto.check()).rejects.toBeInstanceOf(StorageUnavailableError);
    await auto.init();
    await auto.init();
    await expect(auto.check()).resolves.toBeUndefined();
  });

  it('createObjectStore builds an S3Store with its bucket ready', async () => {
    const server = await start('implemented');
    const store = await createObjectStore({
      driver: 'minio',
      dataDir: '/nonexistent',
      ...configFor(server.endPoint, { bucket: 'from-factory' }),
    });
    expect(store).toBeInstanceOf(S3Store);
    expect(store.driver).toBe('minio');
    await expect(store.check()).resolves.toBeUndefined();
  });

  describe('when the server is unreachable', () => {
    it('check() rejects with StorageUnavailableError once the server has stopped', async () => {
      const server = await startS3rver('implemented');
      const store = new S3Store(configFor(server.endPoint));
      await store.init();
      await store.check();
      await server.close();
      const err = await store.check().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageUnavailableError);
      expect((err as Error).message).toMatch(/not reachable/);
      await expect(store.stat('originals/ab/abc')).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(store.put('originals/ab/abc', Readable.from([Buffer.from('x')]))).rejects.toBeInstanceOf(
        StorageUnavailableError,
      );
    });

    it('a server that accepts connections but never answers times out as unavailable', async () => {
      const sockets = new Set<net.Socket>();
      const silent = net.createServer((socket) => void sockets.add(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const { port } = silent.address() as AddressInfo;
      try {
        const store = new S3Store(configFor(`http://127.0.0.1:${port}`), { requestTimeoutMs: 300 });
        const started = Date.now();
        await expect(store.check()).rejects.toBeInstanceOf(StorageUnavailableError);
        await expect(store.get('originals/ab/abc')).rejects.toBeInstanceOf(StorageUnavailableError);
        await expect(store.put('originals/ab/abc', sourceOf(data))).rejects.toBeInstanceOf(StorageUnavailableError);
        expect(Date.now() - started).toBeLessThan(5000);
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => silent.close(resolve));
      }
    });
  });

  it('refuses configurations that cannot work', () => {
    expect(() => new S3Store(configFor('http://127.0.0.1:9000/prefix'))).toThrow(/must not have a path/);
    expect(() => new S3Store(configFor('ftp://127.0.0.1:9000'))).toThrow(/http/);
    expect(() => new S3Store(configFor('http://127.0.0.1:9000', { partSize: MiB }))).toThrow(/at least 5 MiB/);
    expect(() => new S3Store(configFor('http://127.0.0.1:9000', { partConcurrency: 0 }))).toThrow(/at least 1/);
  });
});
