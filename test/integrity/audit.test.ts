import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import request from 'supertest';
import { ConfigError, loadConfig } from '../../config/schema';
import { auditRecordings } from '../../src/integrity/audit';
import { bullConnection } from '../../src/queue/connection';
import { JOB_OPTIONS } from '../../src/queue/jobs';
import { startWorkerRole } from '../../workers/worker';
import { seedBureau } from '../support/bureau';
import { startTestEnv, type TestEnv } from '../support/harness';
import { docker, storedFile } from './helpers';

let env: TestEnv;
let tokens: Awaited<ReturnType<typeof seedBureau>>;
let dir: string;

beforeAll(async () => {
  env = await startTestEnv({ INTEGRITY_AUDIT_AT: 'off', RETENTION_RUN_AT: 'off' });
  tokens = await seedBureau(env);
  dir = await mkdtemp(path.join(tmpdir(), 'bce-integrity-'));
  dock = docker(env, tokens.station, dir);
}, 60_000);
afterAll(async () => {
  await env.close();
  await rm(dir, { recursive: true, force: true });
});

/** Docks one small real clip through the API as the station. */
let dock: ReturnType<typeof docker>;
const fileOf = (id: string) => storedFile(env.dataDir, id);
const audits = async (id: string) =>
  (await env.ctx.pool.query('SELECT result, actual_sha256, actual_size FROM integrity_audits WHERE recording_id = $1 ORDER BY id', [id])).rows;
const failures = async (id: string) =>
  (await env.ctx.pool.query(`SELECT actor, detail FROM custody_events WHERE target = $1 AND action = 'integrity_failure' ORDER BY seq`, [`recording:${id}`])).rows;
/** Audits only these recordings: the others are made recently audited, so not due. */
async function auditOnly(ids: string[]) {
  await env.ctx.pool.query(
    `INSERT INTO integrity_audits (recording_id, result, checked_at) SELECT id, 'ok', now() + interval '1 hour' FROM recordings WHERE NOT (id = ANY($1::uuid[]))`,
    [ids],
  );
  return auditRecordings(env.ctx, { limit: 100, olderThan: new Date(Date.now() + 30 * 60_000) });
}

test('an untouched original: ok, with its hash and size; no custody event', async () => {
  const rec = await dock();
  const report = await auditOnly([rec.id]);
  expect(report).toMatchObject({ checked: 1, ok: 1, mismatch: 0, missing: 0, skipped: 0, bytes: rec.size, failures: [] });
  expect(await audits(rec.id)).toEqual([{ result: 'ok', actual_sha256: rec.sha256, actual_size: rec.size }]);
  expect(await failures(rec.id)).toEqual([]);
});

test('bytes overwritten behind the application\'s back: mismatch with the actual hash and size, and an integrity_failure custody event', async () => {
  const sameSize = await dock();
  const shorter = await dock();
  // One byte changed in place (same size), and a file cut short.
  const fh = await open(fileOf(sameSize.id), 'r+');
  await fh.write(Buffer.from([0x42]), 0, 1, 100);
  await fh.close();
  await writeFile(fileOf(shorter.id), Buffer.from('not the footage'));

  const report = await auditOnly([sameSize.id, shorter.id]);
  expect(report).toMatchObject({ checked: 2, ok: 0, mismatch: 2, missing: 0 });
  const [changed] = await audits(sameSize.id);
  expect(changed).toMatchObject({ result: 'mismatch', actual_size: sameSize.size });
  expect(changed.actual_sha256).toMatch(/^[0-9a-f]{64}$/);
  expect(changed.actual_sha256).not.toBe(sameSize.sha256);
  expect(await failures(sameSize.id)).toEqual([
    { actor: 'system', detail: { expected: sameSize.sha256, actual: changed.actual_sha256, result: 'mismatch', expectedSize: sameSize.size, actualSize: sameSize.size } },
  ]);
  expect(await audits(shorter.id)).toEqual([{ result: 'mismatch', actual_sha256: expect.stringMatching(/^[0-9a-f]{64}$/), actual_size: 15 }]);
  expect((await failures(shorter.id))[0].detail).toMatchObject({ expected: shorter.sha256, result: 'mismatch', actualSize: 15 });
  expect(report.failures.map((f) => f.recordingId).sort()).toEqual([sameSize.id, shorter.id].sort());
});

