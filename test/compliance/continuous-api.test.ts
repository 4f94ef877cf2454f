import { randomBytes, randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import request from 'supertest';
import { seedBureau } from '../support/bureau';
import { startTestEnv, userWithToken, type TestEnv } from '../support/harness';

// A small month of work (bureau time, UTC+8), cases put by the penalty-case system and footage inserted in the
// catalog (the rules read the catalog; ingest is tested elsewhere). Expected figures per officer and rule:
//
// ZF1  某交执罚〔2026〕1号 A1 inspection  03-02 09:00–09:30  100001 footage covers it, docked same day: R1–R4 pass
//                                                      100002 no footage: R1 fail (R2–R4 na)
//      某交执罚〔2026〕1号 A2 questioning 03-10 14:00–14:30  100001 10 of 30 min, docked 43.5 h after: R1 pass, R2 fail, R3 fail, R4 pass
//                                                      100002 whole, on 200001's recorder DSJ0003: R1–R3 pass, R4 fail
//      某交执罚〔2026〕1号 A3 other       03-15 (need not be recorded, no footage): all na
//      某交执罚〔2026〕2号 A1 service     02-20 10:00–10:10  100001 covered, on time: R1–R4 pass (February)
// ZF2  某交执罚〔2026〕3号 A1 seizure     03-05 10:00–11:00  200001 10:00–10:50 (a 10 min gap at the end): R2 fail, R1/R3/R4 pass
//                                                      100001 (helping ZF2) no footage: R1 fail
//      某交执罚〔2026〕3号 A2 inspection  03-31 23:30–23:50  200001 covered: R1–R4 pass (31 March in the bureau, 15:30 UTC)
//      某交执罚〔2026〕3号 A3 inspection  04-01 00:10–00:30  200001 no footage — April in the bureau's zone, outside the period

let env: TestEnv;
let tokens: Awaited<ReturnType<typeof seedBureau>>;
let integration: string;
let reviewerZF2: string;
let supervisorAll: string;

async function putCase(caseNo: string, unitCode: string, activities: { key: string; type: string; badgeNos: string[]; startedAt: string; endedAt: string }[]) {
  const res = await request(env.app)
    .put(`/api/cases/${encodeURIComponent(caseNo)}`)
    .set('Authorization', `Bearer ${integration}`)
    .send({ kind: 'penalty', status: 'open', unitCode, activities });
  expect(res.status).toBe(201);
}

/** A recording straight into the catalog: badge, recorder, span and docking time (bureau-local times). */
async function footage(badgeNo: string, serial: string, startedAt: string, endedAt: string, dockedAt: string) {
  const id = randomUUID();
  await env.ctx.pool.query(
    `INSERT INTO recordings (id, sha256, size, filename, object_key, container, recorder_id, officer_id, started_at, ended_at, duration_s,
                             docked_at, uploaded_by, upload_method, status)
     SELECT $1::uuid, $2, 1000, $3, 'originals/' || left($1::text, 2) || '/' || $1::text, 'mp4', rc.id, o.id, $5::timestamptz, $6::timestamptz,
            extract(epoch FROM $6::timestamptz - $5::timestamptz), $7::timestamptz, u.id, 'multipart', 'ready'
       FROM recorders rc, officers o, users u WHERE rc.serial = $4 AND o.badge_no = $8 AND u.username = 'dock-01'`,
    [id, randomBytes(32).toString('hex'), `${serial}_${badgeNo}_${startedAt.replace(/\D/g, '').slice(0, 14)}_0001.MP4`, serial, `${startedAt}+08:00`, `${endedAt}+08:00`, `${dockedAt}+08:00`, badgeNo],
  );
}

beforeAll(async () => {
  env = await startTestEnv();
  tokens = await seedBureau(env);
  integration = await userWithToken(env, 'penalty-system', 'integration');
  reviewerZF2 = await userWithToken(env, 'rev-zf2', 'reviewer', { unitCode: 'ZF2' });
  supervisorAll = await userWithToken(env, 'sup-all', 'supervisor');

  const both = ['100001', '100002'];
  await putCase('某交执罚〔2026〕1号', 'ZF1', [
    { key: 'A1', type: 'inspection', badgeNos: both, startedAt: '2026-03-02 09:00:00', endedAt: '2026-03-02 09:30:00' },
    { key: 'A2', type: 'questioning', badgeNos: both, startedAt: '2026-03-10 14:00:00', endedAt: '2026-03-10 14:30:00' },
    { key: 'A3', type: 'other', badgeNos: both, startedAt: '2026-03-15 10:00:00', endedAt: '2026-03-15 10:20:00' },
  ]);
  await putCase('某交执罚〔2026〕2号', 'ZF1', [{ key: 'A1', type: 'service', badgeNos: ['100001'], startedAt: '2026-02-20 10:00:00', endedAt: '2026-02-20 10:10:00' }]);
  await putCase('某交执罚〔2026〕3号', 'ZF2', [
    { key: 'A1', type: 'seizure', badgeNos: ['200001', '100001'], startedAt: '2026-03-05 10:00:00', endedAt: '2026-03-05 11:00:00' },
    { key: 'A2', type: 'inspection', badgeNos: ['200001'], startedAt: '2026-03-31 23:30:00', endedAt: '2026-03-31 23:50:00' },
    { key: 'A3', type: 'inspection', badgeNos: ['200001'], startedAt: '2026-04-01 00:10:00', endedAt: '2026-04-01 00:30:00' },
  ]);
  await footage('100001', 'DSJ0001', '2026-03-02 08:58:00', '2026-03-02 09:31:00', '2026-03-02 18:00:00');
  await footage('100001', 'DSJ0001', '2026-03-10 14:00:00', '2026-03-10 14:10:00', '2026-03-12 10:00:00');
  await footage('100002', 'DSJ0003', '2026-03-10 14:00:00', '2026-03-10 14:31:00', '2026-03-10 16:00:00');
  await footage('100001', 'DSJ0001', '2026-02-20 09:59:00', '2026-02-20 10:11:00', '2026-02-20 17:00:00');
  await footage('200001', 'DSJ0003', '2026-03-05 10:00:00', '2026-03-05 10:50:00', '2026-03-05 18:00:00');
  await footage('200001', 'DSJ0003', '2026-03-31 23:29:00', '2026-03-31 23:51:00', '2026-04-01 08:00:00');
}, 60_000);
afterAll(() => env.close());

const get = (token: string, query = 'from=2026-02&to=2026-03') => request(env.app).get(`/api/compliance?${query}`).set('Authorization', `Bearer ${token}`);

/** A figure: passes, fails, rate. */
const f = (pass: number, fail: number) => ({ pass, fail, rate: pass + fail ? pass / (pass + fail) : null });
const figs = (recording: [number, number], onTime: [number, number], fullProcess: [number, number], ownRecorder: [number, number]) => ({
  recording: f(...recording),
  onTime: f(...onTime),
  fullProcess: f(...fullProcess),
  ownRecorder: f(...ownRecorder),
});
const none = figs([0, 0], [0, 0], [0, 0], [0, 0]);

const UNITS = [
  { unitCode: 'ZF1', month: '2026-02', ...figs([1, 0], [1, 0], [1, 0], [1, 0]) },
  { unitCode: 'ZF1', month: '2026-03', ...figs([3, 1], [2, 1], [2, 1], [2, 1]) },
  { unitCode: 'ZF2', month: '2026-02', ...none },
  { unitCode: 'ZF2', month: '2026-03', ...figs([2, 1], [2, 0], [1, 1], [2, 0]) },
];
const UNIT_TOTALS = [
  { unitCode: 'ZF1', ...figs([4, 1], [3, 1], [3, 1], [3, 1]) },
  { unitCode: 'ZF2', ...figs([2, 1], [2, 0], [1, 1], [2, 0]) },
];
const ZHANG = { badgeNo: '100001', name: '张三' };
const LI = { badgeNo: '100002', name: '李四' };
const WANG = { badgeNo: '200001', name: '王五' };
const OFFICERS = {
  'ZF1/100001': [
    { ...ZHANG, unitCode: 'ZF1', month: '2026-02', ...figs([1, 0], [1, 0], [1, 0], [1, 0]) },
    { ...ZHANG, unitCode: 'ZF1', month: '2026-03', ...figs([2, 0], [1, 1], [1, 1], [2, 0]) },
  ],
  'ZF1/100002': [
    { ...LI, unitCode: 'ZF1', month: '2026-02', ...none },
    { ...LI, unitCode: 'ZF1', month: '2026-03', ...figs([1, 1], [1, 0], [1, 0], [0, 1]) },
  ],
  'ZF2/100001': [
    { ...ZHANG, unitCode: 'ZF2', month: '2026-02', ...none },
    { ...ZHANG, unitCode: 'ZF2', month: '2026-03', ...figs([0, 1], [0, 0], [0, 0], [0, 0]) },
  ],
  'ZF2/200001': [
    { ...WANG, unitCode: 'ZF2', month: '2026-02', ...none },
    { ...WANG, unitCode: 'ZF2', month: '2026-03', ...figs([2, 0], [2, 0], [1, 1], [2, 0]) },
  ],
};
const OFFICER_TOTALS = {
  'ZF1/100001': { ...ZHANG, unitCode: 'ZF1', ...figs([3, 0], [2, 1], [2, 1], [3, 0]) },
  'ZF1/100002': { ...LI, unitCode: 'ZF1', ...figs([1, 1], [1, 0], [1, 0], [0, 1]) },
  'ZF2/100001': { ...ZHANG, unitCode: 'ZF2', ...figs([0, 1], [0, 0], [0, 0], [0, 0]) },
  'ZF2/200001': { ...WANG, unitCode: 'ZF2', ...figs([2, 0], [2, 0], [1, 1], [2, 0]) },
};
type Row = keyof typeof OFFICERS;
const officers = (...rows: Row[]) => ({ officers: rows.flatMap((r) => OFFICERS[r]), officerTotals: rows.map((r) => OFFICER_TOTALS[r]) });

test('an admin sees every unit and officer, per month, over every activity of the period (months in the bureau zone)', async () => {
  const res = await get(tokens.admin);
  expect(res.status).toBe(200);
  expect(res.body).toEqual({
    from: '2026-02',
    to: '2026-03',
    regulationVersion: env.config.regulation.version,
    units: UNITS,
    unitTotals: UNIT_TOTALS,
    ...officers('ZF1/100001', 'ZF1/100002', 'ZF2/100001', 'ZF2/200001'),
  });
  // A supervisor without a unit sees the whole bureau too.
  expect((await get(supervisorAll)).body).toEqual(res.body);
});

test('filters: unitCode keeps one unit; badgeNo keeps one officer\'s rows (the unit figures stay whole)', async () => {
  const unit = await get(tokens.admin, 'from=2026-02&to=2026-03&unitCode=ZF2');
  expect(unit.body).toMatchObject({ units: UNITS.slice(2), unitTotals: UNIT_TOTALS.slice(1), ...officers('ZF2/100001', 'ZF2/200001') });
  const badge = await get(tokens.admin, 'from=2026-02&to=2026-03&badgeNo=100001');
  expect(badge.body).toMatchObject({ units: UNITS, unitTotals: UNIT_TOTALS, ...officers('ZF1/100001', 'ZF2/100001') });
  const march = await get(tokens.admin, 'from=2026-03&to=2026-03&unitCode=ZF1');
  expect(march.body).toMatchObject({ units: [UNITS[1]], unitTotals: [{ unitCode: 'ZF1', ...figs([3, 1], [2, 1], [2, 1], [2, 1]) }] });
});

test('a supervisor or reviewer with a unit sees that unit only; another unit is 403', async () => {
  const zf1 = await get(tokens.supervisorZF1);
  expect(zf1.status).toBe(200);
  expect(zf1.body).toMatchObject({ units: UNITS.slice(0, 2), unitTotals: UNIT_TOTALS.slice(0, 1), ...officers('ZF1/100001', 'ZF1/100002') });
  const zf2 = await get(reviewerZF2);
  expect(zf2.body).toMatchObject({ units: UNITS.slice(2), unitTotals: UNIT_TOTALS.slice(1), ...officers('ZF2/100001', 'ZF2/200001') });
  const other = await get(tokens.supervisorZF1, 'from=2026-02&to=2026-03&unitCode=ZF2');
  expect(other.status).toBe(403);
  expect(other.body.field).toBe('unitCode');
  expect((await get(tokens.supervisorZF1, 'from=2026-02&to=2026-03&unitCode=ZF1')).body.units).toEqual(UNITS.slice(0, 2));
});

test('an officer sees only their own rows, in every unit they worked for, and no unit rows; another badge is 403', async () => {
  const own = await get(tokens.officer);
  expect(own.status).toBe(200);
  expect(own.body).toEqual({ from: '2026-02', to: '2026-03', regulationVersion: env.config.regulation.version, units: [], unitTotals: [], ...officers('ZF1/100001', 'ZF2/100001') });
  expect((await get(tokens.officer, 'from=2026-02&to=2026-03&badgeNo=100001')).body).toEqual(own.body);
  const other = await get(tokens.officer, 'from=2026-02&to=2026-03&badgeNo=100002');
  expect(other.status).toBe(403);
  expect(other.body.field).toBe('badgeNo');
  expect((await get(tokens.officer, 'from=2026-02&to=2026-03&unitCode=ZF2')).body).toMatchObject({ units: [], ...officers('ZF2/100001') });
});

test('stations and the case system have no compliance figures; no credentials is 401', async () => {
  expect((await get(tokens.station)).status).toBe(403);
  expect((await get(integration)).status).toBe(403);
  expect((await request(env.app).get('/api/compliance')).status).toBe(401);
});

test('the default period is the last 12 months, the current one included', async () => {
  const res = await get(tokens.admin, '');
  expect(res.status).toBe(200);
  const now = DateTime.now().setZone('Asia/Shanghai').startOf('month');
  expect(res.body).toMatchObject({ from: now.minus({ months: 11 }).toFormat('yyyy-MM'), to: now.toFormat('yyyy-MM') });
  expect((await get(tokens.admin, `to=2026-03`)).body).toMatchObject({ from: '2025-04', to: '2026-03', unitTotals: UNIT_TOTALS });
});

test.each([
  ['from=2026-13&to=2026-03', 'from'],
  ['from=2026-02&to=March', 'to'],
  ['from=2026-2&to=2026-03', 'from'],
  ['from=2026-04&to=2026-03', 'to'],
  ['from=2023-01&to=2026-01', 'to'],
  ['from=2026-02&to=2026-03&unitCode=a%20b', 'unitCode'],
  ['from=2026-02&to=2026-03&month=2026-02', 'month'],
])('a bad query is 400 naming the field (%s)', async (query, field) => {
  const res = await get(tokens.admin, query);
  expect(res.status).toBe(400);
  expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(res.body.field).toBe(field);
});

test('an unknown unit or badge is 422 naming the field, not an empty report', async () => {
  for (const [query, field] of [['unitCode=ZF9', 'unitCode'], ['badgeNo=999999', 'badgeNo']] as const) {
    const res = await get(tokens.admin, `from=2026-02&to=2026-03&${query}`);
    expect([res.status, res.body.field]).toEqual([422, field]);
  }
});

test('36 months is the longest period', async () => {
  const res = await get(tokens.admin, 'from=2023-04&to=2026-03');
  expect(res.status).toBe(200);
  expect(res.body.units).toHaveLength(2 * 36);
  expect(res.body.unitTotals).toEqual(UNIT_TOTALS);
});
