import { Gauge, Registry } from 'prom-client';
import type { Context } from '../context';
import { JOB_NAMES } from '../queue/jobs';
import { readCatalogFigures, RETENTION_CLASSES, type CatalogFigures } from './catalog';
import { CustodyWatch } from './custody-watch';
import { QUEUE_STATES, queueReader, readOutbox } from './queues';

/**
 * A value recomputed at most every `ttlMs`. Once there is a value, a reader never waits: an old one is
 * answered while it is recomputed in the background (a failed recomputation keeps it; the next read tries
 * again). With `ttlMs` 0 every read waits for a fresh value. Readers share a recomputation in progress.
 */
export function cached<T>(ttlMs: number, compute: () => Promise<T>, onBackgroundError: (err: unknown) => void, now: () => number = Date.now): () => Promise<T> {
  let value: { at: number; v: T } | undefined;
  let running: Promise<T> | undefined;
  const refresh = () =>
    (running ??= compute()
      .then((v) => {
        value = { at: now(), v };
        return v;
      })
      .finally(() => (running = undefined)));
  return () => {
    if (value && now() - value.at < ttlMs) return Promise.resolve(value.v);
    if (!value || ttlMs === 0) return refresh();
    refresh().catch(onBackgroundError);
    return Promise.resolve(value.v);
  };
}

export type Source = 'queues' | 'outbox' | 'catalog' | 'custody';

export interface ClusterFigures {
  registry: Registry;
  close(): Promise<void>;
}

/**
 * The installation's figures, read at scrape time from the queues, the catalog and the custody log. They are
 * the same whichever process reads them, so the API role serves them (each worker serves only its own
 * work). Each source is read once per scrape; a source that cannot be read leaves its figures out of that
 * scrape and sets bodycam_metrics_source_up{source} to 0, and the scrape still answers.
 */
