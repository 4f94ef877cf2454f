import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { bullConnection } from '../../src/queue/connection';
import { enqueue, createQueues, OutboxRelay } from '../../src/queue/outbox';
import { jobId } from '../../src/queue/jobs';
import { startTestEnv, type TestEnv } from '../support/harness';
import { waitFor } from '../support/wait';

// A `replace` row says "its inputs changed: do the work again". When it is relayed while the job of the same id
// is running, that run may have read the inputs before the change, and BullMQ drops a job added under the id of
// one still running: the change would never be acted on (a recording's links missing its end, a re-run of
// processing lost). The row must wait for the run to end, and then run the job again.

let env: TestEnv;
let producer: ReturnType<typeof createQueues>;
let relay: OutboxRelay;
let worker: Worker;
let workerRedis: Redis;
const runs: string[] = [];
let release: () => void = () => undefined;
let gate: Promise<void> = Promise.resolve();

beforeAll(async () => {
  env = await startTestEnv();
  producer = createQueues(env.config.redis.url, env.config.redis.prefix, env.ctx.logger);
  // Polls once a minute, so nothing moves unless the test drains it.
  relay = new OutboxRelay(env.ctx.pool, producer.queues, env.ctx.logger, 60_000);
  workerRedis = bullConnection(env.config.redis.url, 'worker', () => undefined);
  worker = new Worker(
    'ping',
    async (job: Job<{ requestedAt: string }>) => {
      runs.push(job.data.requestedAt);
      await gate;
      return { pong: true };
    },
    { connection: workerRedis, prefix: env.config.redis.prefix },
  );
  await worker.waitUntilReady();
});
afterAll(async () => {
  release();
  await worker?.close();
  workerRedis?.disconnect();
  await producer?.queues.ping.obliterate({ force: true });
  await producer?.close();
  await env?.close();
});

const pending = async (id: string) =>
  (await env.ctx.pool.query<{ payload: unknown }>('SELECT payload FROM outbox WHERE job_id = $1 AND relayed_at IS NULL ORDER BY id', [id])).rows.map(
    (r) => r.payload,
  );

test('a replace row relayed while its job runs waits for the run to end, then runs the job again with the change', async () => {
  const id = jobId('ping', 'replace-while-running');
  gate = new Promise((r) => (release = r));
  await enqueue(env.ctx.pool, 'ping', id, { requestedAt: 'first' }, { replace: true });
  expect(await relay.drain()).toBe(1);
  await waitFor(async () => runs.includes('first'), 'the first run to start');

  // The inputs change while the first run is under way; other work relays meanwhile.
  await enqueue(env.ctx.pool, 'ping', id, { requestedAt: 'changed' }, { replace: true });
  await enqueue(env.ctx.pool, 'ping', id, { requestedAt: 'changed again' }, { replace: true });
  const other = jobId('ping', 'replace-while-running-other');
  await enqueue(env.ctx.pool, 'ping', other, { requestedAt: 'other' }, { replace: true });
  expect(await relay.drain()).toBe(1);
  expect(await pending(id)).toEqual([{ requestedAt: 'changed' }, { requestedAt: 'changed again' }]);
  expect(await (await producer.queues.ping.getJob(id))!.getState()).toBe('active');
  // A drain while the run goes on still holds them back, and ends (it does not spin on them).
  expect(await relay.drain()).toBe(0);

  release();
  gate = Promise.resolve();
  await waitFor(async () => (await (await producer.queues.ping.getJob(id))?.getState()) === 'completed', 'the first run to end');
  await waitFor(async () => runs.includes('other'), 'the other job to run');
  // Paused, so the re-run is still waiting when the second row is relayed (else it may have run and ended already).
  await worker.pause();
  expect(await relay.drain()).toBe(2);
  expect(await pending(id)).toEqual([]);
  worker.resume();
  await waitFor(async () => runs.includes('changed'), 'the run for the change');
  await waitFor(async () => (await (await producer.queues.ping.getJob(id))?.getState()) === 'completed', 'the run for the change to end');
  // Once more for the change, not once per row: the second row found the re-run waiting, which reads the latest inputs.
  expect(runs).toEqual(['first', 'other', 'changed']);
});

test('a replace row for a job that finished runs it again at once; for a job still waiting it adds nothing', async () => {
  const id = jobId('ping', 'replace-after-finish');
  await enqueue(env.ctx.pool, 'ping', id, { requestedAt: 'one' }, { replace: true });
  await relay.drain();
  await waitFor(async () => (await (await producer.queues.ping.getJob(id))?.getState()) === 'completed', 'the first run to end');
  await worker.pause();
  await enqueue(env.ctx.pool, 'ping', id, { requestedAt: 'two' }, { replace: true });
  await enqueue(env.ctx.pool, 'ping', id, { requestedAt: 'three' }, { replace: true });
  expect(await relay.drain()).toBe(2);
  expect(await (await producer.queues.ping.getJob(id))!.getState()).toBe('waiting');
  worker.resume();
  await waitFor(async () => (await (await producer.queues.ping.getJob(id))?.getState()) === 'completed', 'the re-run to end');
  expect(runs.filter((r) => ['one', 'two', 'three'].includes(r))).toEqual(['one', 'two']);
});

test('rows held back for a running job hold up nothing behind them, however many there are', async () => {
  // Batches of 2 here, so the held rows alone fill more than one.
  const small = new OutboxRelay(env.ctx.pool, producer.queues, env.ctx.logger, 60_000, 2);
  const id = jobId('ping', 'held-many');
  gate = new Promise((r) => (release = r));
  await enqueue(env.ctx.pool, 'ping', id, { requestedAt: 'held 0' }, { replace: true });
  expect(await small.drain()).toBe(1);
  await waitFor(async () => runs.includes('held 0'), 'the first run to start');
  for (let i = 1; i <= 5; i++) await enqueue(env.ctx.pool, 'ping', id, { requestedAt: `held ${i}` }, { replace: true });
  await enqueue(env.ctx.pool, 'ping', jobId('ping', 'behind-held'), { requestedAt: 'behind' }, { replace: true });
  expect(await small.drain()).toBe(1);
  expect(await pending(id)).toHaveLength(5);

  release();
  gate = Promise.resolve();
  await waitFor(async () => runs.includes('behind'), 'the job behind the held rows to run');
  await waitFor(async () => (await (await producer.queues.ping.getJob(id))?.getState()) === 'completed', 'the first run to end');
  await worker.pause();
  expect(await small.drain()).toBe(5);
  worker.resume();
  await waitFor(async () => runs.includes('held 1'), 'the run for the changes');
  await waitFor(async () => (await (await producer.queues.ping.getJob(id))?.getState()) === 'completed', 'the run for the changes to end');
  expect(runs.filter((r) => r.startsWith('held') || r === 'behind')).toEqual(['held 0', 'behind', 'held 1']);
});
