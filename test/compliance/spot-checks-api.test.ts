import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { rankKey } from '../../src/compliance/sampling';
import type { SpotCheckItem } from '../../src/compliance/spot-checks';
import { seedBureau } from '../support/bureau';
import { startTestEnv, userWithToken, type TestEnv } from '../support/harness';

let env: TestEnv;
let tokens: Awaited<ReturnType<typeof seedBureau>>;
let integration: string;
let revZF1: string;
let revAll: string;
let revOfficer: string;
let revZF2: string;

// The inspectors' own units (REGULATION.md: the user's unit, or else the unit of the officer the user is tied to).
const OWN_UNIT: Record<string, string | null> = { 'sup-zf1': 'ZF1', 'sup-zf2': 'ZF2', 'rev-zf1': 'ZF1', 'rev-all': null, 'rev-officer': 'ZF2' };

type Item = SpotCheckItem;

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const open = (body: object, token = tokens.admin) => request(env.app).post('/api/spot-checks').set(auth(token)).send(body);
const get = (id: string, token = tokens.admin) => request(env.app).get(`/api/spot-checks/${id}`).set(auth(token));
const judge = (id: string, itemId: number, body: object, token = tokens.admin) =>
  request(env.app).patch(`/api/spot-checks/${id}/items/${itemId}`).set(auth(token)).send(body);
const abandon = (id: string, body: object, token = tokens.admin) => request(env.app).post(`/api/spot-checks/${id}/abandon`).set(auth(token)).send(body);
const ALL_PASS = { verdicts: { M1: 'pass', M2: 'pass', M3: 'pass', M4: 'pass' } };
const MARCH = { from: '2026-03-01', to: '2026-03-31' };
const ids = (items: Item[]) => items.map((i) => `${i.caseNo}/${i.activityKey}`);
const count = async (sql: string) => (await env.ctx.pool.query<{ n: number }>(sql)).rows[0]!.n;

async function putCase(caseNo: string, unitCode: string, activities: { key: string; type: string; badgeNos: string[]; startedAt: string; endedAt: string }[]) {
  const res = await request(env.app).put(`/api/cases/${encodeURIComponent(caseNo)}`).set(auth(integration)).send({ kind: 'penalty', status: 'open', unitCode, activities });
  if (res.status !== 201) throw new Error(`case ${caseNo}: ${res.status} ${JSON.stringify(res.body)}`);
}

/** A recording straight in the catalog (what ingest and the probe would have stored), linked to a case when given. */
async function recording(badgeNo: string, serial: string, startedAt: string, endedAt: string, dockedAt: string, seq: number, linkTo?: string) {
  const id = randomUUID();
  await env.ctx.pool.query(
    `INSERT INTO recordings (id, sha256, size, filename, object_key, container, recorder_id, officer_id, started_at, ended_at, seq,
        docked_at, uploaded_by, upload_method, status)
     VALUES ($1, $2, 1000, $3, $4, 'mp4', (SELECT id FROM recorders WHERE serial = $5), (SELECT id FROM officers WHERE badge_no = $6),
        $7, $8, $9, $10, (SELECT id FROM users WHERE username = 'dock-01'), 'multipart', 'ready')`,
    [id, randomBytes(32).toString('hex'), `${serial}_${badgeNo}_${seq}.MP4`, `test/${id}`, serial, badgeNo, startedAt, endedAt, seq, dockedAt],
  );
  if (linkTo) {
    await env.ctx.pool.query(
      `INSERT INTO case_links (case_id, recording_id, source, linked_by) VALUES ((SELECT id FROM cases WHERE case_no = $1), $2, 'auto', 'test')`,
      [linkTo, id],
    );
  }
}

