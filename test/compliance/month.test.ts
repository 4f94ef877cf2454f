import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse as parseCsv } from 'csv-parse/sync';
import request from 'supertest';
import { relinkCase } from '../../src/cases/autolink';
import { inTransaction } from '../../src/db/pool';
import { createOfficer } from '../../src/directory/officers';
import { assignRecorder, createRecorder } from '../../src/directory/recorders';
import { getBytes } from '../evidence/helpers';
import { seedBureau } from '../support/bureau';
import { startTestEnv, userWithToken, type TestEnv } from '../support/harness';

// Issue 6's "done means": a realistic month of a bureau (two units, four officers, recorders swapped mid-month,
// on-time and late uploads, a gap, missing footage, a borrowed recorder), a spot check with a fixed seed, the
// inspectors' verdicts, a bulletin, and every number of its PDF and CSV checked against the month.
const run = promisify(execFile);
let env: TestEnv;
let tokens: Awaited<ReturnType<typeof seedBureau>>;
let integration: string;
let supZF1: string;
let supZF2: string;
let dir: string;

const at = (local: string) => new Date(`${local}+08:00`);

/** A recording as docking leaves it (no video needed: the rules read the catalog). */
async function footage(badgeNo: string, serial: string, start: string, end: string, dockedHoursAfter: number, seq: number) {
  const startedAt = at(start);
  const endedAt = at(end);
  await env.ctx.pool.query(
    `INSERT INTO recordings (id, sha256, size, filename, object_key, container, recorder_id, officer_id, started_at, ended_at, seq,
        docked_at, uploaded_by, upload_method, status)
     VALUES ($1, $2, 1000, $3, $4, 'mp4', (SELECT id FROM recorders WHERE serial = $5), (SELECT id FROM officers WHERE badge_no = $6),
        $7, $8, $9, $10, (SELECT id FROM users WHERE username = 'dock-01'), 'multipart', 'ready')`,
    [randomUUID(), randomBytes(32).toString('hex'), `${serial}_${badgeNo}_${seq}.MP4`, `month/${randomUUID()}`, serial, badgeNo, startedAt, endedAt, seq,
      new Date(endedAt.getTime() + dockedHoursAfter * 3600_000)],
  );
}

async function activityCase(caseNo: string, unitCode: string, badgeNos: string[], start: string, end: string) {
  const res = await request(env.app)
    .put(`/api/cases/${encodeURIComponent(caseNo)}`)
    .set('Authorization', `Bearer ${integration}`)
    .send({ kind: 'penalty', status: 'open', unitCode, activities: [{ key: 'A1', type: 'inspection', badgeNos, startedAt: `${start}+08:00`, endedAt: `${end}+08:00` }] });
  expect(res.status).toBe(201);
}

