import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { seedBureau } from '../support/bureau';
import { startTestEnv, userWithToken, type TestEnv } from '../support/harness';

// The lists the web UI reads: cases, spot checks, bulletins, dockings, legal holds, and what the recordings
// list and spot-check items gained. No worker runs: links are only those made here.

let env: TestEnv;
let tokens: Awaited<ReturnType<typeof seedBureau>>;
let integration: string;
let revZF2: string;
const rec: Record<string, string> = {};

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const get = (path: string, token = tokens.admin) => request(env.app).get(path).set(auth(token));

async function putCase(caseNo: string, unitCode: string, title: string | undefined, activities: { key: string; type: string; badgeNos: string[]; startedAt: string; endedAt: string }[]) {
  const res = await request(env.app).put(`/api/cases/${encodeURIComponent(caseNo)}`).set(auth(integration)).send({ title, kind: 'penalty', status: 'open', unitCode, activities });
  if (res.status !== 201) throw new Error(`case ${caseNo}: ${res.status} ${JSON.stringify(res.body)}`);
}

/** A recording straight in the catalog, as docking and the pipeline would leave it. */
async function recording(
  name: string,
  r: { badgeNo: string; serial: string; startedAt: string; endedAt: string; dockedAt: string; by: string; status?: string; size?: number; playable?: boolean; linkTo?: string },
) {
  const id = randomUUID();
  await env.ctx.pool.query(
    `INSERT INTO recordings (id, sha256, size, filename, object_key, container, recorder_id, officer_id, started_at, ended_at,
        docked_at, uploaded_by, upload_method, status, progress, proxy, thumbnails)
     VALUES ($1, $2, $3, $4, $5, 'mp4', (SELECT id FROM recorders WHERE serial = $6), (SELECT id FROM officers WHERE badge_no = $7),
        $8, $9, $10, (SELECT id FROM users WHERE username = $11), 'multipart', $12, $13, $14, $15)`,
    [
      id, randomBytes(32).toString('hex'), r.size ?? 1000, `${name}.MP4`, `test/${id}`, r.serial, r.badgeNo, r.startedAt, r.endedAt, r.dockedAt, r.by,
      r.status ?? 'received', r.playable ? 1 : null,
      r.playable ? { kind: 'original', reason: 'plays as it is' } : null,
      r.playable ? { poster: { key: `thumbs/${id}/poster.jpg`, size: 10 }, sprite: null } : null,
    ],
  );
  if (r.linkTo) {
    await env.ctx.pool.query(`INSERT INTO case_links (case_id, recording_id, source, linked_by) VALUES ((SELECT id FROM cases WHERE case_no = $1), $2, 'auto', 'test')`, [r.linkTo, id]);
  }
  rec[name] = id;
}

