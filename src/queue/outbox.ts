import { Queue } from 'bullmq';
import type { Db, Pool } from '../db/pool';
import type { Logger } from '../logger';
import { bullConnection } from './connection';
import { JOB_NAMES, JOB_OPTIONS, type HandledJob, type JobName, type JobPayloads } from './jobs';

/**
 * Records background work in the caller's transaction. Nothing reaches Redis here: if the transaction
 * rolls back the job never existed, and if Redis is down the work waits in the table.
 */
export async function enqueue<K extends JobName>(db: Db, name: K, id: string, payload: JobPayloads[K]): Promise<void> {
  await db.query('INSERT INTO outbox (job_name, job_id, payload) VALUES ($1, $2, $3)', [name, id, JSON.stringify(payload)]);
}

export type Queues = Record<HandledJob, Queue>;

export function createQueues(redisUrl: string, prefix: string, logger: Logger): { queues: Queues; close(): Promise<void> } {
  const connection = bullConnection(redisUrl, 'producer', (err) => logger.warn({ err: err.message }, 'queue producer redis error'));
  const queues = Object.fromEntries(JOB_NAMES.map((name) => [name, new Queue(name, { connection, prefix })])) as Queues;
  for (const q of Object.values(queues)) q.on('error', (err) => logger.warn({ err: err.message, queue: q.name }, 'queue error'));
  return {
    queues,
    async close() {
      await Promise.all(Object.values(queues).map((q) => q.close()));
      connection.disconnect();
    },
  };
}

/**
 * Moves outbox rows to BullMQ. Several relays may run (one per worker process): SKIP LOCKED hands each
 * row to one of them, and a row relayed twice after a crash is harmless because its job id is fixed.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly pool: Pool,
    private readonly queues: Queues,
    private readonly logger: Logger,
    private readonly intervalMs: number,
    private readonly batch = 200,
  ) {}

  start(): void {
    this.stopped = false;
    const tick = () => {
      this.running = this.drain()
        .then(() => undefined)
        .catch((err) => this.logger.warn({ err: (err as Error).message }, 'outbox relay paused; will retry'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs);
        });
    };
    tick();
  }

  /** Relays everything pending now; returns how many rows it moved. */
  async drain(): Promise<number> {
    let moved = 0;
    for (;;) {
      const n = await this.relayBatch();
      moved += n;
      if (n < this.batch || this.stopped) return moved;
    }
  }

  private async relayBatch(): Promise<number> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ id: number; job_name: HandledJob; job_id: string; payload: unknown }>(
        `SELECT id, job_name, job_id, payload FROM outbox WHERE relayed_at IS NULL AND job_name = ANY($2)
          ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.batch, JOB_NAMES],
      );
      for (const row of rows) {
        await this.queues[row.job_name].add(row.job_name, row.payload, { ...JOB_OPTIONS[row.job_name], jobId: row.job_id });
      }
      if (rows.length) await client.query('UPDATE outbox SET relayed_at = now() WHERE id = ANY($1)', [rows.map((r) => r.id)]);
      await client.query('COMMIT');
      return rows.length;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
