import { Queue } from 'bullmq';
import { inTransaction } from '../../src/db/pool';
import { enqueue } from '../../src/queue/outbox';
import { jobId } from '../../src/queue/jobs';
import { assertHandlerMap, handlers } from '../../workers/handlers';
import { startWorkerRole, type WorkerRole } from '../../workers/worker';
import { startTestEnv, type TestEnv } from '../support/harness';
import { waitFor } from '../support/wait';

let env: TestEnv;
let worker: WorkerRole;
let pingQueue: Queue;

beforeAll(async () => {
  env = await startTestEnv({ OUTBOX_POLL_MS: '100' });
  worker = startWorkerRole(env.ctx);
  pingQueue = new Queue('ping', { connection: { host: '127.0.0.1', port: 6379 }, prefix: env.config.redis.prefix });
});
afterAll(async () => {
  await worker.close();
  await pingQueue.obliterate({ force: true });
  await pingQueue.close();
  await env.close();
});

async function finished(id: string, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const job = await pingQueue.getJob(id);
    if (job && (await job.isCompleted())) return (await pingQueue.getJob(id))!;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${id} did not complete`);
}

test('a job written to the outbox in a transaction reaches its worker and runs', async () => {
  const id = jobId('ping', 'committed');
  await inTransaction(env.ctx.pool, (c) => enqueue(c, 'ping', id, { requestedAt: '2026-01-01T00:00:00.000Z' }));
  const job = await finished(id);
  expect(job.returnvalue).toMatchObject({ pong: true, requestedAt: '2026-01-01T00:00:00.000Z' });
  const { rows } = await env.ctx.pool.query('SELECT relayed_at FROM outbox WHERE job_id = $1', [id]);
  expect(rows[0].relayed_at).toBeInstanceOf(Date);
});

test('a rolled-back transaction leaves no job', async () => {
  const id = jobId('ping', 'rolledback');
  await expect(
    inTransaction(env.ctx.pool, async (c) => {
      await enqueue(c, 'ping', id, { requestedAt: 'x' });
      throw new Error('the state change failed');
    }),
  ).rejects.toThrow('the state change failed');
  await worker.relay.drain();
  expect(await pingQueue.getJob(id)).toBeUndefined();
  expect((await env.ctx.pool.query('SELECT 1 FROM outbox WHERE job_id = $1', [id])).rowCount).toBe(0);
});

test('the same job id relayed twice runs once', async () => {
  const id = jobId('ping', 'twice');
  await enqueue(env.ctx.pool, 'ping', id, { requestedAt: 'first' });
  await enqueue(env.ctx.pool, 'ping', id, { requestedAt: 'second' });
  await finished(id);
  await worker.relay.drain();
  const counts = await pingQueue.getJobCounts('completed', 'waiting', 'active');
  const completed = await pingQueue.getCompleted();
  expect(completed.filter((j) => j.id === id)).toHaveLength(1);
  expect(counts.waiting + counts.active).toBe(0);
});

test('job ids may not contain a colon', () => {
  expect(() => jobId('ping', 'a:b')).toThrow(/contains ':'/);
});

test('a handler map that misses a job or names an unknown one is refused at start-up', () => {
  expect(() => assertHandlerMap(handlers)).not.toThrow();
  expect(() => assertHandlerMap({}, ['ping'])).toThrow('no handler for job ping');
  expect(() => assertHandlerMap({ ping: handlers.ping, pong: handlers.ping }, ['ping'])).toThrow('handler for unknown job pong');
  expect(() => assertHandlerMap({ ping: 'not a function' }, ['ping'])).toThrow('no handler for job ping');
});

test('work for a job this version has no handler for waits in the outbox, and does not block the rest', async () => {
  // Written by a newer version during a rolling upgrade: this one leaves it for a worker that knows it.
  await env.ctx.pool.query(`INSERT INTO outbox (job_name, job_id, payload) VALUES ('future', 'future-1', '{}')`);
  const id = jobId('ping', 'behind-future');
  await enqueue(env.ctx.pool, 'ping', id, { requestedAt: 'after' });
  await finished(id);
  const { rows } = await env.ctx.pool.query("SELECT relayed_at FROM outbox WHERE job_name = 'future'");
  expect(rows).toEqual([{ relayed_at: null }]);
});

test('a commit reaches the queue at once: the relay listens for the outbox trigger instead of waiting to poll', async () => {
  // The relay here polls every 100 ms; this one polls once a minute, so only the notification can be quick.
  const listeners = async () =>
    (
      await env.ctx.pool.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN outbox' AND state = 'idle'`,
      )
    ).rows.map((r) => r.pid);
  const before = await listeners();
  await worker.close();
  worker = startWorkerRole({ ...env.ctx, config: { ...env.config, outboxPollMs: 60_000 } });
  // Its LISTEN in place, seen as a session that was not listening before (a fixed wait could be short under load).
  await waitFor(async () => (await listeners()).some((pid) => !before.includes(pid)), 'the new relay to listen');
  const id = jobId('ping', 'notified');
  await enqueue(env.ctx.pool, 'ping', id, { requestedAt: 'now' });
  await finished(id, 10_000);
});
