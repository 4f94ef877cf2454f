import { execFile } from 'node:child_process';
import path from 'node:path';
import request from 'supertest';
import { derivedPrefix } from '../../storage/keys';
import { runRetention } from '../../src/retention/run';
import { makeClip } from '../fixtures/clips';
import type { TestEnv } from '../support/harness';
import { startWorkingSystem, type WorkingSystem } from '../support/working-system';
import { settle } from '../support/settle';
import { promisify } from 'node:util';

const run = promisify(execFile);

let system: WorkingSystem;
let env: TestEnv;
let tokens: WorkingSystem['tokens'];
let dir: string;

beforeAll(async () => {
  // Closed cases keep their footage 12 months here (the default is permanently), so the test can see it go.
  system = await startWorkingSystem({ RETENTION_CLOSED_CASE_MONTHS: '12' });
  ({ env, tokens, dir } = system);
}, 60_000);
afterAll(() => system.close());

const CASE = '某交执罚〔2026〕15号';
const caseUrl = `/api/cases/${encodeURIComponent(CASE)}`;
// Docked at 18:00 bureau time on 10 January 2026: six calendar months on is 10 July, 10:00 UTC.
const DOCKED = '2026-01-10T18:00:00+08:00';
const SIX_MONTHS_LATER = '2026-07-10T10:00:00.000Z';

async function dock(name: string): Promise<string> {
  const clip = await makeClip(dir, name, { seconds: 1 });
  const res = await request(env.app).post('/api/recordings').set('Authorization', `Bearer ${tokens.station}`).field('dockedAt', DOCKED).attach('file', clip);
  expect(res.status).toBe(201);
  return res.body.recordings[0].id;
}

const get = (id: string, token = tokens.admin) => request(env.app).get(`/api/recordings/${id}`).set('Authorization', `Bearer ${token}`);
const putCase = (status: 'open' | 'closed') =>
  request(env.app)
    .put(caseUrl)
    .set('Authorization', `Bearer ${tokens.integration}`)
    .send({
      kind: 'penalty',
      status,
      unitCode: 'ZF1',
      activities: [{ key: 'A1', type: 'inspection', badgeNos: ['100001', '100002'], startedAt: '2026-01-10 09:00:00', endedAt: '2026-01-10 09:50:00' }],
    });
const custodyActions = async (id: string) =>
  (await request(env.app).get(`/api/custody?recordingId=${id}`).set('Authorization', `Bearer ${tokens.admin}`)).body.items.map((e: { action: string }) => e.action);
const due = async (at: string) => {
  const res = await request(env.app).get(`/api/retention/due?at=${encodeURIComponent(at)}`).set('Authorization', `Bearer ${tokens.admin}`);
  expect(res.status).toBe(200);
  return res.body as { due: { recordingId: string }[]; held: number; dryRun: boolean };
};
const retain = (at: string) => runRetention({ ...env.ctx, policy: env.config.retention }, { at: new Date(at), dryRun: false });
const hold = (target: string, on: boolean, token = tokens.admin) =>
  request(env.app).post(`${target}/hold`).set('Authorization', `Bearer ${token}`).send({ on, reason: on ? '行政复议' : '复议结束' });