test('an original gone from the store: missing, and a custody event; the chain still verifies', async () => {
  const rec = await dock();
  await rm(fileOf(rec.id));
  const report = await auditOnly([rec.id]);
  expect(report).toMatchObject({ checked: 1, missing: 1 });
  expect(await audits(rec.id)).toEqual([{ result: 'missing', actual_sha256: null, actual_size: null }]);
  expect(await failures(rec.id)).toEqual([{ actor: 'system', detail: { expected: rec.sha256, actual: null, result: 'missing', expectedSize: rec.size, actualSize: null } }]);
  const verify = await request(env.app).get('/api/custody/verify').set('Authorization', `Bearer ${tokens.admin}`);
  expect(verify.body.ok).toBe(true);
});

test('tombstones (deleted recordings) are not audited', async () => {
  const rec = await dock();
  await rm(fileOf(rec.id));
  await env.ctx.pool.query(`UPDATE recordings SET status = 'deleted', deleted_at = now(), purged_at = now() WHERE id = $1`, [rec.id]);
  const report = await auditOnly([rec.id]);
  expect(report).toMatchObject({ checked: 0, skipped: 0 });
  expect(await audits(rec.id)).toEqual([]);
  expect(await failures(rec.id)).toEqual([]);
});

test('order: never audited first, then a failed latest check, then the longest unaudited; audited since olderThan is not due; limit caps the run', async () => {
  // Everything docked so far was audited just now (some in the future, by auditOnly): none is due below.
  await env.ctx.pool.query(`INSERT INTO integrity_audits (recording_id, result, checked_at) SELECT id, 'ok', now() + interval '2 hours' FROM recordings`);
  const [never, tenDays, failed, threeDays, anHour] = [await dock(), await dock(), await dock(), await dock(), await dock()];
  const at = (id: string, ago: string, result = 'ok') =>
    env.ctx.pool.query(`INSERT INTO integrity_audits (recording_id, result, checked_at) VALUES ($1, $3, now() - $2::interval)`, [id, ago, result]);
  // An older result first: only the latest audit counts.
  await at(tenDays.id, '40 days');
  await at(tenDays.id, '10 days');
  // Failed two days ago (the original was since put back): checked again before anything merely old.
  await at(failed.id, '20 days');
  await at(failed.id, '2 days', 'mismatch');
  await at(threeDays.id, '3 days');
  await at(anHour.id, '1 hour');
  const olderThan = new Date(Date.now() - 24 * 3600_000);
  const checkedIn = async (limit: number) => {
    const before = (await env.ctx.pool.query('SELECT coalesce(max(id), 0) AS id FROM integrity_audits')).rows[0].id;
    const report = await auditRecordings(env.ctx, { limit, olderThan });
    const { rows } = await env.ctx.pool.query('SELECT recording_id FROM integrity_audits WHERE id > $1 ORDER BY id', [before]);
    expect(report.checked).toBe(rows.length);
    return rows.map((r) => r.recording_id);
  };
  expect(await checkedIn(2)).toEqual([never.id, failed.id]);
  expect(await checkedIn(10)).toEqual([tenDays.id, threeDays.id]);
  expect(await checkedIn(10)).toEqual([]);
});

