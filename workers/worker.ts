import { Worker, type Job, type Queue } from 'bullmq';
import type { Logger } from '../src/logger';
import type { Context } from '../src/context';
import { bullConnection } from '../src/queue/connection';
import { JOB_NAMES, JOB_OPTIONS, type HandledJob } from '../src/queue/jobs';
import { createQueues, OutboxRelay } from '../src/queue/outbox';
import { sweepAbandonedUploads } from '../src/ingest/upload-sweeper';
import { assertHandlerMap, handlers as defaultHandlers, onFinalFailure, type HandlerMap } from './handlers';
import { sweepWorkDirs, type JobRun } from './media-job';
import { countJobFailure, timedProcessor } from '../src/metrics/record';

/**
 * A daily job (the retention run, the integrity audit) as a BullMQ job scheduler: every worker process upserts
 * the same one, so there is one run a day however many workers there are. `off` (null) removes it.
 */
function scheduleDaily(queue: Queue, name: 'retention' | 'integrity', runAt: string | null, tz: string, logger: Logger): void {
  const id = `daily-${name}`;
  const done = runAt
    ? queue.upsertJobScheduler(id, { pattern: `${Number(runAt.slice(3))} ${Number(runAt.slice(0, 2))} * * *`, tz }, { name, data: {}, opts: JOB_OPTIONS[name] })
    : queue.removeJobScheduler(id);
  void done.then(
    () => logger.info({ runAt, tz }, runAt ? `${name} runs daily` : `${name} run is off`),
    (err: unknown) => logger.error({ err }, `could not schedule the ${name} run`),
  );
}

export interface WorkerRole {
  relay: OutboxRelay;
  workers: Worker[];
  close(): Promise<void>;
}

/**
 * The worker role: a BullMQ worker per queue, and the outbox relay that feeds them. A job's failure is
 * the handler's thrown error, recorded by BullMQ: handlers do not catch and log their own errors.
 */
export function startWorkerRole(ctx: Context, handlers: HandlerMap = defaultHandlers): WorkerRole {
  assertHandlerMap(handlers);
  const { config, logger } = ctx;
  const { media } = config;
  const concurrency: Record<HandledJob, number> = { ping: 1, probe: media.concurrency.probe, proxy: media.concurrency.proxy, thumbnails: media.concurrency.thumbnails, link: 2, relink: 1, retention: 1, integrity: 1 };
  const connection = bullConnection(config.redis.url, 'worker', (err) => logger.warn({ err: err.message }, 'worker redis error'));
  const workers = JOB_NAMES.map((name) => {
    const handler = handlers[name] as (job: Job, ctx: Context, run: JobRun) => Promise<unknown>;
    // Three parameters: BullMQ passes the cancellation signal only to processors that declare it.
    const processor = timedProcessor(name, (job: Job, token?: string, signal?: AbortSignal) => handler(job, ctx, { token, signal }), ctx.pool);
    const worker = new Worker(name, processor, {
      connection,
      prefix: config.redis.prefix,
      concurrency: concurrency[name],
      // The lock is renewed every half period while the job runs (ffmpeg runs in a child process, so the
      // event loop stays free to renew it); a worker that dies stops renewing, and after one period its job
      // is moved back to the queue for another worker.
      lockDuration: media.lockMs,
      stalledInterval: media.lockMs,
      maxStalledCount: 2,
    });
    worker.on('failed', (job, err) => {
      logger.error({ queue: name, jobId: job?.id, attempts: job?.attemptsMade, err }, 'job failed');
      // Final: attempts spent, or BullMQ gave up on a job whose workers kept dying (it fails those with an
      // UnrecoverableError of its own). A handler's own UnrecoverableError has recorded its outcome already.
      const final =
        job &&
        (err.name === 'UnrecoverableError' ? /stalled more than allowable limit|started more than allowable limit/.test(err.message) : job.attemptsMade >= (job.opts.attempts ?? 1));
      if (job) countJobFailure(name, !!final);
      const effect = onFinalFailure[name] as ((job: Job, err: Error, ctx: Context) => Promise<void>) | undefined;
      if (final && effect) void effect(job, err, ctx).catch((e) => logger.error({ queue: name, jobId: job.id, err: e }, 'failure side effect failed'));
    });
    worker.on('stalled', (jobId) => logger.warn({ queue: name, jobId }, 'job stalled: its worker stopped renewing the lock; it runs again'));
    worker.on('error', (err) => logger.warn({ queue: name, err: err.message }, 'worker error'));
    return worker;
  });
  const producer = createQueues(config.redis.url, config.redis.prefix, logger);
  const relay = new OutboxRelay(ctx.pool, producer.queues, logger, config.outboxPollMs);
  relay.start();
  scheduleDaily(producer.queues.retention, 'retention', config.retention.runAt, config.bureauTz, logger);
  scheduleDaily(producer.queues.integrity, 'integrity', config.integrity.runAt, config.bureauTz, logger);
  const sweep = () => {
    // What a killed worker left in the store (its proxies' multipart uploads, temp files); tus uploads are the
    // API role's to sweep: their bytes are in its data folder, which a worker on another machine does not see.
    void sweepAbandonedUploads(ctx, { tus: false, store: true });
    void sweepWorkDirs(media.workDir, logger).catch((err) => logger.warn({ err }, 'work directory sweep failed'));
  };
  sweep();
  const sweeper = setInterval(sweep, 3600_000);
  sweeper.unref();
  logger.info({ queues: JOB_NAMES, concurrency, threads: media.threads }, 'worker started');
  return {
    relay,
    workers,
    async close() {
      clearInterval(sweeper);
      await relay.stop();
      // Stop taking jobs, then cancel the running ones: each kills its ffmpeg and hands its job back to
      // the queue (attempt not spent), so a long transcode does not hold up a deploy.
      await Promise.all(
        workers.map((w) => {
          const closing = w.close();
          w.cancelAllJobs('worker stopping');
          return closing;
        }),
      );
      await producer.close();
      connection.disconnect();
    },
  };
}