test('retention: dates follow links, marks and closing; the run deletes exactly the expired footage nothing holds, leaving tombstones', async () => {
  const plain = await dock('DSJ0001_20260110_140000_0001.MP4'); // 100001, in no case
  const flagged = await dock('DSJ0001_20260110_150000_0002_IMP.MP4'); // flagged important on the recorder
  const marked = await dock('DSJ0001_20260110_160000_0003.MP4'); // to be marked by a reviewer, then unmarked
  const inCase = await dock('DSJ0002_20260110_093000_0001.MP4'); // 100002, inside the case's activity
  expect((await putCase('open')).status).toBe(201);
  await settle(env);

  expect((await get(plain)).body).toMatchObject({ retainUntil: SIX_MONTHS_LATER, important: false, cases: [], hold: null });
  expect((await get(flagged)).body).toMatchObject({ retainUntil: null, important: true });
  expect((await get(inCase)).body).toMatchObject({ retainUntil: null, cases: [{ caseNo: CASE, source: 'auto' }] });

  // A reviewer's mark keeps it (permanently, by default); unmarking brings the six months back. A reason is required.
  const noReason = await request(env.app).post(`/api/recordings/${marked}/important`).set('Authorization', `Bearer ${tokens.reviewer}`).send({ important: true });
  expect(noReason.status).toBe(400);
  expect((await get(marked)).body.important).toBe(false);
  const mark = await request(env.app).post(`/api/recordings/${marked}/important`).set('Authorization', `Bearer ${tokens.reviewer}`).send({ important: true, reason: '群众投诉' });
  expect(mark.status).toBe(200);
  expect(mark.body).toMatchObject({ important: true, retainUntil: null, importantNote: { by: 'rev-zf1', reason: '群众投诉' } });
  const outOfScope = await request(env.app).post(`/api/recordings/${marked}/important`).set('Authorization', `Bearer ${tokens.supervisorZF2}`).send({ important: false, reason: 'x' });
  expect(outOfScope.status).toBe(403);
  const unmark = await request(env.app).post(`/api/recordings/${marked}/important`).set('Authorization', `Bearer ${tokens.reviewer}`).send({ important: false, reason: '核实无关' });
  expect(unmark.body).toMatchObject({ important: false, retainUntil: SIX_MONTHS_LATER });
  expect(await custodyActions(marked)).toEqual(expect.arrayContaining(['mark_important', 'unmark_important', 'retention']));

  // The dry run: a day before the date nothing is due; after it, the unlinked unimportant footage.
  expect((await due('2026-07-09')).due).toEqual([]);
  let report = await due('2026-08-01');
  expect(report.dryRun).toBe(true);
  expect(report.due.map((d) => d.recordingId).sort()).toEqual([plain, marked].sort());
  // A legal hold (admins only) keeps it out of the run.
  expect((await hold(`/api/recordings/${plain}`, true, tokens.supervisorZF1)).status).toBe(403);
  const held = await hold(`/api/recordings/${plain}`, true);
  expect(held.status).toBe(200);
  expect(held.body.hold).toMatchObject({ by: 'root', reason: '行政复议' });
  report = await due('2026-08-01');
  expect(report.due.map((d) => d.recordingId)).toEqual([marked]);
  expect(report.held).toBe(1);
  // The dry run changed nothing.
  expect((await get(marked)).body.status).toBe('ready');

  const markedObject = (await env.ctx.pool.query('SELECT object_key FROM recordings WHERE id = $1', [marked])).rows[0].object_key;
  expect(await env.ctx.store.stat(markedObject)).not.toBeNull();
  const first = await retain('2026-08-01T00:00:00Z');
  expect(first.due.map((d) => d.recordingId)).toEqual([marked]);
  expect(first.purged).toBe(1);
  const tombstone = (await get(marked)).body;
  expect(tombstone).toMatchObject({ status: 'deleted', retainUntil: SIX_MONTHS_LATER, sha256: expect.any(String) });
  expect(tombstone.deletedAt).toEqual(expect.any(String));
  expect(await env.ctx.store.stat(markedObject)).toBeNull();
  const derived: string[] = [];
  for await (const o of env.ctx.store.list(derivedPrefix(marked))) derived.push(o.key);
  expect(derived).toEqual([]);
  expect((await request(env.app).get(`/api/recordings/${marked}/original`).set('Authorization', `Bearer ${tokens.admin}`)).status).toBe(410);
  expect((await request(env.app).get(`/api/recordings/${marked}/thumbnail`).set('Authorization', `Bearer ${tokens.admin}`)).status).toBe(410);
  expect(await custodyActions(marked)).toContain('delete');
  // A deleted recording cannot be marked again.
  expect((await request(env.app).post(`/api/recordings/${marked}/important`).set('Authorization', `Bearer ${tokens.reviewer}`).send({ important: true, reason: 'x' })).status).toBe(410);
  for (const kept of [plain, flagged, inCase]) expect((await get(kept)).body.status).toBe('ready');

  // The hold lifted, the next run takes it.
  await hold(`/api/recordings/${plain}`, false);
  expect((await retain('2026-08-01T00:00:00Z')).due.map((d) => d.recordingId)).toEqual([plain]);

  // The case closes: its footage is kept 12 months from closing; a hold on the case keeps it past that.
  expect((await putCase('closed')).status).toBe(200);
  await settle(env);
  const closedAt = (await request(env.app).get(caseUrl).set('Authorization', `Bearer ${tokens.admin}`)).body.closedAt as string;
  const expected = new Date(closedAt);
  expected.setUTCFullYear(expected.getUTCFullYear() + 1);
  expect((await get(inCase)).body.retainUntil).toBe(expected.toISOString());
  const later = new Date(expected.getTime() + 24 * 3600_000).toISOString();
  expect((await hold(caseUrl, true)).body.hold).toMatchObject({ reason: '行政复议' });
  const whileHeld = await retain(later);
  expect(whileHeld.due).toEqual([]);
  expect(whileHeld.held).toBe(1);
  await hold(caseUrl, false);
  expect((await retain(later)).due.map((d) => d.recordingId)).toEqual([inCase]);
  // Its tombstone stays on the case's timeline.
  const casePage = (await request(env.app).get(caseUrl).set('Authorization', `Bearer ${tokens.admin}`)).body;
  expect(casePage.recordings).toEqual([expect.objectContaining({ id: inCase, status: 'deleted' })]);

  // Important footage outlives all of it; the custody chain still verifies.
  expect((await get(flagged)).body.status).toBe('ready');
  const verify = await request(env.app).get('/api/custody/verify').set('Authorization', `Bearer ${tokens.admin}`);
  expect(verify.body).toMatchObject({ ok: true });
}, 120_000);

