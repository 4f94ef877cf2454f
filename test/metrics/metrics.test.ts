import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import request from 'supertest';
import { RETENTION_CLASSES } from '../../src/metrics/catalog';
import { CustodyWatch } from '../../src/metrics/custody-watch';
import { JOB_NAMES } from '../../src/queue/jobs';
import { runRetention } from '../../src/retention/run';
import { sweepAbandonedUploads } from '../../src/ingest/upload-sweeper';
import { FilesystemStore } from '../../storage/filesystem-store';
import { fixtureFileName, makeFixture } from '../fixtures/media';
import { settle } from '../support/settle';
import { waitFor } from '../support/wait';
import { startWorkingSystem, type WorkingSystem } from '../support/working-system';
import { parseExposition, select, valueOf, type Sample } from './exposition';

// One docking session on a system with its workers in this process (the `all` role): what an operator's
// `curl /metrics` shows afterwards. Every proxy is transcoded, so all three media stages run.
let sys: WorkingSystem;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

beforeAll(async () => {
  sys = await startWorkingSystem({ PROXY_ALWAYS_TRANSCODE: 'true', METRICS_CACHE_S: '0' });
}, 60_000);
afterAll(async () => {
  await sys.close();
});

async function scrape(token = sys.tokens.admin): Promise<Sample[]> {
  const res = await request(sys.env.app).get('/metrics').set(auth(token));
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(res.text);
}