beforeAll(async () => {
  env = await startTestEnv();
  tokens = await seedBureau(env);
  integration = await userWithToken(env, 'penalty-system', 'integration');
  revZF1 = await userWithToken(env, 'rev-zf1', 'reviewer', { unitCode: 'ZF1' });
  revAll = await userWithToken(env, 'rev-all', 'reviewer');
  // No unit of its own: tied to officer 200001, so its own unit is ZF2.
  revOfficer = await userWithToken(env, 'rev-officer', 'reviewer', { badgeNo: '200001' });
  revZF2 = await userWithToken(env, 'rev-zf2', 'reviewer', { unitCode: 'ZF2' });
  await userWithToken(env, 'sup-gone', 'supervisor', { unitCode: 'ZF2' });
  await env.ctx.pool.query("UPDATE users SET active = false WHERE username = 'sup-gone'");

  const pair = ['100001', '100002'];
  await putCase('ZF1-2026-001', 'ZF1', [
    // Recorded in full by both officers, on their own recorders, docked the same day, linked: every rule passes.
    { key: 'A1', type: 'inspection', badgeNos: pair, startedAt: '2026-03-02T09:00:00+08:00', endedAt: '2026-03-02T09:30:00+08:00' },
    // Nobody recorded: R1 fails.
    { key: 'A2', type: 'questioning', badgeNos: pair, startedAt: '2026-03-03T10:00:00+08:00', endedAt: '2026-03-03T10:20:00+08:00' },
    // Need not be recorded: every rule na.
    { key: 'A3', type: 'other', badgeNos: pair, startedAt: '2026-03-04T10:00:00+08:00', endedAt: '2026-03-04T10:20:00+08:00' },
  ]);
  await putCase('ZF1-2026-002', 'ZF1', [
    { key: 'B0', type: 'other', badgeNos: pair, startedAt: '2026-02-28T23:59:59+08:00', endedAt: '2026-03-01T00:10:00+08:00' }, // before the period
    { key: 'B1', type: 'other', badgeNos: pair, startedAt: '2026-03-01T00:00:00+08:00', endedAt: '2026-03-01T00:10:00+08:00' }, // its first instant
    { key: 'B2', type: 'other', badgeNos: pair, startedAt: '2026-03-05T10:00:00+08:00', endedAt: '2026-03-05T10:20:00+08:00' },
    { key: 'B3', type: 'other', badgeNos: pair, startedAt: '2026-03-06T10:00:00+08:00', endedAt: '2026-03-06T10:20:00+08:00' },
  ]);
  await putCase('ZF2-2026-001', 'ZF2', [
    { key: 'C1', type: 'other', badgeNos: ['200001'], startedAt: '2026-03-10T10:00:00+08:00', endedAt: '2026-03-10T10:20:00+08:00' },
    // A third recorded, docked three days later, not linked: R2, R3 and R6 fail.
    { key: 'C2', type: 'inspection', badgeNos: ['200001'], startedAt: '2026-03-11T14:00:00+08:00', endedAt: '2026-03-11T15:00:00+08:00' },
    { key: 'C3', type: 'other', badgeNos: ['200001'], startedAt: '2026-03-31T23:59:00+08:00', endedAt: '2026-04-01T00:10:00+08:00' }, // its last minute
    { key: 'C4', type: 'other', badgeNos: ['200001'], startedAt: '2026-04-01T00:00:00+08:00', endedAt: '2026-04-01T00:10:00+08:00' }, // after the period
  ]);
  await recording('100001', 'DSJ0001', '2026-03-02T08:59:00+08:00', '2026-03-02T09:15:00+08:00', '2026-03-02T12:00:00+08:00', 1, 'ZF1-2026-001');
  await recording('100001', 'DSJ0001', '2026-03-02T09:15:00+08:00', '2026-03-02T09:31:00+08:00', '2026-03-02T12:00:00+08:00', 2, 'ZF1-2026-001');
  await recording('100002', 'DSJ0002', '2026-03-02T08:58:00+08:00', '2026-03-02T09:32:00+08:00', '2026-03-02T12:05:00+08:00', 7, 'ZF1-2026-001');
  await recording('200001', 'DSJ0003', '2026-03-11T14:00:00+08:00', '2026-03-11T14:20:00+08:00', '2026-03-14T09:00:00+08:00', 3);
  // Footage of the activities that need not be recorded but were: an inspector watches it (M1–M4 pending). C3 has
  // none: nothing to watch, M1–M4 are na and it is decided when the check opens.
  for (const [day, seq] of [['2026-03-04', 11], ['2026-03-05', 12], ['2026-03-06', 13]] as const) {
    const caseNo = day === '2026-03-04' ? 'ZF1-2026-001' : 'ZF1-2026-002';
    await recording('100001', 'DSJ0001', `${day}T09:58:00+08:00`, `${day}T10:21:00+08:00`, `${day}T12:00:00+08:00`, seq, caseNo);
    await recording('100002', 'DSJ0002', `${day}T09:58:00+08:00`, `${day}T10:21:00+08:00`, `${day}T12:00:00+08:00`, seq, caseNo);
  }
  await recording('100001', 'DSJ0001', '2026-02-28T23:59:00+08:00', '2026-03-01T00:11:00+08:00', '2026-03-01T08:00:00+08:00', 10, 'ZF1-2026-002');
  await recording('100002', 'DSJ0002', '2026-02-28T23:59:00+08:00', '2026-03-01T00:11:00+08:00', '2026-03-01T08:00:00+08:00', 10, 'ZF1-2026-002');
  await recording('200001', 'DSJ0003', '2026-03-10T09:59:00+08:00', '2026-03-10T10:21:00+08:00', '2026-03-10T12:00:00+08:00', 2, 'ZF2-2026-001');
});
afterAll(() => env.close());

