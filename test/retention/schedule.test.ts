import { Queue } from 'bullmq';
import { bullConnection } from '../../src/queue/connection';
import { startWorkerRole } from '../../workers/worker';
import { startTestEnv } from '../support/harness';

async function schedulers(redisUrl: string, prefix: string) {
  const connection = bullConnection(redisUrl, 'producer', () => undefined);
  const queue = new Queue('retention', { connection, prefix });
  try {
    return await queue.getJobSchedulers();
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

const until = async <T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> => {
  for (let i = 0; ; i++) {
    const v = await read();
    if (ok(v) || i > 50) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
};

test('the worker schedules one daily retention run at RETENTION_RUN_AT in the bureau zone, and removes it when off', async () => {
  const env = await startTestEnv({ RETENTION_RUN_AT: '02:30' });
  try {
    const { url, prefix } = env.config.redis;
    // Two worker processes upsert the same scheduler: still one run a day.
    const a = startWorkerRole(env.ctx);
    const b = startWorkerRole(env.ctx);
    const on = await until(() => schedulers(url, prefix), (s) => s.length > 0);
    expect(on).toEqual([expect.objectContaining({ key: 'daily-retention', pattern: '30 2 * * *', tz: 'Asia/Shanghai' })]);
    await Promise.all([a.close(), b.close()]);
    const off = startWorkerRole({ ...env.ctx, config: { ...env.config, retention: { ...env.config.retention, runAt: null } } });
    expect(await until(() => schedulers(url, prefix), (s) => s.length === 0)).toEqual([]);
    await off.close();
  } finally {
    await env.close();
  }
}, 60_000);
