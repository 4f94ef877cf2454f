import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { verifyExport } from '../../src/evidence/verify';
import { runRetention } from '../../src/retention/run';
import { makeClip } from '../fixtures/clips';
import type { TestEnv } from '../support/harness';
import { startWorkingSystem, type WorkingSystem } from '../support/working-system';
import { settle } from '../support/settle';
import { exportUrl, getBytes, sha256, unzip } from './helpers';

// Issue 5's "done means", in one story: footage docked before its case exists, the case imported from the
// penalty-case system's CSV, the footage linked, exported, the package verified offline, the custody log
// tampered with behind the application's back, and retention run at a simulated date.
let system: WorkingSystem;
let env: TestEnv;
let tokens: WorkingSystem['tokens'];
let dir: string;

beforeAll(async () => {
  system = await startWorkingSystem();
  ({ env, tokens, dir } = system);
}, 60_000);
afterAll(() => system.close());

const CASE = '某交执罚〔2026〕208号';
const DOCKED = '2026-02-03T18:30:00+08:00';

async function dock(name: string): Promise<{ id: string; sha256: string }> {
  const clip = await makeClip(dir, name, { seconds: 2 });
  const res = await request(env.app).post('/api/recordings').set('Authorization', `Bearer ${tokens.station}`).field('dockedAt', DOCKED).attach('file', clip);
  expect(res.status).toBe(201);
  const bytes = await readFile(clip);
  expect(res.body.recordings[0].sha256).toBe(sha256(bytes));
  return { id: res.body.recordings[0].id, sha256: res.body.recordings[0].sha256 };
}

test('dock, import the case afterwards, linked, export, verify offline, tamper with the log, retention at a simulated date', async () => {
  // 3 February 2026: two officers at a roadside inspection 10:00–10:20, and footage of another job that day.
  const first = await dock('DSJ0001_20260203_100100_0001.MP4');
  const second = await dock('DSJ0002_20260203_100500_0001.MP4');
  const unrelated = await dock('DSJ0001_20260203_150000_0002.MP4');
  await settle(env);

  // The case arrives afterwards, from the penalty-case system's CSV export (one activity a row; one bad row).
  const csv = [
    'case_no,case_kind,case_status,unit_code,activity_key,activity_type,badge_nos,started_at,ended_at,location',
    `${CASE},penalty,open,ZF1,A1,inspection,100001;100002,2026-02-03 10:00:00,2026-02-03 10:20:00,G205 国道 K12`,
    `${CASE},penalty,open,ZF1,A2,questioning,100001;999999,2026-02-04 09:00:00,2026-02-04 09:30:00,`,
  ].join('\n');
  const imported = await request(env.app).post('/api/cases/import').set('Authorization', `Bearer ${tokens.integration}`).set('Content-Type', 'text/csv').send(csv);
  expect(imported.status).toBe(200);
  expect(imported.body).toMatchObject({ created: 1, errors: [{ line: 3, code: 'unknown_officer' }] });
  await settle(env);

  const page = (await request(env.app).get(`/api/cases/${encodeURIComponent(CASE)}`).set('Authorization', `Bearer ${tokens.reviewer}`)).body;
  expect(page.recordings.map((r: { id: string }) => r.id)).toEqual([first.id, second.id]);
  expect(page.recordings.map((r: { link: { source: string } }) => r.link.source)).toEqual(['auto', 'auto']);
  expect((await request(env.app).get(`/api/recordings/${first.id}`).set('Authorization', `Bearer ${tokens.reviewer}`)).body).toMatchObject({
    cases: [{ caseNo: CASE, source: 'auto' }],
    retainUntil: null,
  });

  // The reviewer exports the case; the package verifies offline, and its head is the bureau log's head.
  const zip = await getBytes(env, tokens.reviewer, exportUrl(CASE));
  expect(zip.status).toBe(200);
  const file = path.join(dir, 'case.zip');
  await writeFile(file, zip.body as Buffer);
  const check = await verifyExport(file);
  expect(check).toMatchObject({ ok: true, problems: [], files: 2 });
  const manifest = JSON.parse((await unzip(zip.body as Buffer)).find((e) => e.name === 'manifest.json')!.data.toString());
  expect(manifest.files.map((f: { sha256: string }) => f.sha256).sort()).toEqual([first.sha256, second.sha256].sort());
  const verified = (await request(env.app).get('/api/custody/verify').set('Authorization', `Bearer ${tokens.admin}`)).body;
  expect(verified).toMatchObject({ ok: true, head: manifest.custodyHead });

  // Someone with database access switches the guard off and edits the export event: verification names it.
  const { rows } = await env.ctx.pool.query<{ seq: number }>(`SELECT seq FROM custody_events WHERE action = 'export' AND target = $1`, [`case:${CASE}`]);
  const seq = rows[0]!.seq;
  await env.ctx.pool.query('ALTER TABLE custody_events DISABLE TRIGGER custody_events_no_update');
  try {
    await env.ctx.pool.query(`UPDATE custody_events SET actor = 'someone-else' WHERE seq = $1`, [seq]);
  } finally {
    await env.ctx.pool.query('ALTER TABLE custody_events ENABLE TRIGGER custody_events_no_update');
  }
  const broken = (await request(env.app).get('/api/custody/verify').set('Authorization', `Bearer ${tokens.admin}`)).body;
  expect(broken).toMatchObject({ ok: false, firstBadSeq: seq });
  // The package the reviewer holds still verifies on its own: it is the evidence of what the log said.
  expect((await verifyExport(file)).ok).toBe(true);

  // Retention at a simulated date, seven months on: exactly the expired unlinked footage goes.
  const report = await runRetention({ ...env.ctx, policy: env.config.retention }, { at: new Date('2026-09-03T00:00:00Z'), dryRun: false });
  expect(report.due.map((d) => d.recordingId)).toEqual([unrelated.id]);
  const statuses = await env.ctx.pool.query<{ id: string; status: string }>('SELECT id, status FROM recordings');
  expect(Object.fromEntries(statuses.rows.map((r) => [r.id, r.status]))).toEqual({ [first.id]: 'ready', [second.id]: 'ready', [unrelated.id]: 'deleted' });
}, 120_000);
