import type { Pool } from '../db/pool';
import type { Logger } from '../logger';
import { JOB_NAMES, type HandledJob } from '../queue/jobs';
import { createQueues } from '../queue/outbox';

export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

export interface QueueFigures {
  counts: Record<HandledJob, Record<QueueState, number>>;
  /** Seconds the oldest job waiting in each queue has waited (0 when none waits). */
  oldestWaitingS: Record<HandledJob, number>;
}

export interface OutboxFigures {
  /** Rows not yet moved to their queue, and how long the oldest has waited. */
  pending: number;
  oldestS: number;
}

/** How long a scrape waits for Redis before it reports the queues as unreadable. */
const READY_WAIT_MS = 2000;

/**
 * Reads the queues at scrape time, a few Redis commands per queue whatever their length: the counts, and
 * the oldest waiting job (BullMQ adds at the head of the wait list and takes from its tail). Its Redis
 * connection opens at the first read, so an app that is never scraped holds none.
 */
export function queueReader(redisUrl: string, prefix: string, logger: Logger) {
  let producer: ReturnType<typeof createQueues> | undefined;
  return {
    async read(now = Date.now()): Promise<QueueFigures> {
      producer ??= createQueues(redisUrl, prefix, logger);
      const queues = Object.values(producer.queues);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis not reachable within ${READY_WAIT_MS} ms`)), READY_WAIT_MS);
      });
      try {
        await Promise.race([Promise.all(queues.map((q) => q.waitUntilReady())), timeout]);
        const each = await Promise.race([
          Promise.all(
            JOB_NAMES.map(async (name) => {
              const q = producer!.queues[name];
              const [counts, oldest] = await Promise.all([q.getJobCounts(...QUEUE_STATES), q.getJobs(['wait'], 0, 0, true)]);
              const job = oldest[0];
              const waitingSince = job ? job.timestamp + (job.delay ?? 0) : now;
              return [name, counts, Math.max(0, (now - waitingSince) / 1000)] as const;
            }),
          ),
          timeout,
        ]);
        return {
          counts: Object.fromEntries(each.map(([name, c]) => [name, Object.fromEntries(QUEUE_STATES.map((s) => [s, c[s] ?? 0]))])) as QueueFigures['counts'],
          oldestWaitingS: Object.fromEntries(each.map(([name, , age]) => [name, age])) as QueueFigures['oldestWaitingS'],
        };
      } finally {
        clearTimeout(timer);
      }
    },
    close: async () => {
      await producer?.close();
      producer = undefined;
    },
  };
}

/**
 * Background work recorded but not yet in a queue (the relay's backlog): large while Redis or every worker is
 * away; a re-run asked for while the same job runs also waits here until the run ends (src/queue/outbox.ts).
 */
export async function readOutbox(pool: Pool): Promise<OutboxFigures> {
  const { rows } = await pool.query<{ n: number; oldest: number | null }>(
    `SELECT count(*)::int AS n, extract(epoch FROM now() - min(created_at))::float8 AS oldest FROM outbox WHERE relayed_at IS NULL`,
  );
  return { pending: rows[0]!.n, oldestS: Math.max(0, rows[0]!.oldest ?? 0) };
}