const ZF1_ALL = ['ZF1-2026-001/A1', 'ZF1-2026-001/A2', 'ZF1-2026-001/A3', 'ZF1-2026-002/B1', 'ZF1-2026-002/B2', 'ZF1-2026-002/B3'];
const ZF2_ALL = ['ZF2-2026-001/C1', 'ZF2-2026-001/C2', 'ZF2-2026-001/C3'];

/** The expected draw, recomputed from the rank keys (sampling.test.ts checks those against OpenSSL). */
function expectedSample(seed: string, perUnit: Record<string, string[]>, k: Record<string, number>) {
  return Object.keys(perUnit)
    .sort()
    .flatMap((unit) =>
      perUnit[unit]!
        .map((id) => ({ id, key: rankKey(seed, id.slice(0, id.lastIndexOf('/')), id.slice(id.lastIndexOf('/') + 1)) }))
        .sort((a, b) => (a.key < b.key ? -1 : 1))
        .slice(0, k[unit])
        .map((x) => x.id),
    );
}

test('the same seed and data draw the same sample twice; both draws are recorded and counted; the rules have run', async () => {
  const body = { ...MARCH, sample: { mode: 'ratio', value: 0.5 }, seed: '2026年3月抽查' };
  const first = await open(body);
  expect(first.status).toBe(201);
  const second = await open(body);
  expect(second.status).toBe(201);
  expect(second.body.id).not.toBe(first.body.id);
  // ratio 0.5: ZF1 has 6 activities in March (B0 before it, not counted) → 3; ZF2 has 3 (C4 after it) → 2.
  const expected = expectedSample(body.seed, { ZF1: ZF1_ALL, ZF2: ZF2_ALL }, { ZF1: 3, ZF2: 2 });
  expect(ids(first.body.items)).toEqual(expected);
  expect(ids(second.body.items)).toEqual(expected);
  expect(first.body).toMatchObject({ seed: body.seed, regulationVersion: '2026-1', from: '2026-03-01', to: '2026-03-31', unitCodes: null, status: 'open', openedBy: 'root' });
  expect(first.body.summary).toMatchObject({ items: 5 });
  expect((await get(first.body.id)).body.draws).toBe(2);
  expect((await get(second.body.id)).body.draws).toBe(2);
  const events = await env.ctx.pool.query('SELECT target, detail FROM custody_events WHERE action = $1 AND target = ANY($2) ORDER BY seq', [
    'spot_check_open',
    [`spot_check:${first.body.id}`, `spot_check:${second.body.id}`],
  ]);
  expect(events.rows.map((r) => r.detail.seed)).toEqual([body.seed, body.seed]);
  expect(events.rows[0].detail).toMatchObject({ from: '2026-03-01', to: '2026-03-31', unitCodes: null, sample: { mode: 'ratio', value: 0.5 } });
  expect(events.rows[0].detail.items.map((i: { caseNo: string; activityKey: string }) => `${i.caseNo}/${i.activityKey}`)).toEqual(expected);
});