test('the integrity job: scheduled daily at INTEGRITY_AUDIT_AT in the bureau zone (removed when off); a run audits its share, at most INTEGRITY_AUDIT_BATCH', async () => {
  const rec = await dock();
  const later = await dock();
  await env.ctx.pool.query(`INSERT INTO integrity_audits (recording_id, result, checked_at) SELECT id, 'ok', now() + interval '3 hours' FROM recordings WHERE NOT (id = ANY($1::uuid[]))`, [
    [rec.id, later.id],
  ]);
  const connection = bullConnection(env.config.redis.url, 'producer', () => undefined);
  const queue = new Queue('integrity', { connection, prefix: env.config.redis.prefix });
  const blocking = bullConnection(env.config.redis.url, 'worker', () => undefined);
  const events = new QueueEvents('integrity', { connection: blocking, prefix: env.config.redis.prefix });
  const until = async <T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> => {
    for (let i = 0; ; i++) {
      const v = await read();
      if (ok(v) || i > 50) return v;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  try {
    const on = startWorkerRole({ ...env.ctx, config: { ...env.config, integrity: { runAt: '04:15', batch: 1, cycleDays: 90 } } });
    try {
      const scheduled = await until(() => queue.getJobSchedulers(), (s) => s.length > 0);
      expect(scheduled).toEqual([expect.objectContaining({ key: 'daily-integrity', pattern: '15 4 * * *', tz: 'Asia/Shanghai' })]);
      await events.waitUntilReady();
      const job = await queue.add('integrity', {}, { ...JOB_OPTIONS.integrity, jobId: 'integrity-test' });
      const result = await job.waitUntilFinished(events, 20_000);
      // Two never audited are due; the batch of one takes the earlier.
      expect(result).toMatchObject({ checked: 1, ok: 1, failures: [], planned: 1, due: 2 });
      expect((await env.ctx.pool.query('SELECT planned, checked, ok, error FROM integrity_runs ORDER BY id DESC LIMIT 1')).rows).toEqual([
        { planned: 1, checked: 1, ok: 1, error: null },
      ]);
    } finally {
      await on.close();
    }
    const off = startWorkerRole(env.ctx);
    expect(await until(() => queue.getJobSchedulers(), (s) => s.length === 0)).toEqual([]);
    await off.close();
  } finally {
    await events.close();
    await queue.close();
    connection.disconnect();
    blocking.disconnect();
  }
  // A batch of one: the earlier docked of the two never-audited recordings.
  expect(await audits(rec.id)).toEqual([{ result: 'ok', actual_sha256: rec.sha256, actual_size: rec.size }]);
  expect(await audits(later.id)).toEqual([]);
}, 60_000);

test('settings: INTEGRITY_AUDIT_AT is HH:MM in the bureau zone or off (default 04:00), INTEGRITY_AUDIT_BATCH a positive whole number (default 2000), INTEGRITY_AUDIT_CYCLE_DAYS 1 to 3660 (default 180)', () => {
  expect(loadConfig({}).integrity).toEqual({ runAt: '04:00', batch: 2000, cycleDays: 180 });
  expect(loadConfig({ INTEGRITY_AUDIT_AT: 'off', INTEGRITY_AUDIT_BATCH: '500', INTEGRITY_AUDIT_CYCLE_DAYS: '30' }).integrity).toEqual({ runAt: null, batch: 500, cycleDays: 30 });
  expect(loadConfig({ INTEGRITY_AUDIT_AT: '23:59' }).integrity.runAt).toBe('23:59');
  for (const [key, value] of [
    ['INTEGRITY_AUDIT_AT', '24:00'],
    ['INTEGRITY_AUDIT_AT', '4:00'],
    ['INTEGRITY_AUDIT_BATCH', '0'],
    ['INTEGRITY_AUDIT_BATCH', 'many'],
    ['INTEGRITY_AUDIT_CYCLE_DAYS', '0'],
    ['INTEGRITY_AUDIT_CYCLE_DAYS', '1.5'],
  ]) {
    expect(() => loadConfig({ [key!]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key!]: value })).toThrow(`Invalid setting ${key}`);
  }
});