/** Every page of a list, `limit` rows at a time: the pages' items, each page's size. */
async function allPages(path: string, limit: number, token = tokens.admin) {
  const items: Record<string, unknown>[] = [];
  const sizes: number[] = [];
  let cursor: string | null = null;
  do {
    const res: request.Response = await get(`${path}${path.includes('?') ? '&' : '?'}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, token);
    expect(res.status).toBe(200);
    items.push(...res.body.items);
    sizes.push(res.body.items.length);
    cursor = res.body.nextCursor;
  } while (cursor);
  return { items, sizes };
}

const checks: Record<'A' | 'B' | 'C', string> = { A: '', B: '', C: '' };
const bulletins: Record<'b1' | 'b2' | 'b3', string> = { b1: '', b2: '', b3: '' };

beforeAll(async () => {
  env = await startTestEnv();
  tokens = await seedBureau(env);
  integration = await userWithToken(env, 'penalty-system', 'integration');
  revZF2 = await userWithToken(env, 'rev-zf2', 'reviewer', { unitCode: 'ZF2' });

  const pair = ['100001', '100002'];
  await putCase('ZF1-2026-001', 'ZF1', '超限运输', [
    { key: 'A1', type: 'inspection', badgeNos: pair, startedAt: '2026-03-02T09:00:00+08:00', endedAt: '2026-03-02T09:30:00+08:00' },
  ]);
  await putCase('ZF1-2026-002', 'ZF1', '违规停车 Parking', [
    { key: 'A1', type: 'other', badgeNos: ['100002'], startedAt: '2026-03-05T10:00:00+08:00', endedAt: '2026-03-05T10:20:00+08:00' },
    { key: 'A2', type: 'other', badgeNos: pair, startedAt: '2026-03-06T10:00:00+08:00', endedAt: '2026-03-06T10:20:00+08:00' },
  ]);
  await putCase('ZF1-2026-003', 'ZF1', undefined, []);
  await putCase('ZF2-2026-001', 'ZF2', '无证经营', [
    { key: 'C1', type: 'other', badgeNos: ['200001'], startedAt: '2026-03-10T10:00:00+08:00', endedAt: '2026-03-10T10:20:00+08:00' },
    // Its last minute on 31 March, bureau time; it ends on 1 April.
    { key: 'C2', type: 'other', badgeNos: ['200001'], startedAt: '2026-03-31T23:59:00+08:00', endedAt: '2026-04-01T00:10:00+08:00' },
  ]);
  await putCase('zf2-2026-002', 'ZF2', undefined, [
    { key: 'D1', type: 'other', badgeNos: ['200001'], startedAt: '2026-04-02T10:00:00+08:00', endedAt: '2026-04-02T10:20:00+08:00' },
  ]);

  // One docking of two officers' recorders at dock-01; one of ZF2's; two at the same time from different accounts.
  const dock = (day: string, time: string) => `2026-03-${day}T${time}:00+08:00`;
  await recording('r1', { badgeNo: '100001', serial: 'DSJ0001', startedAt: dock('02', '08:59'), endedAt: dock('02', '09:15'), dockedAt: dock('02', '12:00'), by: 'dock-01', linkTo: 'ZF1-2026-001', size: 100 });
  await recording('r2', { badgeNo: '100001', serial: 'DSJ0001', startedAt: dock('02', '09:15'), endedAt: dock('02', '09:31'), dockedAt: dock('02', '12:00'), by: 'dock-01', linkTo: 'ZF1-2026-001', size: 200, status: 'processing' });
  await recording('r3', { badgeNo: '100002', serial: 'DSJ0002', startedAt: dock('02', '08:58'), endedAt: dock('02', '09:32'), dockedAt: dock('02', '12:00'), by: 'dock-01', size: 400, status: 'ready' });
  await recording('r4', { badgeNo: '200001', serial: 'DSJ0003', startedAt: dock('12', '10:00'), endedAt: dock('12', '10:20'), dockedAt: dock('12', '18:00'), by: 'dock-01' });
  await recording('r5', { badgeNo: '100001', serial: 'DSJ0001', startedAt: dock('20', '08:00'), endedAt: dock('20', '08:30'), dockedAt: dock('20', '20:00'), by: 'zhangsan', status: 'ready', playable: true, linkTo: 'ZF2-2026-001' });
  await recording('r6', { badgeNo: '100002', serial: 'DSJ0002', startedAt: dock('20', '08:00'), endedAt: dock('20', '08:30'), dockedAt: dock('20', '20:00'), by: 'dock-01', status: 'unplayable' });

  // A: ZF1's March, open (A1 has footage to watch), every item dealt to rev-zf2. B: ZF2's March, opened by its
  // supervisor, complete at once (no footage), with a bulletin and its correction. C: the whole bureau's April.
  const open = async (body: object, token = tokens.admin) => {
    const res = await request(env.app).post('/api/spot-checks').set(auth(token)).send({ sample: { mode: 'perUnit', value: 100 }, seed: 'lists', ...body });
    if (res.status !== 201) throw new Error(`spot check: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { id: string; status: string };
  };
  const issue = async (id: string, body: object, token = tokens.admin) => {
    const res = await request(env.app).post(`/api/spot-checks/${id}/bulletins`).set(auth(token)).send(body);
    if (res.status !== 201) throw new Error(`bulletin: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.id as string;
  };
  const a = await open({ from: '2026-03-01', to: '2026-03-31', unitCodes: ['ZF1'], inspectors: ['rev-zf2'] });
  const b = await open({ from: '2026-03-01', to: '2026-03-31' }, tokens.supervisorZF2);
  const c = await open({ from: '2026-04-01', to: '2026-04-30' });
  expect([a.status, b.status, c.status]).toEqual(['open', 'complete', 'complete']);
  Object.assign(checks, { A: a.id, B: b.id, C: c.id });
  bulletins.b1 = await issue(b.id, { locale: 'en' }, tokens.supervisorZF2);
  bulletins.b2 = await issue(b.id, { replaces: bulletins.b1 }, tokens.supervisorZF2);
  bulletins.b3 = await issue(c.id, {});
}, 60_000);
afterAll(() => env.close());

const caseNos = (body: { items: { caseNo: string }[] }) => body.items.map((c) => c.caseNo);

describe('GET /api/cases', () => {
  test('newest first by the latest activity, cases without activities last, with their counts', async () => {
    const res = await get('/api/cases');
    expect(res.status).toBe(200);
    expect(caseNos(res.body)).toEqual(['zf2-2026-002', 'ZF2-2026-001', 'ZF1-2026-002', 'ZF1-2026-001', 'ZF1-2026-003']);
    expect(res.body.nextCursor).toBeNull();
    const byNo = Object.fromEntries(res.body.items.map((c: { caseNo: string }) => [c.caseNo, c]));
    expect(byNo['ZF2-2026-001']).toEqual({
      caseNo: 'ZF2-2026-001', title: '无证经营', kind: 'penalty', status: 'open', unitCode: 'ZF2', activityCount: 2, recordingCount: 1,
      firstActivityAt: '2026-03-10T02:00:00.000Z', lastActivityAt: '2026-03-31T15:59:00.000Z', hold: false,
    });
    expect(byNo['ZF1-2026-001']).toMatchObject({ activityCount: 1, recordingCount: 2 });
    expect(byNo['ZF1-2026-003']).toMatchObject({ title: null, activityCount: 0, recordingCount: 0, firstActivityAt: null, lastActivityAt: null });
  });

  test('q matches part of the case number or the title, in any case', async () => {
    expect(caseNos((await get('/api/cases?q=zf2-2026')).body)).toEqual(['zf2-2026-002', 'ZF2-2026-001']);
    expect(caseNos((await get(`/api/cases?q=${encodeURIComponent('停车')}`)).body)).toEqual(['ZF1-2026-002']);
    expect(caseNos((await get('/api/cases?q=PARKING')).body)).toEqual(['ZF1-2026-002']);
    expect(caseNos((await get('/api/cases?q=none-such')).body)).toEqual([]);
  });

  test('badgeNo: cases the officer took part in, or with their footage linked', async () => {
    // 100001 took part in ZF1-2026-001 and -002; their r5 is linked to ZF2-2026-001.
    expect(caseNos((await get('/api/cases?badgeNo=100001')).body)).toEqual(['ZF2-2026-001', 'ZF1-2026-002', 'ZF1-2026-001']);
    expect(caseNos((await get('/api/cases?badgeNo=200001')).body)).toEqual(['zf2-2026-002', 'ZF2-2026-001']);
    expect(caseNos((await get('/api/cases?badgeNo=999999')).body)).toEqual([]);
  });

  test('from/to are bureau days: cases with an activity overlapping them', async () => {
    expect(caseNos((await get('/api/cases?from=2026-03-31&to=2026-03-31')).body)).toEqual(['ZF2-2026-001']);
    // C2 runs into 1 April.
    expect(caseNos((await get('/api/cases?from=2026-04-01&to=2026-04-01')).body)).toEqual(['ZF2-2026-001']);
    expect(caseNos((await get('/api/cases?from=2026-03-03&to=2026-03-04')).body)).toEqual([]);
    expect(caseNos((await get('/api/cases?from=2026-04-02')).body)).toEqual(['zf2-2026-002']);
    expect(caseNos((await get('/api/cases?to=2026-03-02')).body)).toEqual(['ZF1-2026-001']);
    expect(caseNos((await get('/api/cases?from=2026-03-05&to=2026-03-10&badgeNo=200001')).body)).toEqual(['ZF2-2026-001']);
    // Overlap is half-open: an activity that ends exactly when the period starts is not in it.
    const at = (t: string) => encodeURIComponent(`2026-03-06T${t}+08:00`);
    expect(caseNos((await get(`/api/cases?from=${at('10:20:00')}&to=${at('23:00:00')}`)).body)).toEqual([]);
    expect(caseNos((await get(`/api/cases?from=${at('10:19:59')}&to=${at('23:00:00')}`)).body)).toEqual(['ZF1-2026-002']);
    // A period that ends before it starts holds nothing.
    expect(await get('/api/cases?from=2026-03-10&to=2026-03-01').then((r) => [r.status, r.body.items])).toEqual([200, []]);
  });

  test("each reader sees the cases the case page opens for them: a unit's, and those they inspect an item of", async () => {
    expect(caseNos((await get('/api/cases', tokens.supervisorZF2)).body)).toEqual(['zf2-2026-002', 'ZF2-2026-001']);
    expect(caseNos((await get('/api/cases', tokens.supervisorZF1)).body)).toEqual(['ZF1-2026-002', 'ZF1-2026-001', 'ZF1-2026-003']);
    // rev-zf2 inspects every item of check A: ZF1-2026-001 and -002, as GET /api/cases/{caseNo} allows.
    expect(caseNos((await get('/api/cases', revZF2)).body)).toEqual(['zf2-2026-002', 'ZF2-2026-001', 'ZF1-2026-002', 'ZF1-2026-001']);
    expect(caseNos((await get('/api/cases', integration)).body)).toHaveLength(5);
    expect((await get('/api/cases', tokens.officer)).status).toBe(403);
    expect((await get('/api/cases', tokens.station)).status).toBe(403);
  });

  test('pages with a cursor: no case twice, none missed, the same order', async () => {
    const { items, sizes } = await allPages('/api/cases', 2);
    expect(sizes).toEqual([2, 2, 1]);
    expect(items.map((c) => c.caseNo)).toEqual(['zf2-2026-002', 'ZF2-2026-001', 'ZF1-2026-002', 'ZF1-2026-001', 'ZF1-2026-003']);
    const filtered = await allPages('/api/cases?badgeNo=100001', 2);
    expect(filtered.items.map((c) => c.caseNo)).toEqual(['ZF2-2026-001', 'ZF1-2026-002', 'ZF1-2026-001']);
  });
});

describe('GET /api/spot-checks', () => {
  const ids = (body: { items: { id: string }[] }) => body.items.map((c) => Object.keys(checks).find((k) => checks[k as 'A'] === c.id));

  test('newest first, with the summary and the bulletins of each', async () => {
    const res = await get('/api/spot-checks');
    expect(res.status).toBe(200);
    expect(ids(res.body)).toEqual(['C', 'B', 'A']);
    const [c, b, a] = res.body.items;
    expect(a).toMatchObject({
      id: checks.A, from: '2026-03-01', to: '2026-03-31', unitCodes: ['ZF1'], sample: { mode: 'perUnit', value: 100 }, seed: 'lists',
      status: 'open', openedBy: 'root', openedAt: expect.any(String), closedAt: null, bulletins: [],
    });
    expect(a.summary).toMatchObject({ items: 3, pending: 1 });
    expect(b).toMatchObject({ unitCodes: ['ZF2'], status: 'complete', openedBy: 'sup-zf2', closedAt: expect.any(String), summary: { items: 2, pending: 0 } });
    expect(b.bulletins).toEqual([
      { id: bulletins.b1, number: expect.any(String), version: 1, locale: 'en', issuedAt: expect.any(String), current: false },
      { id: bulletins.b2, number: b.bulletins[0].number, version: 2, locale: 'en', issuedAt: expect.any(String), current: true },
    ]);
    expect(c).toMatchObject({ unitCodes: null, summary: { items: 1, passed: 1, failed: 0, pending: 0, passRate: 1 } });
    expect(c.bulletins.map((x: { id: string }) => x.id)).toEqual([bulletins.b3]);
  });

  test('status filters', async () => {
    expect(ids((await get('/api/spot-checks?status=open')).body)).toEqual(['A']);
    expect(ids((await get('/api/spot-checks?status=complete')).body)).toEqual(['C', 'B']);
    expect(ids((await get('/api/spot-checks?status=abandoned')).body)).toEqual([]);
  });

  test("a unit's reader sees the checks covering their unit or with items assigned to them, counting the items shown", async () => {
    const zf2 = await get('/api/spot-checks', tokens.supervisorZF2);
    expect(ids(zf2.body)).toEqual(['C', 'B']);
    const zf1 = await get('/api/spot-checks', tokens.supervisorZF1);
    expect(ids(zf1.body)).toEqual(['C', 'A']);
    // The whole bureau's check covers ZF1, which has no item in it; its bulletin is circulated to ZF1 too.
    expect(zf1.body.items[0].summary).toEqual({ items: 0, passed: 0, failed: 0, pending: 0, passRate: null });
    expect(zf1.body.items[0].bulletins.map((x: { id: string }) => x.id)).toEqual([bulletins.b3]);
    // rev-zf2 (ZF2) inspects A's items: A is theirs to read, as GET /api/spot-checks/{id} says.
    const inspector = await get('/api/spot-checks', revZF2);
    expect(ids(inspector.body)).toEqual(['C', 'B', 'A']);
    expect(inspector.body.items[2].summary).toMatchObject({ items: 3 });
    // Each summary is the one the check's own page shows that reader.
    for (const [list, token] of [[zf1, tokens.supervisorZF1], [zf2, tokens.supervisorZF2], [inspector, revZF2]] as const) {
      for (const item of list.body.items) expect((await get(`/api/spot-checks/${item.id}`, token)).body.summary).toEqual(item.summary);
    }
    expect((await get('/api/spot-checks', tokens.officer)).status).toBe(403);
  });

  test("a check's own page carries its bulletins, as the reader may read them", async () => {
    const b = (await get(`/api/spot-checks/${checks.B}`)).body;
    expect(b.bulletins.map((x: { id: string; current: boolean; spotCheckId: string }) => [x.id, x.current, x.spotCheckId])).toEqual([
      [bulletins.b1, false, checks.B],
      [bulletins.b2, true, checks.B],
    ]);
    expect((await get(`/api/spot-checks/${checks.C}`, tokens.supervisorZF1)).body.bulletins.map((x: { id: string }) => x.id)).toEqual([bulletins.b3]);
    // rev-zf2 reads A for the items assigned to them; A covers ZF1 only, and has no bulletin anyway.
    expect((await get(`/api/spot-checks/${checks.A}`, revZF2)).body.bulletins).toEqual([]);
  });

  test('pages with a cursor', async () => {
    const { items, sizes } = await allPages('/api/spot-checks', 2);
    expect(sizes).toEqual([2, 1]);
    expect(items.map((c) => c.id)).toEqual([checks.C, checks.B, checks.A]);
  });

  test("an item carries the footage its inspector watches, in the check and in a verdict's answer", async () => {
    const check = await get(`/api/spot-checks/${checks.A}`);
    const a1 = check.body.items.find((i: { caseNo: string; activityKey: string }) => i.caseNo === 'ZF1-2026-001' && i.activityKey === 'A1');
    expect([...a1.recordingIds].sort()).toEqual([rec.r1, rec.r2, rec.r3].sort());
    const other = check.body.items.find((i: { caseNo: string }) => i.caseNo === 'ZF1-2026-002');
    expect(other.recordingIds).toEqual([]);
    const judged = await request(env.app).patch(`/api/spot-checks/${checks.A}/items/${a1.id}`).set(auth(revZF2)).send({ note: 'watched' });
    expect(judged.status).toBe(200);
    expect([...judged.body.recordingIds].sort()).toEqual([rec.r1, rec.r2, rec.r3].sort());
  });
});

describe('GET /api/bulletins', () => {
  test('newest first, each with its check, issuer, what it replaces and whether it is current', async () => {
    const res = await get('/api/bulletins');
    expect(res.status).toBe(200);
    expect(res.body.items.map((b: { id: string }) => b.id)).toEqual([bulletins.b3, bulletins.b2, bulletins.b1]);
    const [b3, b2, b1] = res.body.items;
    expect(b1).toEqual({ id: bulletins.b1, number: expect.any(String), version: 1, spotCheckId: checks.B, locale: 'en', issuedAt: expect.any(String), issuedBy: 'sup-zf2', replaces: null, current: false });
    expect(b2).toMatchObject({ spotCheckId: checks.B, number: b1.number, version: 2, locale: 'en', issuedBy: 'sup-zf2', replaces: bulletins.b1, current: true });
    expect(b3).toMatchObject({ spotCheckId: checks.C, issuedBy: 'root', locale: 'zh-CN', replaces: null, current: true });
  });

  test("a unit's reader sees the bulletins of checks covering their unit: those they may open", async () => {
    const zf1 = await get('/api/bulletins', tokens.supervisorZF1);
    expect(zf1.body.items.map((b: { id: string }) => b.id)).toEqual([bulletins.b3]);
    expect((await get(`/api/bulletins/${bulletins.b1}.csv`, tokens.supervisorZF1)).status).toBe(403);
    const zf2 = await get('/api/bulletins', tokens.supervisorZF2);
    expect(zf2.body.items.map((b: { id: string }) => b.id)).toEqual([bulletins.b3, bulletins.b2, bulletins.b1]);
    expect((await get('/api/bulletins', tokens.officer)).status).toBe(403);
  });

  test('pages with a cursor', async () => {
    const { items, sizes } = await allPages('/api/bulletins', 2);
    expect(sizes).toEqual([2, 1]);
    expect(items.map((b) => b.id)).toEqual([bulletins.b3, bulletins.b2, bulletins.b1]);
  });
});

describe('GET /api/dockings', () => {
  const key = (d: { dockedAt: string; station: string }) => `${d.dockedAt} ${d.station}`;
  const MAR20 = '2026-03-20T12:00:00.000Z';
  const MAR12 = '2026-03-12T10:00:00.000Z';
  const MAR02 = '2026-03-02T04:00:00.000Z';

  test('the recordings of one account and dockedAt, newest first, with their counts', async () => {
    const res = await get('/api/dockings');
    expect(res.status).toBe(200);
    // Two dockings at the same time: the later account (zhangsan) first.
    expect(res.body.items.map(key)).toEqual([`${MAR20} zhangsan`, `${MAR20} dock-01`, `${MAR12} dock-01`, `${MAR02} dock-01`]);
    expect(res.body.items[3]).toEqual({
      dockedAt: MAR02, station: 'dock-01', stationRole: 'station', badgeNos: ['100001', '100002'], files: 3, bytes: 700,
      firstIngestedAt: expect.any(String), lastIngestedAt: expect.any(String),
      statuses: { received: 1, processing: 1, ready: 1, unplayable: 0, deleted: 0 },
    });
    expect(res.body.items[0]).toMatchObject({ station: 'zhangsan', stationRole: 'officer', badgeNos: ['100001'], files: 1, statuses: { ready: 1 } });
    expect(res.body.items[1]).toMatchObject({ badgeNos: ['100002'], statuses: { unplayable: 1 } });
    expect(res.body.nextCursor).toBeNull();
  });

  test('badgeNo and from/to (bureau days of dockedAt) filter; the counts are of the files that match', async () => {
    const two = await get('/api/dockings?badgeNo=100002');
    expect(two.body.items.map(key)).toEqual([`${MAR20} dock-01`, `${MAR02} dock-01`]);
    expect(two.body.items[1]).toMatchObject({ badgeNos: ['100002'], files: 1, bytes: 400 });
    expect((await get('/api/dockings?from=2026-03-12&to=2026-03-12')).body.items.map(key)).toEqual([`${MAR12} dock-01`]);
    expect((await get('/api/dockings?to=2026-03-11')).body.items.map(key)).toEqual([`${MAR02} dock-01`]);
    expect((await get('/api/dockings?badgeNo=999999')).body.items).toEqual([]);
  });

  test('an officer sees their own footage only; a unit supervisor their unit', async () => {
    const own = await get('/api/dockings', tokens.officer);
    expect(own.body.items.map(key)).toEqual([`${MAR20} zhangsan`, `${MAR02} dock-01`]);
    expect(own.body.items[1]).toMatchObject({ badgeNos: ['100001'], files: 2, bytes: 300 });
    // Asking for someone else's footage finds none of it.
    expect((await get('/api/dockings?badgeNo=100002', tokens.officer)).body.items).toEqual([]);
    expect((await get('/api/dockings', tokens.supervisorZF2)).body.items.map(key)).toEqual([`${MAR12} dock-01`]);
    expect((await get('/api/dockings', tokens.supervisorZF1)).body.items.map(key)).toEqual([`${MAR20} zhangsan`, `${MAR20} dock-01`, `${MAR02} dock-01`]);
    expect((await get('/api/dockings', tokens.station)).status).toBe(403);
    expect((await get('/api/dockings', integration)).status).toBe(403);
  });

  test('pages with a cursor, the tie of two accounts at one time included', async () => {
    const { items, sizes } = await allPages('/api/dockings', 1);
    expect(sizes).toEqual([1, 1, 1, 1]);
    expect(items.map((d) => key(d as { dockedAt: string; station: string }))).toEqual([`${MAR20} zhangsan`, `${MAR20} dock-01`, `${MAR12} dock-01`, `${MAR02} dock-01`]);
  });
});

describe('GET /api/recordings gains progress, caseNos and playback', () => {
  test('each item says its cases and whether there is a poster and a proxy', async () => {
    const res = await get('/api/recordings?from=2026-03-20&to=2026-03-20');
    const r5 = res.body.items.find((r: { id: string }) => r.id === rec.r5);
    expect(r5).toMatchObject({ progress: 1, caseNos: ['ZF2-2026-001'], playback: { poster: true, proxy: { kind: 'original' }, sprite: null } });
    const r6 = res.body.items.find((r: { id: string }) => r.id === rec.r6);
    expect(r6).toMatchObject({ progress: null, caseNos: [], playback: null });
    const r1 = (await get('/api/recordings?badgeNo=100001&to=2026-03-02&limit=1')).body.items[0];
    expect(r1).toMatchObject({ id: rec.r2, caseNos: ['ZF1-2026-001'] });
    // As the recording's own page has it.
    const detail = await get(`/api/recordings/${rec.r5}`);
    expect(detail.body.playback).toEqual(r5.playback);
    expect(detail.body.progress).toBe(r5.progress);
  });
});

describe('GET /api/holds', () => {
  test('everything under a legal hold, for the admin', async () => {
    expect(await get('/api/holds').then((r) => r.body)).toEqual({ recordings: [], cases: [] });
    await request(env.app).post(`/api/recordings/${rec.r4}/hold`).set(auth(tokens.admin)).send({ on: true, reason: '投诉调查' }).expect(200);
    await request(env.app).post(`/api/cases/ZF1-2026-002/hold`).set(auth(tokens.admin)).send({ on: true, reason: '行政复议' }).expect(200);
    const res = await get('/api/holds');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      recordings: [{ id: rec.r4, filename: 'r4.MP4', badgeNo: '200001', startedAt: '2026-03-12T02:00:00.000Z', hold: { reason: '投诉调查', by: 'root', at: expect.any(String) } }],
      cases: [{ caseNo: 'ZF1-2026-002', title: '违规停车 Parking', hold: { reason: '行政复议', by: 'root', at: expect.any(String) } }],
    });
    const cases = await get('/api/cases?q=ZF1-2026-00');
    expect(cases.body.items.map((c: { caseNo: string; hold: boolean }) => [c.caseNo, c.hold])).toEqual([['ZF1-2026-002', true], ['ZF1-2026-001', false], ['ZF1-2026-003', false]]);
    // Lifted, it is off the list.
    await request(env.app).post(`/api/recordings/${rec.r4}/hold`).set(auth(tokens.admin)).send({ on: false, reason: '调查结束' }).expect(200);
    expect((await get('/api/holds')).body.recordings).toEqual([]);
    expect((await get('/api/holds', tokens.supervisorZF1)).status).toBe(403);
  });
});

test('bad query parameters are refused with the field named', async () => {
  const garbage = Buffer.from('nope').toString('base64url');
  const notOurs = Buffer.from(`2026-03-01T00:00:00.000Z|${'x'.repeat(10)}`).toString('base64url');
  for (const [path, field] of [
    ['/api/cases?limit=0', 'limit'],
    ['/api/cases?limit=201', 'limit'],
    ['/api/cases?limit=ten', 'limit'],
    ['/api/cases?from=yesterday', 'from'],
    ['/api/cases?to=2026-13-01', 'to'],
    ['/api/cases?badgeNo=' + encodeURIComponent('a b'), 'badgeNo'],
    ['/api/cases?q=' + encodeURIComponent('x'.repeat(65)), 'q'],
    ['/api/cases?cursor=' + garbage, 'cursor'],
    ['/api/cases?colour=red', 'colour'],
    ['/api/spot-checks?status=done', 'status'],
    ['/api/spot-checks?cursor=' + notOurs, 'cursor'],
    ['/api/spot-checks?limit=500', 'limit'],
    ['/api/bulletins?cursor=' + garbage, 'cursor'],
    ['/api/bulletins?status=open', 'status'],
    ['/api/dockings?from=2026-02-30', 'from'],
    ['/api/dockings?cursor=' + notOurs, 'cursor'],
    ['/api/dockings?badgeNo=a_b', 'badgeNo'],
    ['/api/dockings?limit=-1', 'limit'],
    ['/api/recordings?cursor=' + notOurs, 'cursor'],
    ['/api/holds?all=1', 'all'],
  ] as const) {
    const res = await get(path);
    expect([path, res.status, res.body.field]).toEqual([path, 400, field]);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  }
});