test('ratio and perUnit: sizes per unit, the period boundaries in the bureau zone, the automatic findings stored', async () => {
  const all = await open({ ...MARCH, sample: { mode: 'perUnit', value: 100 }, seed: 's-per-unit' });
  expect(all.status).toBe(201);
  expect([...ids(all.body.items)].sort()).toEqual([...ZF1_ALL, ...ZF2_ALL].sort());
  expect(all.body.items.map((i: Item) => i.unitCode)).toEqual(['ZF1', 'ZF1', 'ZF1', 'ZF1', 'ZF1', 'ZF1', 'ZF2', 'ZF2', 'ZF2']);
  const two = await open({ ...MARCH, sample: { mode: 'perUnit', value: 2 }, seed: 's-per-unit' });
  expect(ids(two.body.items)).toEqual(expectedSample('s-per-unit', { ZF1: ZF1_ALL, ZF2: ZF2_ALL }, { ZF1: 2, ZF2: 2 }));
  const tenth = await open({ ...MARCH, sample: { mode: 'ratio', value: 0.1 }, seed: 's-ratio' });
  expect(tenth.body.items.map((i: Item) => i.unitCode)).toEqual(['ZF1', 'ZF2']); // at least one per unit

  const item = (key: string) => (all.body.items as Item[]).find((i) => i.activityKey === key)!;
  const results = (i: Item) => Object.fromEntries(i.findings.map((f) => [f.rule, f.result]));
  const manual = { M1: 'pending', M2: 'pending', M3: 'pending', M4: 'pending' };
  expect(results(item('A1'))).toEqual({ R1: 'pass', R2: 'pass', R3: 'pass', R4: 'pass', R5: 'pass', R6: 'pass', ...manual });
  expect(item('A1')).toMatchObject({ result: 'pending', activityType: 'inspection', badgeNos: ['100001', '100002'], startedAt: '2026-03-02T01:00:00.000Z' });
  expect(results(item('A2'))).toMatchObject({ R1: 'fail', R2: 'na' });
  expect(item('A2').result).toBe('fail');
  expect(results(item('C2'))).toMatchObject({ R1: 'pass', R2: 'fail', R3: 'fail', R4: 'pass', R6: 'fail' });
  // Need not be recorded (R1 na), but recorded: the other rules judge the footage there is. Not recorded: all na.
  expect(results(item('A3'))).toMatchObject({ R1: 'na', R2: 'pass', R3: 'pass' });
  expect(results(item('C3'))).toMatchObject({ R1: 'na', R2: 'na', M1: 'na' });
  expect(item('C3').result).toBe('pass');
  // Pending until watched, automatic failures too (C2); decided at opening: A2 (nobody recorded, R1 fails) and C3
  // (need not be recorded, nothing to watch).
  expect(item('C2').result).toBe('pending');
  expect(results(item('A2'))).toMatchObject({ M1: 'na', M4: 'na' });
  expect(all.body.summary).toEqual({ items: 9, passed: 1, failed: 1, pending: 7, passRate: 0.5 });
  // The regulation applied is kept with the check.
  const stored = await env.ctx.pool.query('SELECT regulation->>\'version\' AS v, sample_mode, sample_value::text AS value FROM spot_checks WHERE id = $1', [all.body.id]);
  expect(stored.rows[0]).toEqual({ v: '2026-1', sample_mode: 'perUnit', value: '100' });

  const empty = await open({ from: '2025-01-01', to: '2025-01-31', sample: { mode: 'ratio', value: 0.1 } });
  expect(empty.status).toBe(201);
  expect(empty.body).toMatchObject({ items: [], status: 'complete', summary: { items: 0, passed: 0, failed: 0, pending: 0, passRate: null } });
  expect(empty.body.seed).toMatch(/^[0-9a-f]{32}$/);
  expect(empty.body.closedAt).toEqual(expect.any(String));
});

