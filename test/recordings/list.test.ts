import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { makeClip } from '../fixtures/clips';
import { seedBureau } from '../support/bureau';
import { startTestEnv, userWithToken, type TestEnv } from '../support/harness';

let env: TestEnv;
let tokens: Awaited<ReturnType<typeof seedBureau>>;
let dir: string;
const ids: Record<string, string> = {};

// No worker runs here: the list reads the catalog as docking leaves it (status `received`).
beforeAll(async () => {
  env = await startTestEnv();
  tokens = await seedBureau(env);
  dir = await mkdtemp(path.join(tmpdir(), 'bce-list-'));
  for (const name of [
    'DSJ0001_20260301_080000_0001.MP4', // 100001, ZF1
    'DSJ0001_20260301_083000_0002.MP4',
    'DSJ0002_20260302_090000_0001.MP4', // 100002, ZF1
    'DSJ0003_20260302_100000_0001.MP4', // 200001, ZF2
    'DSJ0001_20260303_230000_0003.MP4', // 23:00 bureau time on 3 March = 15:00 UTC
  ]) {
    const clip = await makeClip(dir, name);
    const res = await request(env.app).post('/api/recordings').set('Authorization', `Bearer ${tokens.station}`).attach('file', clip);
    expect(res.status).toBe(201);
    ids[name.slice(0, 23)] = res.body.recordings[0].id;
  }
  const integration = await userWithToken(env, 'penalty-system', 'integration');
  await request(env.app)
    .put(`/api/cases/${encodeURIComponent('某交执罚〔2026〕3号')}`)
    .set('Authorization', `Bearer ${integration}`)
    .send({ kind: 'penalty', status: 'open', unitCode: 'ZF1', activities: [] })
    .expect(201);
  await request(env.app)
    .post(`/api/cases/${encodeURIComponent('某交执罚〔2026〕3号')}/links`)
    .set('Authorization', `Bearer ${tokens.admin}`)
    .send({ recordingId: ids['DSJ0002_20260302_090000'], reason: '现场录像' })
    .expect(201);
}, 60_000);
afterAll(async () => {
  await env.close();
  await rm(dir, { recursive: true, force: true });
});

const list = (query: string, token = tokens.admin) => request(env.app).get(`/api/recordings?${query}`).set('Authorization', `Bearer ${token}`);
const names = (body: { items: { id: string }[] }) => body.items.map((r) => Object.keys(ids).find((k) => ids[k] === r.id));

test('newest first, filtered by officer, recorder, unit, case, status and period; dates are bureau days', async () => {
  const all = await list('');
  expect(all.status).toBe(200);
  expect(names(all.body)).toEqual([
    'DSJ0001_20260303_230000', 'DSJ0003_20260302_100000', 'DSJ0002_20260302_090000', 'DSJ0001_20260301_083000', 'DSJ0001_20260301_080000',
  ]);
  expect(all.body.items[0]).toMatchObject({ badgeNo: '100001', recorderSerial: 'DSJ0001', unitCode: 'ZF1', status: 'received', retainUntil: expect.any(String) });
  expect(names((await list('badgeNo=100001')).body)).toHaveLength(3);
  expect(names((await list('recorderSerial=DSJ0003')).body)).toEqual(['DSJ0003_20260302_100000']);
  expect(names((await list('unitCode=ZF2')).body)).toEqual(['DSJ0003_20260302_100000']);
  expect(names((await list(`caseNo=${encodeURIComponent('某交执罚〔2026〕3号')}`)).body)).toEqual(['DSJ0002_20260302_090000']);
  expect(names((await list('status=ready')).body)).toEqual([]);
  // `to` is a whole bureau day: 3 March includes 23:00 bureau time (15:00 UTC).
  expect(names((await list('from=2026-03-02&to=2026-03-03')).body)).toEqual(['DSJ0001_20260303_230000', 'DSJ0003_20260302_100000', 'DSJ0002_20260302_090000']);
  expect(names((await list('from=2026-03-03T16:00:00Z')).body)).toEqual([]);
});

test('pages with a cursor, no row twice and none missed', async () => {
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const res: request.Response = await list(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeLessThanOrEqual(2);
    seen.push(...res.body.items.map((r: { id: string }) => r.id));
    cursor = res.body.nextCursor;
  } while (cursor);
  expect(seen).toHaveLength(5);
  expect(new Set(seen).size).toBe(5);
});

test('each caller sees their scope: a unit supervisor their unit, an officer their own footage', async () => {
  expect(names((await list('', tokens.supervisorZF2)).body)).toEqual(['DSJ0003_20260302_100000']);
  expect(names((await list('', tokens.supervisorZF1)).body)).toHaveLength(4);
  // Asking for another unit's footage finds none of it.
  expect(names((await list('unitCode=ZF2', tokens.supervisorZF1)).body)).toEqual([]);
  const own = names((await list('', tokens.officer)).body);
  expect(own).toHaveLength(3);
  expect(own.every((n) => n!.startsWith('DSJ0001'))).toBe(true);
  expect((await list('', tokens.station)).status).toBe(403);
});

test('bad filters are refused with the field named', async () => {
  for (const [query, field] of [
    ['status=lost', 'status'],
    ['from=yesterday', 'from'],
    ['limit=0', 'limit'],
    ['limit=501', 'limit'],
    ['cursor=bm9wZQ', 'cursor'],
    ['badgeNo=' + encodeURIComponent('a b'), 'badgeNo'],
    ['colour=red', undefined],
  ] as const) {
    const res = await list(query);
    expect(res.status).toBe(400);
    if (field) expect(res.body.field).toBe(field);
  }
});
