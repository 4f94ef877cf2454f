import { Queue } from 'bullmq';
import { bullConnection } from '../../src/queue/connection';
import { JOB_NAMES } from '../../src/queue/jobs';
import type { TestEnv } from './harness';

/**
 * Waits until the background work of a test system is done: the outbox relayed, every queue of its
 * prefix empty (nothing waiting, delayed or running), and no recording still being processed.
 */
export async function settle(env: TestEnv, timeoutMs = 30_000): Promise<void> {
  const connection = bullConnection(env.config.redis.url, 'producer', () => undefined);
  const queues = JOB_NAMES.map((name) => new Queue(name, { connection, prefix: env.config.redis.prefix }));
  try {
    const until = Date.now() + timeoutMs;
    let quietReadings = 0;
    while (quietReadings < 2) {
      if (Date.now() > until) throw new Error('the background work did not settle');
      const { rows } = await env.ctx.pool.query<{ n: number }>(
        `SELECT (SELECT count(*)::int FROM outbox WHERE relayed_at IS NULL) + (SELECT count(*)::int FROM recordings WHERE status IN ('received', 'processing')) AS n`,
      );
      let busy = rows[0]!.n;
      for (const q of queues) {
        const counts = await q.getJobCounts('waiting', 'active', 'prioritized', 'waiting-children');
        busy += Object.values(counts).reduce((a, b) => a + b, 0);
        // Delayed: a retry waiting out its backoff is work to wait for; the next run of a daily job is not.
        busy += (await q.getJobs(['delayed'])).filter((job) => !job.repeatJobKey).length;
      }
      // Two quiet readings apart: a job that finishes may just have written the outbox row of the next.
      quietReadings = busy === 0 ? quietReadings + 1 : 0;
      await new Promise((r) => setTimeout(r, 150));
    }
  } finally {
    await Promise.all(queues.map((q) => q.close()));
    connection.disconnect();
  }
}
