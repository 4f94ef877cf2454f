import { copyFile, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import request from 'supertest';
import { runIntegrityAudit } from '../../src/integrity/run';
import { originalKey } from '../../storage/keys';
import { S3Store } from '../../storage/s3-store';
import { seedBureau } from '../support/bureau';
import { startTestEnv, type TestEnv } from '../support/harness';
import { captureLogs, LEVEL } from '../support/log-capture';
import { storageSettings } from '../support/s3rver';
import { docker, storedFile } from './helpers';

// The daily run (its share of the catalog, the run on record) and the alert it raises when an original was
// changed or lost behind the application's back: an error log line, a custody event, the dashboard.

let env: TestEnv;
let tokens: Awaited<ReturnType<typeof seedBureau>>;
let dir: string;
let dock: ReturnType<typeof docker>;

beforeAll(async () => {
  env = await startTestEnv({ INTEGRITY_AUDIT_AT: 'off', RETENTION_RUN_AT: 'off' });
  tokens = await seedBureau(env);
  dir = await mkdtemp(path.join(tmpdir(), 'bce-integrity-run-'));
  dock = docker(env, tokens.station, dir);
}, 60_000);
afterAll(async () => {
  await env.close();
  await rm(dir, { recursive: true, force: true });
});

const q = (sql: string, params: unknown[] = []) => env.ctx.pool.query(sql, params);
/** A run with these settings and a logger whose lines the test reads. */
function run(integrity: { cycleDays: number; batch: number }) {
  const logs = captureLogs();
  const done = runIntegrityAudit({ ...env.ctx, logger: logs.logger, config: { ...env.config, integrity: { ...env.config.integrity, ...integrity } } });
  return done.then((report) => ({ report, logs }));
}
/** Every recording's checks replaced by one `ok` this long ago. */
async function allCheckedAgo(interval: string) {
  await q('DELETE FROM integrity_audits');
  await q(`INSERT INTO integrity_audits (recording_id, result, checked_at) SELECT id, 'ok', now() - $1::interval FROM recordings`, [interval]);
}
const checkedSince = async (since: Date) =>
  (await q('SELECT recording_id FROM integrity_audits WHERE checked_at >= $1 ORDER BY id', [since])).rows.map((r) => r.recording_id as string);
const dashboard = (query = '', token = tokens.admin) => request(env.app).get(`/api/integrity${query}`).set('Authorization', `Bearer ${token}`);

test('a run takes its share (ceil(live ÷ cycleDays)) or every due recording; a re-run the same day does nothing; a batch too small warns', async () => {
  const recs = [await dock(), await dock(), await dock(), await dock()];
  // Before any run: no run to show, nothing covered, no alert.
  expect((await dashboard()).body).toEqual({ lastRun: null, failureCount: 0, failures: [], nextCursor: null, cycleDays: 180, coverage: { audited: 0, total: 4 } });
  // All checked two days ago: within a 90-day cycle none is due, so the run does its share, 1 of 4.
  await allCheckedAgo('2 days');
  let since = new Date();
  let { report } = await run({ cycleDays: 90, batch: 100 });
  expect(report).toMatchObject({ checked: 1, ok: 1, counts: { live: 4, due: 0, doneInWindow: 0 }, share: { perRun: 1, limit: 1 } });
  // The longest unaudited, ties by ingest: the first docked.
  expect(await checkedSince(since)).toEqual([recs[0]!.id]);

  since = new Date();
  ({ report } = await run({ cycleDays: 90, batch: 100 }));
  expect(report).toMatchObject({ checked: 0, share: { limit: 0 }, counts: { doneInWindow: 1 } });
  expect(await checkedSince(since)).toEqual([]);

  // A 2-day cycle: the three checked two days ago are due (their cycle ends before tomorrow's run); a batch
  // of 2 cannot keep it, and the run says so, naming both settings.
  since = new Date();
  let logs;
  ({ report, logs } = await run({ cycleDays: 2, batch: 2 }));
  expect(report).toMatchObject({ checked: 2, counts: { due: 3 }, share: { needed: 3, limit: 2, capped: true } });
  expect(await checkedSince(since)).toEqual([recs[1]!.id, recs[2]!.id]);
  const warning = logs.at(LEVEL.warn).find((l) => l.level === LEVEL.warn);
  expect(warning?.msg).toMatch(/INTEGRITY_AUDIT_BATCH \(2\).*INTEGRITY_AUDIT_CYCLE_DAYS/);
  expect(warning).toMatchObject({ batch: 2, cycleDays: 2, needed: 3 });

  // The retry goes on where the capped run stopped, then there is nothing left today.
  since = new Date();
  ({ report } = await run({ cycleDays: 2, batch: 100 }));
  expect(report.checked).toBe(1);
  expect(await checkedSince(since)).toEqual([recs[3]!.id]);
  ({ report } = await run({ cycleDays: 2, batch: 100 }));
  expect(report.checked).toBe(0);

  // Each run is on record, newest last.
  const runs = (await q('SELECT planned, checked, ok, mismatch, missing, error FROM integrity_runs ORDER BY id')).rows;
  expect(runs.map((r) => [r.planned, r.checked])).toEqual([[1, 1], [0, 0], [2, 2], [1, 1], [0, 0]]);
  expect((await dashboard()).body).toMatchObject({ lastRun: { planned: 0, checked: 0, error: null }, coverage: { audited: 4, total: 4 } });
}, 60_000);

test('an original changed or lost behind the application\'s back: error log lines, custody events, and the dashboard shows it until a check passes', async () => {
  const changed = await dock();
  const lost = await dock();
  // The rest checked an hour ago: only the two new ones (never audited) are due.
  await q(`INSERT INTO integrity_audits (recording_id, result, checked_at) SELECT id, 'ok', now() - interval '1 hour' FROM recordings WHERE NOT (id = ANY($1::uuid[]))`, [
    [changed.id, lost.id],
  ]);
  const fh = await open(storedFile(env.dataDir, changed.id), 'r+');
  await fh.write(Buffer.from('tampered'), 0, 8, 200);
  await fh.close();
  await rm(storedFile(env.dataDir, lost.id));

  const { report, logs } = await run({ cycleDays: 90, batch: 100 });
  expect(report).toMatchObject({ checked: 2, mismatch: 1, missing: 1 });

  // Logged at error level, one line per original, with what the catalog expected.
  const errors = logs.at(LEVEL.error);
  expect(errors).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ level: LEVEL.error, recordingId: changed.id, result: 'mismatch', expected: { sha256: changed.sha256, size: changed.size }, objectKey: originalKey(changed.id) }),
      expect.objectContaining({ level: LEVEL.error, recordingId: lost.id, result: 'missing', actual: { sha256: null, size: null } }),
      expect.objectContaining({ level: LEVEL.error, msg: 'integrity audit: originals failed their check', mismatch: 1, missing: 1 }),
    ]),
  );

  // On the custody record.
  const events = await q(`SELECT target, detail->>'result' AS result FROM custody_events WHERE action = 'integrity_failure' ORDER BY seq`);
  expect(events.rows).toEqual([
    { target: `recording:${changed.id}`, result: 'mismatch' },
    { target: `recording:${lost.id}`, result: 'missing' },
  ]);

  // On the dashboard: newest failure first.
  const res = await dashboard();
  expect(res.status).toBe(200);
  const found = (await q('SELECT actual_sha256 FROM integrity_audits WHERE recording_id = $1', [changed.id])).rows[0].actual_sha256;
  expect(res.body).toMatchObject({
    lastRun: { checked: 2, ok: 0, mismatch: 1, missing: 1, error: null },
    failureCount: 2,
    failures: [
      { recordingId: lost.id, result: 'missing', expected: lost.sha256, expectedSize: lost.size },
      { recordingId: changed.id, result: 'mismatch', expected: changed.sha256, actual: found, actualSize: changed.size, filename: expect.stringMatching(/\.MP4$/) },
    ],
    nextCursor: null,
    cycleDays: 180,
    coverage: { audited: 6, total: 6 },
  });
  expect(res.body.failures[0]).not.toHaveProperty('actual');
  expect(res.body.lastRun.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

  // A page at a time.
  const first = await dashboard('?limit=1');
  expect(first.body.failures.map((f: { recordingId: string }) => f.recordingId)).toEqual([lost.id]);
  const second = await dashboard(`?limit=1&cursor=${first.body.nextCursor}`);
  expect(second.body.failures.map((f: { recordingId: string }) => f.recordingId)).toEqual([changed.id]);
  expect(second.body.nextCursor).toBeNull();

  // The originals put back (from the backup): the failed ones are due at the next day's run, which clears the alert.
  await copyFile(changed.file, storedFile(env.dataDir, changed.id));
  await copyFile(lost.file, storedFile(env.dataDir, lost.id));
  await q(`UPDATE integrity_audits SET checked_at = checked_at - interval '13 hours' WHERE recording_id = ANY($1::uuid[])`, [[changed.id, lost.id]]);
  const after = await run({ cycleDays: 90, batch: 100 });
  expect(after.report).toMatchObject({ checked: 2, ok: 2 });
  expect(after.logs.at(LEVEL.error)).toEqual([]);
  expect((await dashboard()).body).toMatchObject({ failureCount: 0, failures: [], lastRun: { ok: 2 } });
}, 60_000);

