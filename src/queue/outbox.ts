import { Queue } from 'bullmq';
import type { Client, Db, Pool } from '../db/pool';
import type { Logger } from '../logger';
import { bullConnection } from './connection';
import { JOB_NAMES, JOB_OPTIONS, type HandledJob, type JobName, type JobPayloads } from './jobs';

/**
 * Records background work in the caller's transaction. Nothing reaches Redis here: if the transaction
 * rolls back the job never existed, and if Redis is down the work waits in the table.
 */
export async function enqueue<K extends JobName>(
  db: Db,
  name: K,
  id: string,
  payload: JobPayloads[K],
  options: { replace?: boolean } = {},
): Promise<void> {
  await db.query('INSERT INTO outbox (job_name, job_id, payload, replace) VALUES ($1, $2, $3, $4)', [
    name,
    id,
    JSON.stringify(payload),
    options.replace ?? false,
  ]);
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

/** How long a relay waits for the queues' first connection to Redis before it tries again later. */
const READY_WAIT_MS = 2000;

/**
 * Moves outbox rows to BullMQ. Several relays may run (one per worker process): SKIP LOCKED hands each
 * row to one of them, and a row relayed twice after a crash is harmless because its job id is fixed.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private listener: Client | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly queues: Queues,
    private readonly logger: Logger,
    private readonly intervalMs: number,
    private readonly batch = 200,
  ) {}

  start(): void {
    this.stopped = false;
    this.tick();
  }

  /** Relays at once (a notification arrived); a drain already running goes round once more. */
  kick(): void {
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    if (!this.stopped) this.timer = setTimeout(() => this.tick(), delayMs);
  }

  private tick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      await this.listen();
      await this.drain();
    })()
      .catch((err) => this.logger.warn({ err: (err as Error).message }, 'outbox relay paused; will retry'))
      .finally(() => {
        this.running = undefined;
        const now = this.again;
        this.again = false;
        this.schedule(now ? 0 : this.intervalMs);
      });
  }

  // One connection held for LISTEN: the trigger on outbox notifies on every insert, so work reaches its
  // queue within milliseconds of the commit. If the connection drops, polling carries on and the next tick
  // listens again.
  private async listen(): Promise<void> {
    if (this.listener || this.stopped) return;
    const client = await this.pool.connect();
    client.on('notification', () => this.kick());
    client.on('error', (err) => {
      this.logger.warn({ err: err.message }, 'outbox listener lost; polling until it is back');
      if (this.listener === client) this.listener = undefined;
      client.release(err);
    });
    try {
      await client.query('LISTEN outbox');
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
    this.listener = client;
  }

  /**
   * Relays everything pending now that can go; returns how many rows it moved. Rows held back (their job is
   * running) stay pending for a later tick; the drain pages past them, so any number of them holds up nothing else.
   */
  async drain(): Promise<number> {
    let moved = 0;
    // bigint ids, as pg gives them: strings.
    let after = '0';
    // Jobs found running in this drain: later rows of theirs wait too, in order.
    const running = new Set<string>();
    for (;;) {
      const { selected, added, lastId } = await this.relayBatch(after, running);
      moved += added;
      if (selected < this.batch || this.stopped) return moved;
      after = lastId;
    }
  }

  private async relayBatch(after: string, running: Set<string>): Promise<{ selected: number; added: number; lastId: string }> {
    await this.queuesReady();
    // Redis can go away mid-batch: the rows already added are marked even so. Relayed again, a `replace`
    // row would remove its job, done by then, and run the work a second time.
    const added: string[] = [];
    let failure: unknown;
    let selected = 0;
    let lastId = after;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ id: string; job_name: HandledJob; job_id: string; payload: unknown; replace: boolean }>(
        `SELECT id, job_name, job_id, payload, replace FROM outbox WHERE relayed_at IS NULL AND job_name = ANY($2) AND id > $3
          ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.batch, JOB_NAMES, after],
      );
      selected = rows.length;
      lastId = rows.at(-1)?.id ?? after;
      for (const row of rows) {
        const queue = this.queues[row.job_name];
        const key = `${row.job_name}\n${row.job_id}`;
        if (running.has(key)) continue;
        try {
          if (row.replace && (await clearForRerun(queue, row.job_id)) === 'running') {
            running.add(key);
            continue;
          }
          await queue.add(row.job_name, row.payload, { ...JOB_OPTIONS[row.job_name], jobId: row.job_id });
        } catch (err) {
          failure = err;
          break;
        }
        added.push(row.id);
      }
      if (added.length) await client.query('UPDATE outbox SET relayed_at = now() WHERE id = ANY($1)', [added]);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    if (failure) throw failure;
    return { selected, added: added.length, lastId };
  }

  /**
   * Fails unless the queues have reached Redis. Until their first connection BullMQ waits for one without
   * limit, so a relay started while Redis is down would hold its rows locked, in an open transaction, for
   * as long as the outage lasts (and a shutdown would wait for it). Once connected, a command fails at once.
   */
  private async queuesReady(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis not reachable within ${READY_WAIT_MS} ms`)), READY_WAIT_MS);
    });
    try {
      await Promise.race([Promise.all(Object.values(this.queues).map((q) => q.waitUntilReady())), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    const listener = this.listener;
    this.listener = undefined;
    listener?.release(true);
  }
}

/**
 * Clears the way for a deliberate re-run: a completed or failed job still kept under the id would swallow
 * the new one, so it is removed. A job waiting (or delayed for a retry) is left alone: it has not read its
 * inputs yet and will see the change. A running job may have read them before the change this row records,
 * and a job added under its id now would be swallowed too: the row waits until the run has ended.
 */
async function clearForRerun(queue: Queue, id: string): Promise<'clear' | 'running'> {
  const existing = await queue.getJob(id);
  if (!existing) return 'clear';
  const state = await existing.getState();
  if (state === 'active') return 'running';
  if (state === 'completed' || state === 'failed') await existing.remove();
  return 'clear';
}
