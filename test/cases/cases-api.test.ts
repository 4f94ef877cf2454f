import request from 'supertest';
import { seedBureau } from '../support/bureau';
import { startTestEnv, userWithToken, type TestEnv } from '../support/harness';

let env: TestEnv;
let tokens: Awaited<ReturnType<typeof seedBureau>>;
let integration: string;
let reviewerZF2: string;

beforeAll(async () => {
  env = await startTestEnv();
  tokens = await seedBureau(env);
  integration = await userWithToken(env, 'penalty-system', 'integration');
  reviewerZF2 = await userWithToken(env, 'rev-zf2', 'reviewer', { unitCode: 'ZF2' });
});
afterAll(() => env.close());

const CASE = '某交执罚〔2023〕123号';
const url = `/api/cases/${encodeURIComponent(CASE)}`;
const body = {
  title: '超限运输',
  kind: 'penalty',
  status: 'open',
  unitCode: 'ZF1',
  activities: [
    { key: 'A1', type: 'inspection', badgeNos: ['100001', '100002'], startedAt: '2023-05-04 09:00:00', endedAt: '2023-05-04T09:40:00+08:00', location: 'G205 治超站' },
    { key: 'A2', type: 'questioning', badgeNos: ['100002', '100001'], startedAt: '2023-05-06T14:00:00+08:00', endedAt: '2023-05-06T14:30:00+08:00' },
  ],
};
const put = (b: unknown, token = integration) => request(env.app).put(url).set('Authorization', `Bearer ${token}`).send(b as object);

test('the penalty-case system puts a case: 201, then 200 for the same body, the same case either way', async () => {
  const first = await put(body);
  expect(first.status).toBe(201);
  expect(first.body).toMatchObject({
    caseNo: CASE,
    kind: 'penalty',
    status: 'open',
    unitCode: 'ZF1',
    warnings: [],
    activities: [
      { key: 'A1', type: 'inspection', badgeNos: ['100001', '100002'], startedAt: '2023-05-04T01:00:00.000Z', endedAt: '2023-05-04T01:40:00.000Z', location: 'G205 治超站' },
      { key: 'A2', type: 'questioning', badgeNos: ['100001', '100002'], location: null },
    ],
    recordings: [],
  });
  const again = await put(body);
  expect(again.status).toBe(200);
  const { updatedAt: _a, ...a } = first.body;
  const { updatedAt: _b, ...b } = again.body;
  expect(b).toEqual(a);
  const counts = await env.ctx.pool.query('SELECT (SELECT count(*)::int FROM cases) AS c, (SELECT count(*)::int FROM case_activities) AS a, (SELECT count(*)::int FROM activity_officers) AS o');
  expect(counts.rows[0]).toEqual({ c: 1, a: 2, o: 4 });
});

test('the body is the whole case: a missing activity is removed, officers replaced, closing is recorded; one officer is a warning', async () => {
  const res = await put({ ...body, status: 'closed', activities: [{ ...body.activities[0], badgeNos: ['100001'] }] });
  expect(res.status).toBe(200);
  expect(res.body.activities).toHaveLength(1);
  expect(res.body.activities[0].badgeNos).toEqual(['100001']);
  expect(res.body.closedAt).toEqual(expect.any(String));
  expect(res.body.warnings).toEqual([{ field: 'activities.0.badgeNos', code: 'single_officer', detail: expect.stringContaining('two') }]);
  const reopened = await put(body);
  expect(reopened.body).toMatchObject({ status: 'open', closedAt: null });
  expect(reopened.body.activities).toHaveLength(2);
});

test.each([
  [{ ...body, kind: 'murder' }, 400, 'kind'],
  [{ ...body, unitCode: 'ZF9' }, 422, 'unitCode'],
  [{ ...body, activities: [{ ...body.activities[0], badgeNos: ['100001', '999999'] }] }, 422, 'activities.0.badgeNos'],
  [{ ...body, activities: [body.activities[0], body.activities[0]] }, 422, 'activities.1.key'],
  [{ ...body, activities: [{ ...body.activities[0], endedAt: '2023-05-04T08:00:00+08:00' }] }, 422, 'activities.0.endedAt'],
  [{ ...body, activities: [{ ...body.activities[0], startedAt: 'yesterday' }] }, 400, 'activities.0.startedAt'],
  [{ ...body, extra: 1 }, 400, 'extra'],
])('a bad case is refused with the field at fault and changes nothing (%#)', async (bad, status, field) => {
  const before = await env.ctx.pool.query('SELECT count(*)::int AS n FROM case_activities');
  const res = await put(bad);
  expect(res.status).toBe(status);
  expect(res.body.field).toBe(field);
  expect((await env.ctx.pool.query('SELECT count(*)::int AS n FROM case_activities')).rows[0].n).toBe(before.rows[0].n);
});

test('reading a case: its unit, the bureau and the case system; not another unit, and not officers', async () => {
  await put(body);
  const get = (token: string, u = url) => request(env.app).get(u).set('Authorization', `Bearer ${token}`);
  expect((await get(tokens.supervisorZF1)).status).toBe(200);
  expect((await get(tokens.admin)).status).toBe(200);
  expect((await get(integration)).status).toBe(200);
  expect((await get(reviewerZF2)).status).toBe(403);
  expect((await get(tokens.officer)).status).toBe(403);
  expect((await get(tokens.admin, '/api/cases/NOPE-1')).status).toBe(404);
  expect((await put(body, tokens.supervisorZF1)).status).toBe(403);
});