test('inspectors are dealt from the pool, never an item of their own unit (own unit via the user, or else their officer)', async () => {
  const res = await open({ ...MARCH, sample: { mode: 'perUnit', value: 100 }, seed: 'deal', inspectors: ['sup-zf1', 'SUP-ZF2', 'rev-zf1', 'rev-officer'] });
  expect(res.status).toBe(201);
  const items = res.body.items as Item[];
  expect(items).toHaveLength(9);
  for (const i of items) {
    expect(i.inspector).not.toBeNull();
    expect(OWN_UNIT[i.inspector!]).not.toBe(i.unitCode);
  }
  // ZF1's items went to sup-zf2 and rev-officer (tied to a ZF2 officer), ZF2's to sup-zf1 and rev-zf1.
  expect(new Set(items.filter((i) => i.unitCode === 'ZF1').map((i) => i.inspector))).toEqual(new Set(['sup-zf2', 'rev-officer']));
  expect(new Set(items.filter((i) => i.unitCode === 'ZF2').map((i) => i.inspector))).toEqual(new Set(['sup-zf1', 'rev-zf1']));
  // A pool all of one unit leaves that unit's items unassigned.
  const same = await open({ ...MARCH, sample: { mode: 'perUnit', value: 100 }, seed: 'deal', inspectors: ['sup-zf1', 'rev-zf1'] });
  const sameItems = same.body.items as Item[];
  expect(sameItems.filter((i) => i.unitCode === 'ZF1').every((i) => i.inspector === null)).toBe(true);
  expect(sameItems.filter((i) => i.unitCode === 'ZF2').every((i) => i.inspector === 'sup-zf1' || i.inspector === 'rev-zf1')).toBe(true);
});

