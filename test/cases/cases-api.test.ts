import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { makeClip } from '../fixtures/clips';
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

test('linking by hand needs a reason, is on the custody record, shows on the case timeline; unlinking is remembered', async () => {
  await put(body);
  const dir = await mkdtemp(path.join(tmpdir(), 'bce-cases-'));
  try {
    const clip = await makeClip(dir, 'DSJ0001_20230504_091000_0001.MP4');
    const up = await request(env.app).post('/api/recordings').set('Authorization', `Bearer ${tokens.station}`).attach('file', clip);
    expect(up.status).toBe(201);
    const recordingId = up.body.recordings[0].id as string;
    const link = (b: object, token = tokens.supervisorZF1) => request(env.app).post(`${url}/links`).set('Authorization', `Bearer ${token}`).send(b);
    const unlink = (q: string, token = tokens.supervisorZF1) => request(env.app).delete(`${url}/links/${recordingId}${q}`).set('Authorization', `Bearer ${token}`);

    const noReason = await link({ recordingId });
    expect(noReason.status).toBe(400);
    expect(noReason.body.field).toBe('reason');
    expect((await link({ recordingId, reason: '现场检查录像' }, reviewerZF2)).status).toBe(403);
    expect((await link({ recordingId: '00000000-0000-4000-8000-000000000000', reason: 'x' })).status).toBe(422);
    expect((await link({ recordingId, reason: '现场检查录像' })).status).toBe(201);
    expect((await link({ recordingId, reason: '现场检查录像' })).status).toBe(200);

    const seen = await request(env.app).get(url).set('Authorization', `Bearer ${tokens.supervisorZF1}`);
    expect(seen.body.recordings).toEqual([
      { id: recordingId, badgeNo: '100001', startedAt: '2023-05-04T01:10:00.000Z', endedAt: null, status: 'received', link: { source: 'manual', reason: '现场检查录像', by: 'sup-zf1', at: expect.any(String) } },
    ]);

    expect((await unlink('')).status).toBe(400);
    expect((await unlink('?reason=' + encodeURIComponent('录错案件'))).status).toBe(204);
    expect((await unlink('?reason=again')).status).toBe(404);
    expect((await request(env.app).get(url).set('Authorization', `Bearer ${tokens.admin}`)).body.recordings).toEqual([]);
    const remembered = await env.ctx.pool.query('SELECT reason, unlinked_by FROM case_unlinks WHERE recording_id = $1', [recordingId]);
    expect(remembered.rows).toEqual([{ reason: '录错案件', unlinked_by: 'sup-zf1' }]);
    const events = await env.ctx.pool.query(`SELECT action, actor, detail FROM custody_events WHERE target = $1 AND action IN ('link', 'unlink') ORDER BY seq`, [`recording:${recordingId}`]);
    expect(events.rows).toEqual([
      { action: 'link', actor: 'sup-zf1', detail: { caseNo: CASE, reason: '现场检查录像', source: 'manual' } },
      { action: 'unlink', actor: 'sup-zf1', detail: { caseNo: CASE, reason: '录错案件', was: 'manual' } },
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the CSV import takes one activity a row, imports the good rows, reports each bad one by line, and changes nothing twice', async () => {
  const csv = [
    'case_no,case_kind,case_status,unit_code,activity_key,activity_type,badge_nos,started_at,ended_at,location',
    'IMP-1,penalty,open,ZF1,A1,inspection,100001;100002,2023-06-01 09:00:00,2023-06-01 09:30:00,"G205, 治超站"',
    'IMP-1,penalty,open,ZF1,A2,questioning,100001;100002,2023-06-02 10:00:00,2023-06-02 10:20:00,',
    'IMP-1,penalty,closed,ZF1,A3,service,100001;100002,2023-06-03 10:00:00,2023-06-03 10:20:00,', // status disagrees
    'IMP-2,other,open,ZF2,B1,hearing,200001;999999,2023-06-04 10:00:00,2023-06-04 11:00:00,', // unknown officer
    'IMP-3,inspection,open,ZF2,C1,sampling,200001,2023-06-05 10:00:00,later,', // bad time
    'IMP-4,inspection,open,ZF2,D1,sampling,200001,2023-06-05 10:00:00,2023-06-05 10:05:00,',
    'IMP-1,penalty,open,ZF1,A1,inspection,100001,2023-06-01 09:00:00,2023-06-01 09:30:00,', // A1 twice
  ].join('\r\n');
  const imp = () => request(env.app).post('/api/cases/import').set('Authorization', `Bearer ${integration}`).set('Content-Type', 'text/csv').send(Buffer.from(csv));
  const res = await imp();
  expect(res.status).toBe(200);
  expect(res.body).toEqual({
    created: 2,
    updated: 0,
    errors: [
      { line: 4, code: 'conflicting_case', detail: expect.stringContaining('line 2') },
      { line: 5, code: 'unknown_officer', detail: expect.stringContaining('badge_nos') },
      { line: 6, code: 'invalid_ended_at', detail: expect.any(String) },
      { line: 8, code: 'duplicate_activity', detail: expect.stringContaining('line 2') },
    ],
  });
  const one = await request(env.app).get('/api/cases/IMP-1').set('Authorization', `Bearer ${tokens.admin}`);
  expect(one.body.activities.map((a: { key: string; location: string | null }) => [a.key, a.location])).toEqual([['A1', 'G205, 治超站'], ['A2', null]]);
  expect((await request(env.app).get('/api/cases/IMP-2').set('Authorization', `Bearer ${tokens.admin}`)).status).toBe(404);
  const again = await imp();
  expect(again.body).toMatchObject({ created: 0, updated: 2 });
  expect((await env.ctx.pool.query(`SELECT count(*)::int AS n FROM case_activities a JOIN cases c ON c.id = a.case_id WHERE c.case_no LIKE 'IMP-%'`)).rows[0].n).toBe(3);
  const noCsv = await request(env.app).post('/api/cases/import').set('Authorization', `Bearer ${integration}`).set('Content-Type', 'text/csv').send(Buffer.from('case_no,kind\nX,penalty'));
  expect(noCsv.status).toBe(400);
  expect(noCsv.body.code).toBe('invalid_header');
});
