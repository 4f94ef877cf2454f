import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import request from 'supertest';
import { createApp } from '../../src/http/app';
import { createPool } from '../../src/db/pool';
import { FilesystemStore } from '../../storage/filesystem-store';
import { startTestEnv, type TestEnv } from '../support/harness';
import type { Context } from '../../src/context';

let env: TestEnv;
beforeAll(async () => {
  env = await startTestEnv();
});
afterAll(() => env.close());

test('all up → 200 with every check ok', async () => {
  const res = await request(env.app).get('/healthz');
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ status: 'ok', checks: { db: 'ok', redis: 'ok', storage: 'ok' } });
});

// A port nothing listens on: connections are refused at once.
const DEAD = 'redis://127.0.0.1:1';

test.each(['db', 'redis', 'storage'] as const)('%s down → 503 naming it, the others still ok', async (down) => {
  const parts: Partial<Context> = {};
  const closers: (() => unknown)[] = [];
  if (down === 'db') {
    parts.pool = createPool('postgres://postgres@127.0.0.1:1/none', 1, () => undefined);
    closers.push(() => parts.pool!.end());
  }
  if (down === 'redis') {
    const redis = new Redis(DEAD, { maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null, connectTimeout: 500 });
    redis.on('error', () => undefined);
    parts.redis = redis;
    closers.push(async () => {
      if (redis.status !== 'end') await new Promise((r) => redis.once('end', r));
    });
  }
  if (down === 'storage') {
    // A store whose root lies under a regular file can neither be created nor written.
    const file = path.join(env.dataDir, 'not-a-dir');
    await writeFile(file, 'x');
    parts.store = new FilesystemStore(path.join(file, 'store'));
  }
  const { app } = createApp({ ...env.ctx, ...parts });
  const res = await request(app).get('/healthz');
  expect(res.status).toBe(503);
  expect(res.body.status).toBe('unavailable');
  expect(res.body.failing).toEqual([down]);
  expect(res.body.checks[down]).toEqual({ error: expect.any(String) });
  for (const other of ['db', 'redis', 'storage'].filter((c) => c !== down)) expect(res.body.checks[other]).toBe('ok');
  await Promise.all(closers.map((c) => c()));
});

test('a process still making its first Redis connection waits for it instead of reporting an outage', async () => {
  const redis = new Redis(env.config.redis.url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  const { app, close } = createApp({ ...env.ctx, redis });
  const connecting = redis.connect();
  expect(redis.status).toBe('connecting');
  const res = await request(app).get('/healthz');
  expect(res.status).toBe(200);
  expect(res.body.checks.redis).toBe('ok');
  await connecting;
  await close();
  redis.disconnect();
});