test('verdicts: the assigned inspector and an admin may, another supervisor may not; unassigned items by anyone in scope', async () => {
  const res = await open({ ...MARCH, unitCodes: ['ZF1'], sample: { mode: 'perUnit', value: 100 }, seed: 'verdicts', inspectors: ['sup-zf2'] });
  expect(res.status).toBe(201);
  const id = res.body.id as string;
  const items = res.body.items as Item[];
  expect(items.every((i) => i.inspector === 'sup-zf2')).toBe(true);
  const a1 = items.find((i) => i.activityKey === 'A1')!;

  expect((await judge(id, a1.id, { verdicts: { M1: 'pass' } }, tokens.supervisorZF1)).status).toBe(403);
  expect((await judge(id, a1.id, { verdicts: { M1: 'pass' } }, revZF1)).status).toBe(403);
  const mine = await judge(id, a1.id, { verdicts: { M1: 'pass', M2: 'fail', M3: 'pass', M4: 'pass' }, note: '未告知当事人' }, tokens.supervisorZF2);
  expect(mine.status).toBe(200);
  expect(mine.body).toMatchObject({ id: a1.id, note: '未告知当事人', result: 'fail' });
  expect(mine.body.findings.find((f: Item['findings'][number]) => f.rule === 'M2')).toMatchObject({ result: 'fail', evidence: { by: 'sup-zf2' } });
  // The admin may overrule; the item passes once nothing fails and nothing is pending.
  const admin = await judge(id, a1.id, ALL_PASS, tokens.admin);
  expect(admin.status).toBe(200);
  expect(admin.body.result).toBe('pass');
  expect(admin.body.note).toBe('未告知当事人');
  expect((await judge(id, a1.id, { note: '已复核' }, tokens.supervisorZF2)).body.note).toBe('已复核');

  // The assigned inspector reads the check although it covers another unit: their items, nothing else hidden here.
  const seen = await get(id, tokens.supervisorZF2);
  expect(seen.status).toBe(200);
  expect(seen.body.items).toHaveLength(items.length);
  expect(seen.body.hiddenItems).toBe(0);
  // A reader of another unit with nothing assigned is refused; a reader without a unit sees the bureau.
  expect((await get(id, revZF2)).status).toBe(403);
  expect((await get(id, revOfficer)).body.items).toHaveLength(items.length);

  // Unassigned (no pool): any supervisor or reviewer whose scope covers the unit; the check defaults to the opener's unit.
  const own = await open({ ...MARCH, sample: { mode: 'perUnit', value: 1 }, seed: 'unassigned' }, tokens.supervisorZF1);
  expect(own.status).toBe(201);
  expect(own.body.unitCodes).toEqual(['ZF1']);
  const item = own.body.items[0] as Item;
  expect(item.inspector).toBeNull();
  expect((await judge(own.body.id, item.id, { verdicts: { M1: 'pass' } }, tokens.supervisorZF2)).status).toBe(403);
  expect((await judge(own.body.id, item.id, { verdicts: { M1: 'pass' } }, revZF1)).status).toBe(200);
  expect((await judge(own.body.id, item.id, { verdicts: { M2: 'pass' } }, revAll)).status).toBe(200);
  expect((await judge(own.body.id, item.id, { verdicts: { M3: 'pass' } }, tokens.officer)).status).toBe(403);
  expect((await judge(own.body.id, 999_999, { verdicts: { M3: 'pass' } })).status).toBe(404);
  expect((await judge(randomUUID(), item.id, { verdicts: { M3: 'pass' } })).status).toBe(404);
  const events = await env.ctx.pool.query("SELECT actor FROM custody_events WHERE action = 'verdict' AND target = $1 ORDER BY seq", [`spot_check:${own.body.id}`]);
  expect(events.rows.map((r) => r.actor)).toEqual(['rev-zf1', 'rev-all']);
});

test('scope: a unit supervisor opens checks of their unit only, and reads only their unit of a bureau-wide check', async () => {
  const other = await open({ ...MARCH, unitCodes: ['ZF2'], sample: { mode: 'ratio', value: 0.5 } }, tokens.supervisorZF1);
  expect(other.status).toBe(403);
  expect(other.body.field).toBe('unitCodes');
  expect((await open({ ...MARCH, unitCodes: ['ZF1', 'ZF2'], sample: { mode: 'ratio', value: 0.5 } }, tokens.supervisorZF1)).status).toBe(403);
  expect((await open({ ...MARCH, sample: { mode: 'ratio', value: 0.5 } }, revAll)).status).toBe(403); // reviewers do not open checks

  const wide = await open({ ...MARCH, sample: { mode: 'perUnit', value: 100 }, seed: 'scope' });
  const asZF1 = await get(wide.body.id, tokens.supervisorZF1);
  expect(asZF1.status).toBe(200);
  expect(ids(asZF1.body.items).sort()).toEqual(ZF1_ALL);
  expect(asZF1.body.hiddenItems).toBe(3);
  expect(asZF1.body.summary.items).toBe(6);
  expect((await get(wide.body.id, revAll)).body.items).toHaveLength(9);
  expect((await get(wide.body.id, tokens.officer)).status).toBe(403);
  expect((await get(randomUUID())).status).toBe(404);
  expect((await get('not-a-uuid')).status).toBe(404);
});