beforeAll(async () => {
  env = await startTestEnv();
  tokens = await seedBureau(env);
  integration = await userWithToken(env, 'penalty-system', 'integration');
  supZF1 = tokens.supervisorZF1;
  supZF2 = tokens.supervisorZF2;
  dir = await mkdtemp(path.join(tmpdir(), 'bce-month-'));
  // A fourth officer in ZF2 with their own recorder; on 15 March DSJ0003 and DSJ0004 swap owners.
  await inTransaction(env.ctx.pool, async (c) => {
    await createOfficer(c, { badgeNo: '200002', name: '赵六', unitCode: 'ZF2', from: null });
    await createRecorder(c, { serial: 'DSJ0004' });
    await assignRecorder(c, 'DSJ0004', { badgeNo: '200002', from: 'initial' });
    await assignRecorder(c, 'DSJ0003', { badgeNo: '200002', from: at('2026-03-15T00:00:00') });
    await assignRecorder(c, 'DSJ0004', { badgeNo: '200001', from: at('2026-03-15T00:00:00') });
  });

  // ZF1
  await activityCase('某交执罚〔2026〕101号', 'ZF1', ['100001', '100002'], '2026-03-03T09:00:00', '2026-03-03T09:30:00'); // all well
  await footage('100001', 'DSJ0001', '2026-03-03T08:58:00', '2026-03-03T09:31:00', 3, 1);
  await footage('100002', 'DSJ0002', '2026-03-03T08:59:00', '2026-03-03T09:32:00', 3, 1);
  await activityCase('某交执罚〔2026〕102号', 'ZF1', ['100001', '100002'], '2026-03-05T14:00:00', '2026-03-05T14:40:00'); // 100002 docked 30 h after
  await footage('100001', 'DSJ0001', '2026-03-05T13:59:00', '2026-03-05T14:41:00', 2, 2);
  await footage('100002', 'DSJ0002', '2026-03-05T13:59:00', '2026-03-05T14:41:00', 30, 2);
  await activityCase('某交执罚〔2026〕103号', 'ZF1', ['100001', '100002'], '2026-03-20T10:00:00', '2026-03-20T10:20:00'); // recorded; M2 fails on watching
  await footage('100001', 'DSJ0001', '2026-03-20T09:59:00', '2026-03-20T10:21:00', 1, 3);
  await footage('100002', 'DSJ0002', '2026-03-20T09:59:00', '2026-03-20T10:21:00', 1, 3);
  // ZF2
  await activityCase('某交执罚〔2026〕201号', 'ZF2', ['200001', '200002'], '2026-03-08T09:00:00', '2026-03-08T10:00:00'); // 200001: a 3-minute gap
  await footage('200001', 'DSJ0003', '2026-03-08T08:59:00', '2026-03-08T09:30:00', 4, 1);
  await footage('200001', 'DSJ0003', '2026-03-08T09:33:00', '2026-03-08T10:01:00', 4, 2);
  await footage('200002', 'DSJ0004', '2026-03-08T08:59:00', '2026-03-08T10:01:00', 4, 1);
  await activityCase('某交执罚〔2026〕202号', 'ZF2', ['200001', '200002'], '2026-03-18T15:00:00', '2026-03-18T15:20:00'); // 200001 on DSJ0003, 200002's since the 15th
  await footage('200001', 'DSJ0003', '2026-03-18T14:59:00', '2026-03-18T15:21:00', 2, 3);
  await footage('200002', 'DSJ0003', '2026-03-18T14:59:00', '2026-03-18T15:21:00', 2, 4);
  await activityCase('某交执罚〔2026〕203号', 'ZF2', ['200001', '200002'], '2026-03-25T11:00:00', '2026-03-25T11:30:00'); // 200002 recorded nothing
  await footage('200001', 'DSJ0004', '2026-03-25T10:59:00', '2026-03-25T11:31:00', 2, 1);
  await activityCase('某交执罚〔2026〕204号', 'ZF2', ['200001', '200002'], '2026-03-28T16:00:00', '2026-03-28T16:10:00'); // all well
  await footage('200001', 'DSJ0004', '2026-03-28T15:59:00', '2026-03-28T16:11:00', 1, 2);
  await footage('200002', 'DSJ0003', '2026-03-28T15:59:00', '2026-03-28T16:11:00', 1, 5);
  // Outside the month: not in the population.
  await activityCase('某交执罚〔2026〕205号', 'ZF2', ['200001', '200002'], '2026-04-01T00:00:00', '2026-04-01T00:10:00');

  // What the relink job does after a case is put (no worker runs in this file).
  const { rows } = await env.ctx.pool.query<{ id: number }>('SELECT id FROM cases ORDER BY id');
  for (const { id } of rows) await relinkCase(env.ctx.pool, id, { bufferMs: env.config.linkBufferMs, retention: env.config.retention });
}, 60_000);
afterAll(async () => {
  await env.close();
  await rm(dir, { recursive: true, force: true });
});

interface Item {
  id: number;
  caseNo: string;
  unitCode: string;
  inspector: string | null;
  result: string;
  findings: { rule: string; result: string; detail: string }[];
}

