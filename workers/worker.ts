import { Worker } from 'bullmq';
import type { Context } from '../src/context';
import { bullConnection } from '../src/queue/connection';
import { JOB_NAMES, type HandledJob } from '../src/queue/jobs';
import { createQueues, OutboxRelay } from '../src/queue/outbox';
import { sweepAbandonedMultipart } from '../src/ingest/multipart-registry';
import { FilesystemStore } from '../storage/filesystem-store';
import { assertHandlerMap, handlers as defaultHandlers, type HandlerMap } from './handlers';

export interface WorkerRole {
  relay: OutboxRelay;
  workers: Worker[];
  close(): Promise<void>;
}

/**
 * The worker role: a BullMQ worker per queue, and the outbox relay that feeds them. A job's failure is
 * the handler's thrown error, recorded by BullMQ: handlers do not catch and log their own errors.
 */
export function startWorkerRole(ctx: Context, handlers: HandlerMap = defaultHandlers, concurrency: Partial<Record<HandledJob, number>> = {}): WorkerRole {
  assertHandlerMap(handlers);
  const { config, logger } = ctx;
  const connection = bullConnection(config.redis.url, 'worker', (err) => logger.warn({ err: err.message }, 'worker redis error'));
  const workers = JOB_NAMES.map((name) => {
    const handler = handlers[name] as (job: unknown, ctx: Context) => Promise<unknown>;
    const worker = new Worker(name, (job) => handler(job, ctx), { connection, prefix: config.redis.prefix, concurrency: concurrency[name] ?? 1 });
    worker.on('failed', (job, err) => logger.error({ queue: name, jobId: job?.id, attempts: job?.attemptsMade, err }, 'job failed'));
    worker.on('error', (err) => logger.warn({ queue: name, err: err.message }, 'worker error'));
    return worker;
  });
  const producer = createQueues(config.redis.url, config.redis.prefix, logger);
  const relay = new OutboxRelay(ctx.pool, producer.queues, logger, config.outboxPollMs);
  relay.start();
  // An upload older than a day is no longer in progress anywhere: its process died with it.
  const sweep = () => {
    void sweepAbandonedMultipart(ctx.pool, ctx.store, logger, 24 * 3600_000).catch((err) => logger.warn({ err }, 'multipart sweep failed'));
    // Temp files of puts cut short by a crash (the filesystem store; S3 has the multipart sweep above).
    if (ctx.store instanceof FilesystemStore) void ctx.store.sweepIncoming(24 * 3600_000).catch((err) => logger.warn({ err }, 'temp file sweep failed'));
  };
  sweep();
  const sweeper = setInterval(sweep, 3600_000);
  sweeper.unref();
  logger.info({ queues: JOB_NAMES }, 'worker started');
  return {
    relay,
    workers,
    async close() {
      clearInterval(sweeper);
      await relay.stop();
      // close() lets running jobs finish; SHUTDOWN_TIMEOUT_MS in main bounds how long that may take.
      await Promise.all(workers.map((w) => w.close()));
      await producer.close();
      connection.disconnect();
    },
  };
}