test('the last verdict completes the check; a complete check refuses verdicts (409), and the database refuses changes', async () => {
  const res = await open({ ...MARCH, unitCodes: ['ZF1'], sample: { mode: 'perUnit', value: 100 }, seed: 'complete' });
  const id = res.body.id as string;
  const pending = (res.body.items as Item[]).filter((i) => i.result === 'pending');
  expect(pending.map((i) => i.activityKey).sort()).toEqual(['A1', 'A3', 'B1', 'B2', 'B3']);
  for (const [n, item] of pending.entries()) {
    const last = n === pending.length - 1;
    const verdicts = item.activityKey === 'B2' ? { ...ALL_PASS.verdicts, M4: 'fail' } : ALL_PASS.verdicts;
    // Two steps for the last item: a partial verdict leaves it pending and the check open.
    if (last) {
      expect((await judge(id, item.id, { verdicts: { M1: 'pass' } })).body.result).toBe('pending');
      expect((await get(id)).body.status).toBe('open');
    }
    const r = await judge(id, item.id, { verdicts });
    expect(r.status).toBe(200);
    expect((await get(id)).body.status).toBe(last ? 'complete' : 'open');
  }
  const done = await get(id);
  expect(done.body).toMatchObject({ status: 'complete', closedAt: expect.any(String), summary: { items: 6, passed: 4, failed: 2, pending: 0, passRate: 4 / 6 } });

  const again = await judge(id, pending[0]!.id, ALL_PASS);
  expect(again.status).toBe(409);
  expect((await abandon(id, { reason: 'too late' })).status).toBe(409);
  await expect(env.ctx.pool.query("UPDATE spot_check_items SET note = 'changed' WHERE spot_check_id = $1", [id])).rejects.toThrow(/refused/);
  await expect(env.ctx.pool.query("UPDATE spot_checks SET status = 'open' WHERE id = $1", [id])).rejects.toThrow(/refused/);
  await expect(env.ctx.pool.query('DELETE FROM spot_check_items WHERE spot_check_id = $1', [id])).rejects.toThrow(/refused/);
  const stored = await env.ctx.pool.query('SELECT summary FROM spot_checks WHERE id = $1', [id]);
  expect(stored.rows[0].summary).toMatchObject({ items: 6, passed: 4, failed: 2, pending: 0 });
});

test('abandon: open → abandoned with the reason, the draw stays and is counted; then it is closed', async () => {
  // C1 only: an item that needs verdicts, so the check stays open.
  const body = { from: '2026-03-10', to: '2026-03-10', unitCodes: ['ZF2'], sample: { mode: 'perUnit', value: 1 }, seed: 'abandon' };
  const res = await open(body);
  const id = res.body.id as string;
  expect(res.body).toMatchObject({ status: 'open', items: [{ activityKey: 'C1', result: 'pending' }] });
  expect((await abandon(id, {})).status).toBe(400);
  expect((await abandon(id, { reason: '抽错了' }, tokens.supervisorZF1)).status).toBe(403);
  expect((await abandon(id, { reason: '抽错了' }, revAll)).status).toBe(403);
  const done = await abandon(id, { reason: '抽错了' }, tokens.supervisorZF2);
  expect(done.status).toBe(200);
  expect(done.body).toMatchObject({ status: 'abandoned', abandonedReason: '抽错了', closedAt: expect.any(String) });
  expect((await abandon(id, { reason: 'again' })).status).toBe(409);
  expect((await judge(id, res.body.items[0].id, ALL_PASS)).status).toBe(409);
  const redraw = await open(body);
  expect(ids(redraw.body.items)).toEqual(ids(res.body.items));
  expect(redraw.body.draws).toBe(2);
  // Overlapping scope counts (all units), a disjoint one does not.
  const wide = await open({ ...body, unitCodes: undefined });
  expect(wide.body.draws).toBe(3);
  expect((await open({ ...body, unitCodes: ['ZF1'] })).body.draws).toBe(2); // itself and the bureau-wide one
  const events = await env.ctx.pool.query("SELECT actor, detail FROM custody_events WHERE action = 'spot_check_abandon' AND target = $1", [`spot_check:${id}`]);
  expect(events.rows).toEqual([{ actor: 'sup-zf2', detail: { reason: '抽错了' } }]);
});