describe('after a docking session', () => {
  const sizes: number[] = [];

  beforeAll(async () => {
    for (const seq of [1, 2]) {
      const name = fixtureFileName('recorder', { seq });
      const file = await makeFixture(sys.dir, 'recorder', name);
      sizes.push((await stat(file)).size);
      const res = await request(sys.env.app).post('/api/recordings').set(auth(sys.tokens.station)).attach('file', file, name);
      expect(res.status).toBe(201);
    }
    // Refused: a recorder the directory does not know, and a file that is not footage. Both bodies are small
    // enough to be sent whole before the refusal closes the connection (the name is refused before any byte).
    const refused = await request(sys.env.app)
      .post('/api/recordings')
      .set(auth(sys.tokens.station))
      .attach('file', Buffer.from('never read'), fixtureFileName('recorder', { serial: 'DSJ9999', seq: 3 }));
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('unknown_recorder');
    const text = await request(sys.env.app)
      .post('/api/recordings')
      .set(auth(sys.tokens.station))
      .attach('file', Buffer.from('not a video at all, only words'), fixtureFileName('recorder', { seq: 4 }));
    expect(text.status).toBe(415);
    await settle(sys.env, 90_000);
  }, 120_000);

  test('ingest counters hold the files and their bytes; refusals are counted by problem code', async () => {
    const m = await scrape();
    expect(valueOf(m, 'bodycam_ingested_files_total', { method: 'multipart', outcome: 'new' })).toBe(2);
    expect(valueOf(m, 'bodycam_ingested_bytes_total', { method: 'multipart', outcome: 'new' })).toBe(sizes[0]! + sizes[1]!);
    expect(valueOf(m, 'bodycam_upload_errors_total', { method: 'multipart', status: '422', code: 'unknown_recorder' })).toBe(1);
    expect(valueOf(m, 'bodycam_upload_errors_total', { method: 'multipart', status: '415', code: 'not_media' })).toBe(1);
    // Problems of other routes are not upload errors.
    expect((await request(sys.env.app).get('/api/recordings/nope').set(auth(sys.tokens.admin))).status).toBe(404);
    const after = await scrape();
    expect(select(after, 'bodycam_upload_errors_total').reduce((a, s) => a + s.value, 0)).toBe(2);
  });

  test('each media stage has job durations and a realtime factor; store operations are timed', async () => {
    // The realtime factor is observed just after its job completes: poll for it.
    const m = await waitFor(async () => {
      const s = await scrape();
      return ['probe', 'proxy', 'thumbnails'].every((stage) => valueOf(s, 'bodycam_media_realtime_factor_count', { stage }) === 2) ? s : null;
    }, 'the realtime factors of both recordings', 20_000, 200);
    for (const job of ['probe', 'proxy', 'thumbnails', 'link']) {
      expect(valueOf(m, 'bodycam_job_duration_seconds_count', { job, outcome: 'completed' })).toBeGreaterThanOrEqual(2);
      expect(valueOf(m, 'bodycam_job_duration_seconds_sum', { job, outcome: 'completed' })).toBeGreaterThan(0);
      expect(valueOf(m, 'bodycam_job_duration_seconds_bucket', { job, outcome: 'completed', le: '+Inf' })).toBe(
        valueOf(m, 'bodycam_job_duration_seconds_count', { job, outcome: 'completed' }),
      );
    }
    expect(select(m, 'bodycam_job_failures_total')).toEqual([]);
    // Transcoding two seconds of footage takes some time; the factor is footage seconds per wall second.
    expect(valueOf(m, 'bodycam_media_realtime_factor_sum', { stage: 'proxy' })).toBeGreaterThan(0);
    // Two originals, two proxies, two posters and two sprite sheets were stored; the refused files' puts failed.
    expect(valueOf(m, 'bodycam_storage_operation_duration_seconds_count', { operation: 'put', outcome: 'ok' })).toBeGreaterThanOrEqual(8);
    expect(valueOf(m, 'bodycam_storage_operation_duration_seconds_count', { operation: 'readableLocation', outcome: 'ok' })).toBeGreaterThanOrEqual(6);
    expect(valueOf(m, 'bodycam_storage_operation_duration_seconds_count', { operation: 'put', outcome: 'error' })).toBeGreaterThanOrEqual(1);
  });

  test('queues, the outbox, the catalog per retention class, custody and integrity are read at scrape time', async () => {
    const m = await scrape();
    for (const queue of JOB_NAMES) {
      for (const state of ['waiting', 'active', 'delayed', 'failed']) expect(valueOf(m, 'bodycam_queue_jobs', { queue, state })).toBeDefined();
      expect(valueOf(m, 'bodycam_queue_oldest_waiting_seconds', { queue })).toBe(0);
    }
    expect(valueOf(m, 'bodycam_queue_jobs', { queue: 'probe', state: 'waiting' })).toBe(0);
    expect(valueOf(m, 'bodycam_queue_jobs', { queue: 'probe', state: 'failed' })).toBe(0);
    // The daily integrity audit is scheduled: its next run waits as a delayed job.
    expect(valueOf(m, 'bodycam_queue_jobs', { queue: 'integrity', state: 'delayed' })).toBe(1);
    expect(valueOf(m, 'bodycam_outbox_pending_jobs')).toBe(0);

    const { rows } = await sys.env.ctx.pool.query<{ original: string; derived: string; events: number }>(
      `SELECT sum(size) AS original,
              sum((proxy->>'size')::bigint + (thumbnails->'poster'->>'size')::bigint + (thumbnails->'sprite'->>'size')::bigint) AS derived,
              (SELECT count(*)::int FROM custody_events) AS events
         FROM recordings`,
    );
    expect(valueOf(m, 'bodycam_recordings', { class: 'unlinked' })).toBe(2);
    expect(valueOf(m, 'bodycam_stored_bytes', { class: 'unlinked', kind: 'original' })).toBe(sizes[0]! + sizes[1]!);
    expect(valueOf(m, 'bodycam_stored_bytes', { class: 'unlinked', kind: 'derived' })).toBe(Number(rows[0]!.derived));
    expect(Number(rows[0]!.derived)).toBeGreaterThan(0);
    expect(valueOf(m, 'bodycam_docked_last_30d_bytes', { class: 'unlinked' })).toBe(sizes[0]! + sizes[1]!);
    for (const cls of RETENTION_CLASSES.filter((c) => c !== 'unlinked')) expect(valueOf(m, 'bodycam_recordings', { class: cls })).toBe(0);

    expect(valueOf(m, 'bodycam_custody_chain_ok')).toBe(1);
    expect(valueOf(m, 'bodycam_custody_chain_verified_events')).toBe(rows[0]!.events);
    expect(valueOf(m, 'bodycam_custody_chain_verified_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 600);
    expect(valueOf(m, 'bodycam_integrity_failing_recordings')).toBe(0);
    for (const source of ['queues', 'outbox', 'catalog', 'custody']) expect(valueOf(m, 'bodycam_metrics_source_up', { source })).toBe(1);
    // Node's own figures come with them.
    expect(valueOf(m, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  test('a retention run is counted by the process that deletes, and in the catalog', async () => {
    const { ctx } = sys.env;
    const report = await runRetention({ pool: ctx.pool, store: ctx.store, logger: ctx.logger, policy: ctx.config.retention }, { at: new Date(Date.now() + 400 * 86_400_000), dryRun: false });
    expect(report.due).toHaveLength(2);
    const m = await scrape();
    expect(valueOf(m, 'bodycam_retention_deleted_total')).toBe(2);
    expect(valueOf(m, 'bodycam_retention_purged_total')).toBe(2);
    expect(valueOf(m, 'bodycam_recordings', { class: 'deleted' })).toBe(2);
    expect(valueOf(m, 'bodycam_recordings', { class: 'unlinked' })).toBe(0);
    // Purged: the bytes are gone from the store, the month's intake still says what came in.
    expect(valueOf(m, 'bodycam_stored_bytes', { class: 'deleted', kind: 'original' })).toBe(0);
    expect(valueOf(m, 'bodycam_docked_last_30d_bytes', { class: 'deleted' })).toBe(sizes[0]! + sizes[1]!);
    expect(valueOf(m, 'bodycam_storage_operation_duration_seconds_count', { operation: 'remove', outcome: 'ok' })).toBeGreaterThanOrEqual(2);
  });

  test('the custody watch walks the chain a stretch per scrape and finds a changed event on its next pass', async () => {
    const { pool } = sys.env.ctx;
    const { rows } = await pool.query<{ n: number }>('SELECT max(seq)::int AS n FROM custody_events');
    const events = rows[0]!.n;
    expect(events).toBeGreaterThanOrEqual(4);
    let clock = Date.now();
    const watch = new CustodyWatch(pool, { maxEventsPerStep: 2, repassMs: 3600_000, now: () => clock });
    // Two events per step: no verdict on the whole chain until the walk reaches its head.
    const first = await watch.step();
    expect(first).toEqual({ ok: true, verifiedAt: null, verifiedSeq: 0, badSeq: null });
    let status = first;
    for (let i = 0; i < events && !status.verifiedAt; i++) status = await watch.step();
    expect(status).toMatchObject({ ok: true, verifiedSeq: events, badSeq: null });
    expect(status.verifiedAt!.getTime()).toBe(clock);

    // What an intruder with superuser rights could do: the append-only trigger off for one update of an old event.
    await pool.query('ALTER TABLE custody_events DISABLE TRIGGER custody_events_no_update');
    try {
      await pool.query(`UPDATE custody_events SET actor = 'someone-else' WHERE seq = 2`);
    } finally {
      await pool.query('ALTER TABLE custody_events ENABLE TRIGGER custody_events_no_update');
    }
    // Between passes only new events are read: the old one is not re-read yet.
    expect(await watch.step()).toMatchObject({ ok: true, verifiedSeq: events });
    // The next pass starts from the first event and stops at the changed one, for good.
    clock += 3600_000;
    expect(await watch.step()).toMatchObject({ ok: false, badSeq: 2, verifiedSeq: events });
    clock += 60_000;
    expect(await watch.step()).toMatchObject({ ok: false, badSeq: 2 });
  });
});

test('the timed store is still the adapter underneath: its own methods and instanceof work', async () => {
  const { ctx } = sys.env;
  expect(ctx.store).toBeInstanceOf(FilesystemStore);
  // The filesystem store's sweep of its incoming folder is reached through the timed store: a crashed put's
  // temp file is removed.
  const leftover = path.join((ctx.store as FilesystemStore).incoming, 'crashed-put.tmp');
  await writeFile(leftover, 'half a file');
  const report = await sweepAbandonedUploads(ctx, { tus: false, store: true }, 0);
  expect(report.tempFiles).toBe(1);
  await expect(stat(leftover)).rejects.toThrow(/ENOENT/);
  await ctx.store.put('metrics-probe/x.bin', Readable.from([Buffer.from('x')]));
  const keys: string[] = [];
  for await (const o of ctx.store.list('metrics-probe/')) keys.push(o.key);
  expect(keys).toEqual(['metrics-probe/x.bin']);
  await ctx.store.remove('metrics-probe/x.bin');
  const m = await scrape();
  expect(valueOf(m, 'bodycam_storage_operation_duration_seconds_count', { operation: 'list', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
});

test('/metrics on the API port is for admins: 401 without credentials, 403 for other roles', async () => {
  const anonymous = await request(sys.env.app).get('/metrics');
  expect(anonymous.status).toBe(401);
  expect(anonymous.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(anonymous.body.code).toBe('unauthenticated');
  for (const token of [sys.tokens.supervisorZF1, sys.tokens.station, sys.tokens.officer]) {
    const res = await request(sys.env.app).get('/metrics').set(auth(token));
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('forbidden');
    expect(res.text).not.toContain('bodycam_');
  }
});