test('GET /api/integrity checks its query: limit, cursor, nothing else; admins only', async () => {
  for (const [query, code, field] of [
    ['?limit=0', 'invalid_field', 'limit'],
    ['?limit=201', 'invalid_field', 'limit'],
    ['?cursor=not-one-of-ours', 'invalid_cursor', 'cursor'],
    [`?cursor=${Buffer.from('2026-01-01T00:00:00.000Z|1; DROP TABLE recordings').toString('base64url')}`, 'invalid_cursor', 'cursor'],
    ['?unit=ZF1', 'unknown_field', 'unit'],
  ]) {
    const res = await dashboard(query);
    expect([query, res.status, res.body.code, res.body.field]).toEqual([query, 400, code, field]);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  }
  expect((await dashboard('', tokens.supervisorZF1)).status).toBe(403);
  expect((await request(env.app).get('/api/integrity')).status).toBe(401);
});

test('on S3: an object overwritten with other bytes by another client is a mismatch; a run the store cannot serve is on record with its error, and fails', async () => {
  const { s3, settings } = await storageSettings('minio');
  const s3env = await startTestEnv({ ...settings, MINIO_BUCKET: 'audit-on-s3', INTEGRITY_AUDIT_AT: 'off', RETENTION_RUN_AT: 'off' });
  try {
    const t = await seedBureau(s3env);
    const rec = await docker(s3env, t.station, dir)();
    // Another client with the store's credentials (a person with bucket access, a faulty sync) puts other bytes.
    const other = new S3Store(s3env.config.storage as Extract<typeof s3env.config.storage, { driver: 'minio' }>);
    await other.put(originalKey(rec.id), Readable.from(Buffer.from('not the footage that was docked')));
    const logs = captureLogs();
    const report = await runIntegrityAudit({ ...s3env.ctx, logger: logs.logger });
    expect(report).toMatchObject({ checked: 1, mismatch: 1, failures: [{ recordingId: rec.id, actual: { size: 31 } }] });
    expect(logs.at(LEVEL.error)[0]).toMatchObject({ recordingId: rec.id, result: 'mismatch' });
    const res = await request(s3env.app).get('/api/integrity').set('Authorization', `Bearer ${t.admin}`);
    expect(res.body).toMatchObject({ failureCount: 1, failures: [{ recordingId: rec.id, result: 'mismatch', actualSize: 31 }] });

    // The store down at the next day's run: nothing is concluded about the original, the run fails (the queue
    // retries it) and is on record with why.
    await s3env.ctx.pool.query(`UPDATE integrity_audits SET checked_at = checked_at - interval '13 hours'`);
    await s3!.close();
    await expect(runIntegrityAudit({ ...s3env.ctx, logger: captureLogs().logger })).rejects.toMatchObject({ name: 'StorageUnavailableError' });
    const down = await request(s3env.app).get('/api/integrity').set('Authorization', `Bearer ${t.admin}`);
    expect(down.body).toMatchObject({ lastRun: { planned: 1, checked: 0, error: expect.stringMatching(/object store/) }, failureCount: 1 });
    expect((await s3env.ctx.pool.query('SELECT result FROM integrity_audits ORDER BY id')).rows).toEqual([{ result: 'mismatch' }]);
  } finally {
    await s3env.close();
    await s3!.close();
  }
}, 60_000);
