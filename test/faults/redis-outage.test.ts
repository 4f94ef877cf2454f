import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue, type Job } from 'bullmq';
import pino from 'pino';
import request from 'supertest';
import type { Context } from '../../src/context';
import { bullConnection } from '../../src/queue/connection';
import { JOB_NAMES, type HandledJob } from '../../src/queue/jobs';
import { createQueues, enqueue, OutboxRelay } from '../../src/queue/outbox';
import { derivedPrefix } from '../../storage/keys';
import { handlers, type HandlerMap } from '../../workers/handlers';
import type { JobRun } from '../../workers/media-job';
import { startWorkerRole, type WorkerRole } from '../../workers/worker';
import { makeClip } from '../fixtures/clips';
import { seedBureau } from '../support/bureau';
import { startTestEnv, type TestEnv } from '../support/harness';
import { startOwnRedis, type OwnService } from '../support/own-services';
import { settle } from '../support/settle';
import { captureLogs } from '../support/log-capture';
import { waitFor } from '../support/wait';

/*
 * Issue 8, "Redis is stopped during a docking session": the API and a worker role run in this process on a
 * Redis of the test's own (an append-only file, as production's must have), which the test stops and starts.
 * Uploads go on while it is down (the outbox holds their work), /healthz names it, and once it is back the
 * same relay and workers (nothing restarted) do every pending job, each effect once.
 *
 * "Once" is observed at the handlers: each run is recorded with its outcome, and a run that found its work
 * already done says so ({ skipped }). Every recording must end with exactly one run that did the probe,
 * the proxy and the thumbnails, and exactly one stored object of each kind.
 */

/** A handler run the test saw: started, then done (did the work), skipped (found it done) or failed. */
interface Run {
  stage: HandledJob;
  recordingId: string | undefined;
  outcome?: 'done' | 'skipped' | 'failed';
}

const runs: Run[] = [];
/** A hook run at the start of a stage's handler, before the real one (the test injects its fault there). */
const beforeRun: Partial<Record<HandledJob, (job: Job) => Promise<void>>> = {};

function observedHandlers(): HandlerMap {
  const wrap = (stage: HandledJob) => async (job: Job, ctx: Context, run: JobRun) => {
    const entry: Run = { stage, recordingId: (job.data as { recordingId?: string }).recordingId };
    runs.push(entry);
    await beforeRun[stage]?.(job);
    const handler = handlers[stage] as (job: Job, ctx: Context, run: JobRun) => Promise<unknown>;
    try {
      const result = await handler(job, ctx, run);
      entry.outcome = result !== null && typeof result === 'object' && 'skipped' in result ? 'skipped' : 'done';
      return result;
    } catch (err) {
      entry.outcome = 'failed';
      throw err;
    }
  };
  return Object.fromEntries(JOB_NAMES.map((stage) => [stage, wrap(stage)])) as unknown as HandlerMap;
}

let redis: OwnService;
let env: TestEnv;
let tokens: Awaited<ReturnType<typeof seedBureau>>;
let worker: WorkerRole;
let dir: string;
/** The worker role's log lines. */
const { logger: workerLogger, lines: logs } = captureLogs('info');

beforeAll(async () => {
  redis = await startOwnRedis();
  env = await startTestEnv({
    REDIS_URL: redis.url,
    OUTBOX_POLL_MS: '200',
    RETENTION_RUN_AT: 'off',
    INTEGRITY_AUDIT_AT: 'off',
    // Every recording gets a proxy, so each one runs all three media stages.
    PROXY_ALWAYS_TRANSCODE: 'true',
    // An outage of a few seconds outlasts a job's lock: the harder case, where BullMQ hands the job out again.
    JOB_LOCK_MS: '2000',
  });
  tokens = await seedBureau(env);
  worker = startWorkerRole({ ...env.ctx, logger: workerLogger }, observedHandlers());
  dir = await mkdtemp(path.join(tmpdir(), 'bce-redis-outage-'));
}, 60_000);