test('no one deletes an original by hand; bad input to marks and holds changes nothing', async () => {
  const id = await dock('DSJ0003_20260110_100000_0001.MP4');
  await settle(env);
  expect((await request(env.app).delete(`/api/recordings/${id}`).set('Authorization', `Bearer ${tokens.admin}`)).status).toBe(404);
  expect((await request(env.app).post(`/api/recordings/${id}/hold`).set('Authorization', `Bearer ${tokens.admin}`).send({ on: 'yes', reason: 'x' })).status).toBe(400);
  expect((await request(env.app).post(`/api/recordings/${id}/hold`).set('Authorization', `Bearer ${tokens.admin}`).send({ on: true })).status).toBe(400);
  expect((await request(env.app).post(`/api/recordings/${id}/important`).set('Authorization', `Bearer ${tokens.admin}`).send({ important: true, reason: '' })).status).toBe(400);
  expect((await request(env.app).get('/api/retention/due?at=someday').set('Authorization', `Bearer ${tokens.admin}`)).status).toBe(400);
  expect((await get(id)).body).toMatchObject({ important: false, hold: null, retainUntil: SIX_MONTHS_LATER });
  expect(await custodyActions(id)).toEqual(['ingest']);
}, 60_000);

test('the command line runs the same retention run: a dry run reports, changes nothing, and names what is due', async () => {
  const id = await dock('DSJ0003_20260110_120000_0003.MP4');
  await settle(env);
  const root = path.resolve(__dirname, '../..');
  const cli = (...args: string[]) =>
    run(path.join(root, 'node_modules', '.bin', 'tsx'), ['src/cli/main.ts', 'retention', 'run', ...args], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: env.config.database.url, DATA_DIR: env.dataDir, RETENTION_CLOSED_CASE_MONTHS: '12', LOG_LEVEL: 'silent' },
    });
  const dry = await cli('--dry-run', '--at', '2026-08-01');
  expect(dry.stdout).toContain(id);
  expect(dry.stdout).toMatch(/would delete \d+ recording\(s\) expired at 2026-07-31T16:00:00.000Z/);
  expect((await get(id)).body.status).toBe('ready');
  await expect(cli('--at', 'tomorrow-ish')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--at must be a date') });
}, 60_000);

test('a changed policy applies to footage already stored: the run recomputes every date first', async () => {
  const id = await dock('DSJ0003_20260110_110000_0002.MP4');
  await settle(env);
  expect((await get(id)).body.retainUntil).toBe(SIX_MONTHS_LATER);
  const report = await runRetention({ ...env.ctx, policy: { ...env.config.retention, unlinkedMonths: 12 } }, { at: new Date('2026-08-01T00:00:00Z'), dryRun: false });
  expect(report.recomputed).toBeGreaterThanOrEqual(1);
  expect(report.due.map((d) => d.recordingId)).not.toContain(id);
  expect((await get(id)).body).toMatchObject({ status: 'ready', retainUntil: '2027-01-10T10:00:00.000Z' });
  expect(await custodyActions(id)).toEqual(['ingest', 'retention']);
}, 60_000);