export function clusterFigures(ctx: Context, opts: { cacheMs: number }): ClusterFigures {
  const { pool, config, logger } = ctx;
  const registry = new Registry();
  const registers = [registry];
  const queues = queueReader(config.redis.url, config.redis.prefix, logger);
  const catalog = cached(
    opts.cacheMs,
    () => readCatalogFigures(pool, config.integrity.cycleDays),
    (err) => logger.warn({ err: (err as Error).message ?? String(err) }, 'catalog figures not recomputed; /metrics serves the last ones'),
  );
  const custody = new CustodyWatch(pool);

  const upState = new Map<Source, number>();
  /**
   * A source's read for the gauges' collect: the gauges of one scrape all start collecting in the same tick,
   * so the first starts the read and the others share it while it runs. A failure marks the source down
   * instead of failing the scrape.
   */
  const reading = <T>(source: Source, read: () => Promise<T>) => {
    let current: Promise<T | null> | undefined;
    return (): Promise<T | null> =>
      (current ??= read()
        .then(
          (v) => {
            upState.set(source, 1);
            return v;
          },
          (err: unknown) => {
            logger.warn({ err: (err as Error).message ?? String(err), source }, 'metrics source unreadable');
            upState.set(source, 0);
            return null;
          },
        )
        .finally(() => (current = undefined)));
  };
  const sources = {
    queues: reading('queues', () => queues.read()),
    outbox: reading('outbox', () => readOutbox(pool)),
    catalog: reading('catalog', catalog),
    custody: reading('custody', () => custody.step()),
  } satisfies Record<Source, unknown>;

  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], fill: (g: Gauge<L>) => Promise<void>) =>
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers,
      async collect() {
        this.reset();
        await fill(this);
      },
    });

  gauge('bodycam_queue_jobs', 'Jobs in each queue by state (waiting, active, delayed: a retry waiting out its backoff or the next daily run; failed: kept for inspection)', ['queue', 'state'], async (g) => {
    const q = await sources.queues();
    if (!q) return;
    for (const name of JOB_NAMES) for (const state of QUEUE_STATES) g.set({ queue: name, state }, q.counts[name][state]);
  });
  gauge('bodycam_queue_oldest_waiting_seconds', 'How long the oldest job waiting in each queue has waited (0 when none waits)', ['queue'], async (g) => {
    const q = await sources.queues();
    if (!q) return;
    for (const name of JOB_NAMES) g.set({ queue: name }, q.oldestWaitingS[name]);
  });
  gauge('bodycam_outbox_pending_jobs', 'Background work recorded in PostgreSQL and not yet moved to its queue', [], async (g) => {
    const o = await sources.outbox();
    if (o) g.set(o.pending);
  });
  gauge('bodycam_outbox_oldest_pending_seconds', 'Age of the oldest outbox row not yet moved to its queue (0 when none)', [], async (g) => {
    const o = await sources.outbox();
    if (o) g.set(o.oldestS);
  });

  const byClass = (name: string, help: string, pick: (c: CatalogFigures['classes'][keyof CatalogFigures['classes']]) => number) =>
    gauge(name, help, ['class'], async (g) => {
      const c = await sources.catalog();
      if (!c) return;
      for (const cls of RETENTION_CLASSES) g.set({ class: cls }, pick(c.classes[cls]));
    });
  byClass('bodycam_recordings', 'Recordings in the catalog by retention class (held, open_case, closed_case, important, unlinked; deleted: tombstones left by the retention run)', (c) => c.recordings);
  gauge('bodycam_stored_bytes', 'Bytes in the object store by retention class and kind (original: the footage as docked; derived: proxies and thumbnails)', ['class', 'kind'], async (g) => {
    const c = await sources.catalog();
    if (!c) return;
    for (const cls of RETENTION_CLASSES) {
      g.set({ class: cls, kind: 'original' }, c.classes[cls].originalBytes);
      g.set({ class: cls, kind: 'derived' }, c.classes[cls].derivedBytes);
    }
  });
  byClass('bodycam_docked_last_30d_bytes', 'Bytes of originals docked in the last 30 days, by the retention class they are in now: the monthly intake the disks must grow by', (c) => c.dockedLast30dBytes);

  const integrity = (name: string, help: string, pick: (i: CatalogFigures['integrity']) => number) =>
    gauge(name, help, [], async (g) => {
      const c = await sources.catalog();
      if (c) g.set(pick(c.integrity));
    });
  integrity('bodycam_integrity_failing_recordings', 'Recordings whose latest integrity check found their bytes changed or missing (the alert is up while above 0)', (i) => i.failing);
  integrity('bodycam_integrity_last_run_timestamp_seconds', 'When the last integrity audit run ended (0 before the first)', (i) => (i.lastRunAt ? i.lastRunAt.getTime() / 1000 : 0));
  integrity('bodycam_integrity_last_run_failed', '1 when the last integrity audit run ended with an error (the store unreadable), else 0', (i) => Number(i.lastRunOk === false));
  integrity('bodycam_integrity_covered_ratio', 'Share of stored originals re-hashed within the audit cycle, as the last run counted (0 before the first run)', (i) => (i.live ? i.covered / i.live : i.lastRunAt ? 1 : 0));

  gauge('bodycam_custody_chain_ok', '1 while every custody event verified links to the one before (hash chain intact), 0 once a broken link is found', [], async (g) => {
    const s = await sources.custody();
    if (s) g.set(Number(s.ok));
  });
  gauge('bodycam_custody_chain_verified_timestamp_seconds', 'When the verification last reached the newest custody event with the whole chain intact (0 before the first pass ends; old events are re-verified daily)', [], async (g) => {
    const s = await sources.custody();
    if (s?.verifiedAt) g.set(s.verifiedAt.getTime() / 1000);
  });
  gauge('bodycam_custody_chain_verified_events', 'Custody events verified up to (the sequence number of the last one)', [], async (g) => {
    const s = await sources.custody();
    if (s) g.set(s.verifiedSeq);
  });

  // Registered last: its collect waits for the reads the other gauges of this scrape started.
  gauge('bodycam_metrics_source_up', 'Whether this scrape could read the source (queues: Redis; outbox, catalog, custody: PostgreSQL)', ['source'], async (g) => {
    await Promise.all(Object.values(sources).map((read) => read()));
    for (const [source, v] of upState) g.set({ source }, v);
  });

  return { registry, close: () => queues.close() };
}