afterAll(async () => {
  for (const stage of Object.keys(beforeRun)) delete beforeRun[stage as HandledJob];
  // Redis back first, whatever state a failed test left it in: the worker and the harness clean up through it.
  await redis?.start().catch(() => undefined);
  await worker?.close();
  await env?.close();
  await redis?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
let seq = 0;

/** A docking station uploads one short clip; returns the recording id. */
async function dock(): Promise<string> {
  seq += 1;
  const name = `DSJ0001_100001_20260301${String(80000 + seq * 100).padStart(6, '0')}_${String(seq).padStart(4, '0')}.MP4`;
  const file = await makeClip(dir, name);
  const res = await request(env.app).post('/api/recordings').set(auth(tokens.station)).attach('file', file, name);
  expect(res.status).toBe(201);
  expect(res.body.recordings).toHaveLength(1);
  return res.body.recordings[0].id as string;
}

const health = () => request(env.app).get('/healthz');

async function redisReported(): Promise<request.Response> {
  return waitFor(async () => {
    const res = await health();
    return res.status === 503 ? res : null;
  }, '/healthz to report the outage');
}

async function redisBack(): Promise<void> {
  await redis.start();
  await waitFor(async () => (await health()).status === 200, '/healthz to be ok again');
}

/** The names of a recording's derived objects, generation stripped: ['poster.jpg', 'proxy.mp4', 'sprite.jpg']. */
async function derivedObjects(id: string): Promise<string[]> {
  const names: string[] = [];
  for await (const o of env.ctx.store.list(derivedPrefix(id))) names.push(o.key.slice(o.key.lastIndexOf('/') + 1).replace(/-[0-9a-z]+\./, '.'));
  return names.sort();
}

async function recording(id: string) {
  const res = await request(env.app).get(`/api/recordings/${id}`).set(auth(tokens.admin));
  expect(res.status).toBe(200);
  return res.body;
}

/** Each media stage did its work exactly once for the recording, however often its job was handed out. */
function stagesDone(id: string): Record<string, number> {
  const counts: Record<string, number> = { probe: 0, proxy: 0, thumbnails: 0 };
  for (const r of runs) if (r.recordingId === id && r.stage in counts && r.outcome === 'done') counts[r.stage]! += 1;
  return counts;
}

/** Every effect of processing happened once: ready with a transcoded proxy and thumbnails, one object of each. */
async function processedOnce(id: string): Promise<void> {
  expect(await recording(id)).toMatchObject({ id, status: 'ready', statusReason: null, playback: { proxy: { kind: 'transcode' }, poster: true, sprite: expect.any(Object) } });
  expect(await derivedObjects(id)).toEqual(['poster.jpg', 'proxy.mp4', 'sprite.jpg']);
  expect(stagesDone(id)).toEqual({ probe: 1, proxy: 1, thumbnails: 1 });
  expect(runs.filter((r) => r.recordingId === id && r.outcome === 'failed')).toEqual([]);
  // One ingest on record, and each stage's work written to the outbox once.
  const custody = await env.ctx.pool.query<{ action: string }>(`SELECT action FROM custody_events WHERE target = $1`, [`recording:${id}`]);
  expect(custody.rows.map((r) => r.action)).toEqual(['ingest']);
  const outbox = await env.ctx.pool.query<{ job_name: string; n: number; unrelayed: number }>(
    `SELECT job_name, count(*)::int AS n, count(*) FILTER (WHERE relayed_at IS NULL)::int AS unrelayed
       FROM outbox WHERE payload->>'recordingId' = $1 AND job_name IN ('probe', 'proxy', 'thumbnails') GROUP BY job_name ORDER BY job_name`,
    [id],
  );
  expect(outbox.rows).toEqual([
    { job_name: 'probe', n: 1, unrelayed: 0 },
    { job_name: 'proxy', n: 1, unrelayed: 0 },
    { job_name: 'thumbnails', n: 1, unrelayed: 0 },
  ]);
}

/** The BullMQ jobs of a recording's stages: all completed, none failed. */
async function jobStates(id: string): Promise<Record<string, string>> {
  const connection = bullConnection(env.config.redis.url, 'producer', () => undefined);
  try {
    const states: Record<string, string> = {};
    for (const stage of ['probe', 'proxy', 'thumbnails'] as const) {
      const queue = new Queue(stage, { connection, prefix: env.config.redis.prefix });
      const job = await queue.getJob(`${stage}-${id}`);
      states[stage] = job ? await job.getState() : 'missing';
      await queue.close();
    }
    return states;
  } finally {
    connection.disconnect();
  }
}

const relayPauses = () => logs.filter((l) => l.msg === 'outbox relay paused; will retry').length;

test('uploads while Redis is down are recorded and wait in the outbox; when it returns, every job is done once, nothing restarted', async () => {
  // The docking session begins with Redis up: the first file goes through the pipeline as usual.
  const before = await dock();
  await settle(env, 60_000);
  await processedOnce(before);

  await redis.stop();
  const down = await redisReported();
  expect(down.body).toEqual({ status: 'unavailable', failing: ['redis'], checks: { db: 'ok', redis: { error: expect.any(String) }, storage: 'ok' } });
  expect(down.headers['cache-control']).toBe('no-store');

  // The session goes on: each file is stored, on record and its work in the outbox.
  const during = [await dock(), await dock(), await dock()];
  const unrelayed = () => env.ctx.pool.query<{ job_id: string }>('SELECT job_id FROM outbox WHERE relayed_at IS NULL ORDER BY job_id');
  const pending = async () => (await unrelayed()).rows.map((r) => r.job_id);
  const expected = during.flatMap((id) => [`link-${id}`, `probe-${id}`]).sort();
  expect(await pending()).toEqual(expected);
  for (const id of during) {
    expect(await recording(id)).toMatchObject({ status: 'received', playback: null });
    const { rows } = await env.ctx.pool.query('SELECT action FROM custody_events WHERE target = $1', [`recording:${id}`]);
    expect(rows).toEqual([{ action: 'ingest' }]);
  }
  // The relay tries, fails and keeps the rows: still all there after it has been turned away twice more.
  const pauses = relayPauses();
  await waitFor(() => relayPauses() >= pauses + 2, 'the relay to retry while Redis is down');
  expect(await pending()).toEqual(expected);
  expect((await health()).status).toBe(503);

  await redisBack();
  await settle(env, 60_000);
  for (const id of during) {
    await processedOnce(id);
    expect(await jobStates(id)).toEqual({ probe: 'completed', proxy: 'completed', thumbnails: 'completed' });
  }
  expect(await pending()).toEqual([]);
  // The same processes did it: one worker start in the log, and the relay still polling.
  expect(logs.filter((l) => l.msg === 'worker started')).toHaveLength(1);
}, 120_000);

test('Redis stopped while a transcode runs: the job is handed out again when it returns, its effects happen once', async () => {
  const id = await dock();
  // The fault, at the moment the proxy job has begun (the job is active in Redis, its lock held).
  let hit = false;
  beforeRun.proxy = async (job) => {
    if (hit || job.data.recordingId !== id) return;
    hit = true;
    await redis.stop();
  };
  try {
    await waitFor(() => hit, 'the proxy job to start', 60_000);
    expect((await redisReported()).body.failing).toEqual(['redis']);
    // The transcode finishes with Redis still down: its effects are in the catalog and the store, and the
    // thumbnails job it queued waits in the outbox.
    await waitFor(() => runs.some((r) => r.recordingId === id && r.stage === 'proxy' && r.outcome), 'the transcode to finish', 60_000);
    const { rows } = await env.ctx.pool.query(`SELECT relayed_at FROM outbox WHERE job_id = $1`, [`thumbnails-${id}`]);
    expect(rows).toEqual([{ relayed_at: null }]);
    // Down longer than the job's lock (2 s): BullMQ must consider the job's worker lost.
    await new Promise((r) => setTimeout(r, 5000));
  } finally {
    delete beforeRun.proxy;
    if (!redis.running()) await redisBack();
  }
  await settle(env, 60_000);
  await processedOnce(id);
  expect(await jobStates(id)).toEqual({ probe: 'completed', proxy: 'completed', thumbnails: 'completed' });
  // Delivered at least once: its lock gone, the job was handed out again, and the second run found the
  // work done (the first run's completion could not reach Redis: "Missing lock for job").
  const proxyRuns = runs.filter((r) => r.recordingId === id && r.stage === 'proxy');
  expect(proxyRuns.length).toBeGreaterThanOrEqual(2);
  expect(proxyRuns.map((r) => r.outcome)).toEqual(['done', ...proxyRuns.slice(1).map(() => 'skipped')]);
  expect(logs.filter((l) => l.msg === 'job stalled: its worker stopped renewing the lock; it runs again').length).toBeGreaterThanOrEqual(1);
}, 120_000);

test('a relay batch cut short by Redis marks the rows it moved, so none is relayed again (a replace row would redo its work)', async () => {
  const silent = pino({ level: 'silent' });
  // One queue on a Redis of its own that goes away after connecting: the batch fails at its second row.
  const other = await startOwnRedis();
  const live = createQueues(redis.url, env.config.redis.prefix, silent);
  const lost = createQueues(other.url, env.config.redis.prefix, silent);
  const ids = ['ping-batch-1', 'relink-0', 'ping-batch-2'];
  await worker.relay.stop();
  try {
    await lost.queues.relink.waitUntilReady();
    await other.stop();
    await enqueue(env.ctx.pool, 'ping', ids[0]!, { requestedAt: new Date().toISOString(), note: 'relayed before the failure' });
    await enqueue(env.ctx.pool, 'relink', ids[1]!, { caseId: 0 }, { replace: true });
    await enqueue(env.ctx.pool, 'ping', ids[2]!, { requestedAt: new Date().toISOString(), note: 'after it' });
    const relay = new OutboxRelay(env.ctx.pool, { ...live.queues, relink: lost.queues.relink }, silent, 60_000);
    await expect(relay.drain()).rejects.toThrow();
    const { rows } = await env.ctx.pool.query(`SELECT job_id, relayed_at IS NOT NULL AS relayed FROM outbox WHERE job_id = ANY($1) ORDER BY id`, [ids]);
    expect(rows).toEqual([
      { job_id: 'ping-batch-1', relayed: true },
      { job_id: 'relink-0', relayed: false },
      { job_id: 'ping-batch-2', relayed: false },
    ]);
    expect(await live.queues.ping.getJob('ping-batch-1')).toBeDefined();
    expect(await live.queues.ping.getJob('ping-batch-2')).toBeUndefined();
  } finally {
    // The rows left over are this test's, not work for the system's relay.
    await env.ctx.pool.query('UPDATE outbox SET relayed_at = now() WHERE job_id = ANY($1) AND relayed_at IS NULL', [ids]);
    await other.start();
    await Promise.all([live.close(), lost.close()]);
    await other.close();
    worker.relay.start();
  }
}, 60_000);

test('a relay that has never reached Redis gives up on its batch instead of holding the outbox rows locked', async () => {
  const silent = pino({ level: 'silent' });
  const never = await startOwnRedis();
  await never.stop();
  const producer = createQueues(never.url, env.config.redis.prefix, silent);
  await worker.relay.stop();
  const id = 'ping-never-connected';
  try {
    await enqueue(env.ctx.pool, 'ping', id, { requestedAt: new Date().toISOString() });
    // BullMQ waits for a first connection without limit; the relay must not wait with it, in a transaction.
    await expect(new OutboxRelay(env.ctx.pool, producer.queues, silent, 60_000).drain()).rejects.toThrow(/Redis not reachable/);
    const locked = await env.ctx.pool.query(`SELECT 1 FROM outbox WHERE job_id = $1 AND relayed_at IS NULL FOR UPDATE NOWAIT`, [id]);
    expect(locked.rowCount).toBe(1);
    const open = await env.ctx.pool.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'`);
    expect(open.rowCount).toBe(0);
  } finally {
    await env.ctx.pool.query('UPDATE outbox SET relayed_at = now() WHERE job_id = $1', [id]);
    // Its queues close once they have connected.
    await never.start();
    await producer.close();
    await never.close();
    worker.relay.start();
  }
}, 60_000);
