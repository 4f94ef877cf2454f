import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../scripts/scratch';
import { issueToken } from '../../src/auth/tokens';
import { createPool, type Pool } from '../../src/db/pool';
import { createUser } from '../../src/directory/users';
import { jobId } from '../../src/queue/jobs';
import { enqueue } from '../../src/queue/outbox';
import { runTs, type Child } from '../faults/upload-helpers';
import { createTestDatabase } from '../support/harness';
import { waitFor } from '../support/wait';
import { parseExposition, select, valueOf } from './exposition';

// The processes as deployed (src/main.ts): an API process with METRICS_PORT, and a worker process, which has
// no API server and serves /metrics and /healthz on a port of its own.
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let dataDir: string;
let prefix: string;
let pool: Pool;
let api: Child;
let worker: Child;
const ports = { api: 0, metrics: 0, worker: 0 };
const url = (port: number, p: string) => `http://127.0.0.1:${port}${p}`;

beforeAll(async () => {
  db = await createTestDatabase();
  dataDir = await mkdtemp(path.join(tmpdir(), 'bce-metrics-'));
  prefix = `bcemetrics-${randomBytes(3).toString('hex')}`;
  for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
  const env = { ...process.env, DATABASE_URL: db.url, DATA_DIR: dataDir, REDIS_PREFIX: prefix, LOG_LEVEL: 'info', HOST: '127.0.0.1', OUTBOX_POLL_MS: '200' };
  api = runTs(['src/main.ts', 'api'], { ...env, PORT: String(ports.api), METRICS_PORT: String(ports.metrics) });
  worker = runTs(['src/main.ts', 'worker'], { ...env, PORT: String(ports.worker) });
  await waitFor(() => api.output().includes('metrics listening') && worker.output().includes('metrics listening'), 'both processes', 60_000);
  pool = createPool(db.url, 2, () => undefined);
}, 90_000);

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  await pool?.end();
  const redis = new Redis('redis://127.0.0.1:6379');
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await db.drop();
  await rm(dataDir, { recursive: true, force: true });
});

async function tokenFor(username: string, role: 'admin' | 'station'): Promise<string> {
  const user = await createUser(pool, { username, password: `pw-${username}-long-enough`, role }, 10);
  return (await issueToken(pool, user.id, 'api', null)).token;
}

test('with METRICS_PORT the figures are on that port without credentials, and not on the API port', async () => {
  const onApi = await fetch(url(ports.api, '/metrics'));
  expect(onApi.status).toBe(404);
  expect(onApi.headers.get('content-type')).toMatch(/application\/problem\+json/);

  const res = await fetch(url(ports.metrics, '/metrics'));
  expect(res.status).toBe(200);
  // A fresh API's first scrape also opens its Redis connection, within a 2 s limit a loaded machine can overrun
  // (the queue figures are then left out, source_up 0): scrape until they are in.
  const m = await waitFor(
    async () => {
      const scraped = parseExposition(await (await fetch(url(ports.metrics, '/metrics'))).text());
      return valueOf(scraped, 'bodycam_metrics_source_up', { source: 'queues' }) === 1 ? scraped : null;
    },
    'the queue figures in a scrape',
    30_000,
    500,
  );
  // The API role serves the installation's figures with its own.
  expect(valueOf(m, 'bodycam_queue_jobs', { queue: 'probe', state: 'waiting' })).toBe(0);
  expect(valueOf(m, 'bodycam_recordings', { class: 'unlinked' })).toBe(0);
  expect(valueOf(m, 'bodycam_custody_chain_ok')).toBe(1);
  expect(valueOf(m, 'bodycam_metrics_source_up', { source: 'queues' })).toBe(1);
  expect(valueOf(m, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  // The metrics port serves nothing else.
  expect((await fetch(url(ports.metrics, '/api/auth/me'))).status).toBe(404);
});

test('a worker serves its own work on its port: /healthz open, /metrics to admins', async () => {
  const health = await fetch(url(ports.worker, '/healthz'));
  expect(health.status).toBe(200);
  expect(await health.json()).toMatchObject({ status: 'ok' });

  expect((await fetch(url(ports.worker, '/metrics'))).status).toBe(401);
  const station = await tokenFor('dock-01', 'station');
  expect((await fetch(url(ports.worker, '/metrics'), { headers: { Authorization: `Bearer ${station}` } })).status).toBe(403);

  const admin = await tokenFor('root', 'admin');
  // A job through the outbox to this worker: its duration appears in the worker's figures.
  await enqueue(pool, 'ping', jobId('ping', 'metrics'), { requestedAt: new Date().toISOString() });
  const m = await waitFor(
    async () => {
      const res = await fetch(url(ports.worker, '/metrics'), { headers: { Authorization: `Bearer ${admin}` } });
      expect(res.status).toBe(200);
      const s = parseExposition(await res.text());
      return valueOf(s, 'bodycam_job_duration_seconds_count', { job: 'ping', outcome: 'completed' }) === 1 ? s : null;
    },
    'the ping job in the worker\'s figures',
    30_000,
    200,
  );
  // The installation's figures are the API role's to serve; a worker has none of them.
  expect(select(m, 'bodycam_queue_jobs')).toEqual([]);
  expect(select(m, 'bodycam_recordings')).toEqual([]);
  expect(valueOf(m, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
});

test('both processes stop cleanly on SIGTERM, their metrics listeners with them', async () => {
  await Promise.all([api.stop(), worker.stop()]);
  expect(await api.exited).toEqual({ code: 0, signal: null });
  expect(await worker.exited).toEqual({ code: 0, signal: null });
  await expect(fetch(url(ports.metrics, '/metrics'))).rejects.toThrow();
});

test('a worker whose port is taken (beside an API on one machine) stops before taking any job, naming the setting', async () => {
  const env = { ...process.env, DATABASE_URL: db.url, DATA_DIR: dataDir, REDIS_PREFIX: prefix, LOG_LEVEL: 'info', HOST: '127.0.0.1' };
  // A port already in use, as an API process's would be to a worker started with the same PORT.
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as AddressInfo).port;
  try {
    const clash = runTs(['src/main.ts', 'worker'], { ...env, PORT: String(port) });
    expect(await clash.exited).toEqual({ code: 1, signal: null });
    expect(clash.output()).toContain(`port ${port} (PORT) is in use: give this worker process its own PORT or METRICS_PORT`);
    expect(clash.output()).not.toContain('worker started');
  } finally {
    await new Promise((resolve) => taken.close(resolve));
  }
}, 60_000);