test('a month: spot check with a fixed seed, verdicts, bulletin; every number of the PDF and CSV is the month\'s', async () => {
  const opened = await request(env.app)
    .post('/api/spot-checks')
    .set('Authorization', `Bearer ${tokens.admin}`)
    .send({ from: '2026-03-01', to: '2026-03-31', sample: { mode: 'perUnit', value: 10 }, seed: '2026年3月', inspectors: ['sup-zf1', 'sup-zf2'] });
  expect(opened.status).toBe(201);
  const items = opened.body.items as Item[];
  const byCase = (no: number) => items.find((i) => i.caseNo === `某交执罚〔2026〕${no}号`)!;
  expect(items.map((i) => i.unitCode)).toEqual(['ZF1', 'ZF1', 'ZF1', 'ZF2', 'ZF2', 'ZF2', 'ZF2']);
  // Never their own unit.
  expect(items.every((i) => i.inspector === (i.unitCode === 'ZF1' ? 'sup-zf2' : 'sup-zf1'))).toBe(true);
  const failed = (no: number) => byCase(no).findings.filter((f) => f.result === 'fail').map((f) => f.rule);
  expect(failed(101)).toEqual([]);
  expect(failed(102)).toEqual(['R3']);
  expect(byCase(102).findings.find((f) => f.rule === 'R3')!.detail).toContain('100002');
  expect(failed(103)).toEqual([]);
  expect(failed(201)).toEqual(['R2']);
  expect(failed(202)).toEqual(['R4']);
  expect(failed(203)).toEqual(['R1']);
  expect(failed(204)).toEqual([]);

  // An inspector is dealt another unit's items and may read their cases and footage (API.md), nothing more:
  // not a case they do not inspect, and not to link or mark.
  const zf2Case = encodeURIComponent('某交执罚〔2026〕201号');
  const asZF1 = (url: string) => request(env.app).get(url).set('Authorization', `Bearer ${supZF1}`);
  const casePage = await asZF1(`/api/cases/${zf2Case}`);
  expect(casePage.status).toBe(200);
  const watched = casePage.body.recordings[0].id as string;
  expect((await asZF1(`/api/recordings/${watched}`)).status).toBe(200);
  expect((await asZF1(`/api/cases/${encodeURIComponent('某交执罚〔2026〕205号')}`)).status).toBe(403);
  const otherwise = await request(env.app).post(`/api/recordings/${watched}/important`).set('Authorization', `Bearer ${supZF1}`).send({ important: true, reason: '重要' });
  expect(otherwise.status).toBe(403);
  const link = await request(env.app).post(`/api/cases/${zf2Case}/links`).set('Authorization', `Bearer ${supZF1}`).send({ recordingId: watched, reason: '补充' });
  expect(link.status).toBe(403);
  // …nor export the case or read its custody log.
  expect((await asZF1(`/api/cases/${zf2Case}/export`)).status).toBe(403);
  expect((await asZF1(`/api/custody?caseNo=${zf2Case}`)).status).toBe(403);

  // The inspectors watch the footage.
  for (const item of items) {
    const verdicts = item.caseNo.includes('103') ? { M1: 'pass', M2: 'fail', M3: 'pass', M4: 'pass' } : { M1: 'pass', M2: 'pass', M3: 'pass', M4: 'pass' };
    const token = item.inspector === 'sup-zf1' ? supZF1 : supZF2;
    const res = await request(env.app).patch(`/api/spot-checks/${opened.body.id}/items/${item.id}`).set('Authorization', `Bearer ${token}`).send({ verdicts, note: '已观看' });
    expect(res.status).toBe(200);
  }
  const done = (await request(env.app).get(`/api/spot-checks/${opened.body.id}`).set('Authorization', `Bearer ${tokens.admin}`)).body;
  expect(done).toMatchObject({ status: 'complete', summary: { items: 7, passed: 2, failed: 5, pending: 0 } });

  const issued = await request(env.app).post(`/api/spot-checks/${opened.body.id}/bulletins`).set('Authorization', `Bearer ${tokens.admin}`).send({});
  expect(issued.status).toBe(201);
  const pdf = await getBytes(env, supZF1, `/api/bulletins/${issued.body.id}.pdf`);
  expect(pdf.status).toBe(200);
  const file = path.join(dir, 'bulletin.pdf');
  await writeFile(file, pdf.body as Buffer);
  const text = (await run('pdftotext', ['-layout', file, '-'])).stdout;
  const head = (await request(env.app).get('/api/custody/verify').set('Authorization', `Bearer ${tokens.admin}`)).body;
  // ZF1: 1 of 3 (33.3 %: R3 on 102, M2 on 103); ZF2: 1 of 4 (25.0 %: R2, R4, R1); all: 2 of 7 (28.6 %).
  for (const expected of ['执法一股', '执法二股', '33.3%', '25.0%', '28.6%', '2026年3月', '〔2026〕第 1 期', '某交执罚〔2026〕203号', '某交执罚〔2026〕202号']) {
    expect(text.replace(/\s+/g, ' ')).toContain(expected.replace(/\s+/g, ' '));
  }
  expect(text).toMatch(/通报/);
  // The head printed is the log's, at issue time (the bulletin's own event comes after it).
  const printedHead = /[0-9a-f]{64}/.exec(text.replace(/\s+/g, ''))?.[0];
  const { rows: events } = await env.ctx.pool.query<{ hash: string; action: string }>('SELECT hash, action FROM custody_events ORDER BY seq DESC LIMIT 2');
  expect(events[0]!.action).toBe('bulletin_issue');
  expect(printedHead).toBe(events[1]!.hash);
  expect(head.ok).toBe(true);

  const csv = await request(env.app).get(`/api/bulletins/${issued.body.id}.csv`).set('Authorization', `Bearer ${tokens.admin}`);
  expect(csv.status).toBe(200);
  const rows = parseCsv(csv.text.replace(/^\ufeff/, ''), { relax_column_count: true, skip_empty_lines: true }) as string[][];
  const unitRow = (code: string) => rows.find((r) => r[1] === code && /^\d+$/.test(r[0]!))!;
  const header = rows.find((r) => r.includes('R1 开启记录') && !r.some((c) => /^某交/.test(c)))!;
  const col = (name: string) => header.findIndex((h) => h.startsWith(name));
  // Per unit: checked, passed, pass rate, fails per category.
  expect(unitRow('ZF1').slice(3, 6)).toEqual(['3', '1', '33.3%']);
  expect(unitRow('ZF2').slice(3, 6)).toEqual(['4', '1', '25.0%']);
  expect([unitRow('ZF1')[col('R3')], unitRow('ZF1')[col('M2')], unitRow('ZF1')[col('R2')]]).toEqual(['1', '1', '0']);
  expect([unitRow('ZF2')[col('R1')], unitRow('ZF2')[col('R2')], unitRow('ZF2')[col('R4')], unitRow('ZF2')[col('R3')]]).toEqual(['1', '1', '1', '0']);
  // Ranking: ZF1 (33.3 %) before ZF2 (25.0 %).
  expect(unitRow('ZF1')[0]).toBe('1');
  expect(unitRow('ZF2')[0]).toBe('2');
  // One row per item, in the check's order, with its result.
  const itemRows = rows.filter((r) => r.some((c) => /^某交执罚/.test(c)));
  expect(itemRows).toHaveLength(7);
  // The case system may still change a case whose activity sits in the closed check: the item keeps what was drawn.
  const changed = await request(env.app)
    .put(`/api/cases/${encodeURIComponent('某交执罚〔2026〕101号')}`)
    .set('Authorization', `Bearer ${integration}`)
    .send({ kind: 'penalty', status: 'closed', unitCode: 'ZF1', activities: [{ key: 'A2', type: 'inspection', badgeNos: ['100001', '100002'], startedAt: '2026-03-03T09:00:00+08:00', endedAt: '2026-03-03T09:30:00+08:00' }] });
  expect(changed.status).toBe(200);
  const after = (await request(env.app).get(`/api/spot-checks/${opened.body.id}`).set('Authorization', `Bearer ${tokens.admin}`)).body;
  expect(after.items.find((i: Item) => i.caseNo === '某交执罚〔2026〕101号')).toMatchObject({ activityKey: 'A1', result: 'pass' });
  expect(itemRows.map((r) => r[r.length - 1])).toEqual(items.map((i) => (['某交执罚〔2026〕101号', '某交执罚〔2026〕204号'].includes(i.caseNo) ? '合格' : '不合格')));
}, 60_000);