test.each([
  [{ ...MARCH, sample: { mode: 'ratio', value: 0.1 }, extra: 1 }, 400, 'extra'],
  [{ ...MARCH, sample: { mode: 'ratio', value: 0.12345 } }, 400, 'sample.value'],
  [{ ...MARCH, sample: { mode: 'ratio', value: 0 } }, 400, 'sample.value'],
  [{ ...MARCH, sample: { mode: 'ratio', value: 1.5 } }, 400, 'sample.value'],
  [{ ...MARCH, sample: { mode: 'perUnit', value: 1.5 } }, 400, 'sample.value'],
  [{ ...MARCH, sample: { mode: 'all', value: 1 } }, 400, 'sample.mode'],
  [{ ...MARCH, sample: { mode: 'ratio', value: 0.1, extra: true } }, 400, 'sample.extra'],
  [{ ...MARCH }, 400, 'sample'],
  [{ from: '2026-03-31', to: '2026-03-01', sample: { mode: 'ratio', value: 0.1 } }, 400, 'to'],
  [{ from: '2026-02-30', to: '2026-03-01', sample: { mode: 'ratio', value: 0.1 } }, 400, 'from'],
  [{ from: '2026-03-01T00:00:00+08:00', to: '2026-03-02', sample: { mode: 'ratio', value: 0.1 } }, 400, 'from'],
  [{ ...MARCH, sample: { mode: 'ratio', value: 0.1 }, seed: '' }, 400, 'seed'],
  [{ ...MARCH, sample: { mode: 'ratio', value: 0.1 }, seed: 'x'.repeat(201) }, 400, 'seed'],
  [{ ...MARCH, sample: { mode: 'ratio', value: 0.1 }, unitCodes: ['ZF1', 'ZF9'] }, 422, 'unitCodes.1'],
  [{ ...MARCH, sample: { mode: 'ratio', value: 0.1 }, inspectors: ['sup-zf2', 'zhangsan'] }, 422, 'inspectors.1'],
  [{ ...MARCH, sample: { mode: 'ratio', value: 0.1 }, inspectors: ['nobody'] }, 422, 'inspectors.0'],
  [{ ...MARCH, sample: { mode: 'ratio', value: 0.1 }, inspectors: ['sup-gone'] }, 422, 'inspectors.0'],
  [{ ...MARCH, sample: { mode: 'ratio', value: 0.1 }, inspectors: ['sup-zf2', 'Sup-ZF2'] }, 422, 'inspectors.1'],
])('a bad spot check is refused with the field at fault, and nothing is stored (%#)', async (bad, status, field) => {
  const before = { checks: await count('SELECT count(*)::int AS n FROM spot_checks'), events: await count('SELECT count(*)::int AS n FROM custody_events') };
  const res = await open(bad);
  expect(res.status).toBe(status);
  expect(res.body.field).toBe(field);
  if (field.startsWith('inspectors.')) expect(res.body.detail).toContain(String((bad as { inspectors: string[] }).inspectors[Number(field.split('.')[1])]));
  expect(await count('SELECT count(*)::int AS n FROM spot_checks')).toBe(before.checks);
  expect(await count('SELECT count(*)::int AS n FROM custody_events')).toBe(before.events);
});

test('bad verdicts are refused and change nothing', async () => {
  const res = await open({ ...MARCH, unitCodes: ['ZF2'], sample: { mode: 'perUnit', value: 1 }, seed: 'bad-verdicts' });
  const id = res.body.id as string;
  const itemId = res.body.items[0].id as number;
  for (const [body, field] of [
    [{ verdicts: { M5: 'pass' } }, 'verdicts.M5'],
    [{ verdicts: { M1: 'maybe' } }, 'verdicts.M1'],
    [{ verdicts: {} }, 'verdicts'],
    [{ verdicts: { M1: 'pass' }, by: 'me' }, 'by'],
    [{ verdicts: { M1: 'pass' }, note: '' }, 'note'],
  ] as const) {
    const r = await judge(id, itemId, body);
    expect(r.status).toBe(400);
    expect(r.body.field).toBe(field);
  }
  expect((await get(id)).body.items[0]).toMatchObject({ note: null, result: res.body.items[0].result });
  expect((await judge(id, Number.NaN, ALL_PASS)).status).toBe(404);
});
