import request from 'supertest';
import { startTestEnv, userWithToken, type TestEnv } from '../support/harness';

let env: TestEnv;
let admin: string;
const as = (token: string) => ({ Authorization: `Bearer ${token}` });

beforeAll(async () => {
  env = await startTestEnv();
  admin = await userWithToken(env, 'root', 'admin');
});
afterAll(() => env.close());

const post = (path: string, body: object, token = admin) => request(env.app).post(path).set(as(token)).send(body);
const patch = (path: string, body: object, token = admin) => request(env.app).patch(path).set(as(token)).send(body);
const get = (path: string, token = admin) => request(env.app).get(path).set(as(token));

describe('units', () => {
  test('created, listed, renamed; a duplicate code is a 409 and changes nothing', async () => {
    expect((await post('/api/units', { code: 'ZF1', name: '执法一股' })).status).toBe(201);
    const dup = await post('/api/units', { code: 'ZF1', name: 'other' });
    expect(dup.status).toBe(409);
    expect(dup.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(dup.body).toMatchObject({ status: 409, code: 'unit_exists', field: 'code' });
    const list = await get('/api/units');
    expect(list.body.items).toEqual([{ code: 'ZF1', name: '执法一股', active: true }]);
    expect((await patch('/api/units/ZF1', { name: '执法一股（城区）' })).body.name).toBe('执法一股（城区）');
  });

  test.each([
    [{ code: 'bad code', name: 'x' }, 'code'],
    [{ code: 'ZF9' }, 'name'],
    [{ code: 'ZF9', name: 'a\u0000b' }, 'name'],
    [{ code: 'ZF9', name: 'x', extra: 1 }, 'extra'],
  ])('bad unit %j → 400 naming %s, nothing stored', async (body, field) => {
    const res = await post('/api/units', body);
    expect(res.status).toBe(400);
    expect(res.body.field).toBe(field);
    expect((await get('/api/units')).body.items.map((u: { code: string }) => u.code)).not.toContain('ZF9');
  });

  test('malformed JSON is a 400 problem', async () => {
    const res = await request(env.app).post('/api/units').set(as(admin)).set('Content-Type', 'application/json').send('{"code":');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('malformed_json');
  });
});

describe('officers keep the history of their units', () => {
  beforeAll(async () => {
    await post('/api/units', { code: 'ZF2', name: '执法二股' });
  });

  test('an officer moved between units keeps both periods', async () => {
    const created = await post('/api/officers', { badgeNo: '100001', name: '张三', unitCode: 'ZF1', from: '2024-01-01T00:00:00+08:00' });
    expect(created.status).toBe(201);
    expect(created.body.units).toEqual([{ unitCode: 'ZF1', unitName: expect.any(String), from: '2023-12-31T16:00:00.000Z', to: null }]);
    const moved = await patch('/api/officers/100001', { unitCode: 'ZF2', from: '2025-06-01 08:00:00' });
    expect(moved.status).toBe(200);
    expect(moved.body.unitCode).toBe('ZF2');
    // A local time without offset is in the bureau's zone (Asia/Shanghai, UTC+8).
    expect(moved.body.units).toEqual([
      expect.objectContaining({ unitCode: 'ZF1', from: '2023-12-31T16:00:00.000Z', to: '2025-06-01T00:00:00.000Z' }),
      expect.objectContaining({ unitCode: 'ZF2', from: '2025-06-01T00:00:00.000Z', to: null }),
    ]);
  });

  test('a move dated before the current period began is refused and changes nothing', async () => {
    const res = await patch('/api/officers/100001', { unitCode: 'ZF1', from: '2025-01-01T00:00:00Z' });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'invalid_from', field: 'from' });
    expect((await get('/api/officers/100001')).body.units).toHaveLength(2);
  });

  test('duplicates 409, unknown units 422, bad times 400', async () => {
    expect((await post('/api/officers', { badgeNo: '100001', name: 'x', unitCode: 'ZF1' })).status).toBe(409);
    const unknown = await post('/api/officers', { badgeNo: '100002', name: 'x', unitCode: 'NOPE' });
    expect(unknown.status).toBe(422);
    expect(unknown.body).toMatchObject({ code: 'unknown_unit', field: 'unitCode' });
    const badTime = await post('/api/officers', { badgeNo: '100002', name: 'x', unitCode: 'ZF1', from: '2025-13-45' });
    expect(badTime.status).toBe(400);
    expect(badTime.body.field).toBe('from');
    expect((await get('/api/officers/100002')).status).toBe(404);
  });

  test('deactivated, not deleted', async () => {
    await post('/api/officers', { badgeNo: '100009', name: '退休', unitCode: 'ZF1' });
    const res = await patch('/api/officers/100009', { active: false });
    expect(res.body).toMatchObject({ active: false, unitCode: 'ZF1' });
    expect((await get('/api/officers?unitCode=ZF1')).body.items.map((o: { badgeNo: string }) => o.badgeNo)).toContain('100009');
  });
});

describe('recorders and assignments (一人一机)', () => {
  beforeAll(async () => {
    await post('/api/officers', { badgeNo: '200001', name: '李四', unitCode: 'ZF1' });
    await post('/api/officers', { badgeNo: '200002', name: '王五', unitCode: 'ZF1' });
  });

  test('reassigning a recorder ends the previous holder\'s period and the new holder\'s old recorder', async () => {
    expect((await post('/api/recorders', { serial: 'DSJ0001', model: 'DSJ-V9' })).status).toBe(201);
    expect((await post('/api/recorders', { serial: 'DSJ0002' })).status).toBe(201);
    expect((await post('/api/recorders/DSJ0001/assignments', { badgeNo: '200001', from: '2025-01-01T00:00:00Z' })).status).toBe(201);
    expect((await post('/api/recorders/DSJ0002/assignments', { badgeNo: '200002', from: '2025-01-01T00:00:00Z' })).status).toBe(201);
    // 200002 takes DSJ0001: 200001 loses it, and 200002's DSJ0002 assignment ends at the same instant.
    const res = await post('/api/recorders/DSJ0001/assignments', { badgeNo: '200002', from: '2025-03-01T00:00:00Z' });
    expect(res.status).toBe(201);
    expect(res.body.assignments).toEqual([
      { badgeNo: '200001', from: '2025-01-01T00:00:00.000Z', to: '2025-03-01T00:00:00.000Z' },
      { badgeNo: '200002', from: '2025-03-01T00:00:00.000Z', to: null },
    ]);
    const other = await get('/api/recorders/DSJ0002');
    expect(other.body.assignments).toEqual([{ badgeNo: '200002', from: '2025-01-01T00:00:00.000Z', to: '2025-03-01T00:00:00.000Z' }]);
    expect(other.body.badgeNo).toBeNull();
    const officer = await get('/api/officers/200002');
    expect(officer.body.recorderSerial).toBe('DSJ0001');
    expect(officer.body.recorders).toHaveLength(2);
  });

  test('backdating into history is refused; unknown officer 422; unknown recorder 404', async () => {
    const back = await post('/api/recorders/DSJ0001/assignments', { badgeNo: '200001', from: '2025-02-01T00:00:00Z' });
    expect(back.status).toBe(422);
    expect(back.body.code).toBe('invalid_from');
    expect((await post('/api/recorders/DSJ0001/assignments', { badgeNo: '999999' })).body.code).toBe('unknown_officer');
    expect((await post('/api/recorders/NOPE/assignments', { badgeNo: '200001' })).status).toBe(404);
    expect((await get('/api/recorders/DSJ0001')).body.assignments).toHaveLength(2);
  });

  test('a lost recorder is deactivated and its assignment ends; the history stays', async () => {
    const res = await patch('/api/recorders/DSJ0001', { active: false, note: '遗失 2025-04' });
    expect(res.body).toMatchObject({ active: false, note: '遗失 2025-04', badgeNo: null });
    expect(res.body.assignments).toHaveLength(2);
    expect(res.body.assignments[1].to).not.toBeNull();
    const again = await post('/api/recorders/DSJ0001/assignments', { badgeNo: '200001' });
    expect(again.status).toBe(422);
    expect(again.body.code).toBe('recorder_inactive');
  });
});

describe('users', () => {
  test('created with a role and scope; duplicate 409; weak password 400; officer needs a badge', async () => {
    const res = await post('/api/users', { username: 'sup1', password: 'correct horse', role: 'supervisor', unitCode: 'ZF1' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ username: 'sup1', role: 'supervisor', unitCode: 'ZF1', active: true });
    expect(res.body).not.toHaveProperty('password_hash');
    expect((await post('/api/users', { username: 'SUP1', password: 'correct horse', role: 'reviewer' })).status).toBe(409);
    const weak = await post('/api/users', { username: 'rev1', password: 'short', role: 'reviewer' });
    expect(weak.status).toBe(400);
    expect(weak.body).toMatchObject({ code: 'weak_password', field: 'password' });
    expect((await post('/api/users', { username: 'off1', password: 'correct horse', role: 'officer' })).body.field).toBe('badgeNo');
    expect((await post('/api/users', { username: 'off1', password: 'correct horse', role: 'pilot' })).body.field).toBe('role');
  });

  test('a deactivated user can no longer log in and their sessions end', async () => {
    await post('/api/users', { username: 'rev2', password: 'correct horse', role: 'reviewer' });
    const login = await request(env.app).post('/api/auth/login').send({ username: 'rev2', password: 'correct horse' });
    expect(login.status).toBe(200);
    expect((await get('/api/auth/me', login.body.token)).status).toBe(200);
    expect((await patch('/api/users/rev2', { active: false })).body.active).toBe(false);
    expect((await get('/api/auth/me', login.body.token)).status).toBe(401);
    const again = await request(env.app).post('/api/auth/login').send({ username: 'rev2', password: 'correct horse' });
    expect(again.status).toBe(401);
    expect((await get('/api/users')).body.items.map((u: { username: string }) => u.username)).toContain('rev2');
  });
});

describe('history under concurrency and deactivation', () => {
  test('two recorders swapped between two officers at once: no deadlock, one consistent history', async () => {
    await post('/api/officers', { badgeNo: '400001', name: 'a', unitCode: 'ZF2' });
    await post('/api/officers', { badgeNo: '400002', name: 'b', unitCode: 'ZF2' });
    await post('/api/recorders', { serial: 'SWAP-A' });
    await post('/api/recorders', { serial: 'SWAP-B' });
    await post('/api/recorders/SWAP-A/assignments', { badgeNo: '400001', from: '2025-01-01T00:00:00Z' });
    await post('/api/recorders/SWAP-B/assignments', { badgeNo: '400002', from: '2025-01-01T00:00:00Z' });
    for (let round = 0; round < 5; round++) {
      const [holderA, holderB] = round % 2 === 0 ? ['400002', '400001'] : ['400001', '400002'];
      const results = await Promise.all([
        post('/api/recorders/SWAP-A/assignments', { badgeNo: holderA }),
        post('/api/recorders/SWAP-B/assignments', { badgeNo: holderB }),
      ]);
      expect(results.map((r) => r.status)).toEqual([201, 201]);
    }
    // One recorder per officer at every instant: the database's exclusion constraints guarantee it, and
    // the final state is the last round's.
    expect((await get('/api/recorders/SWAP-A')).body.badgeNo).toBe('400002');
    expect((await get('/api/recorders/SWAP-B')).body.badgeNo).toBe('400001');
  });

  test('a deactivated officer no longer holds a recorder', async () => {
    await post('/api/officers', { badgeNo: '400009', name: 'c', unitCode: 'ZF2' });
    await post('/api/recorders', { serial: 'RET-1' });
    await post('/api/recorders/RET-1/assignments', { badgeNo: '400009', from: '2025-01-01T00:00:00Z' });
    const res = await patch('/api/officers/400009', { active: false });
    expect(res.body).toMatchObject({ active: false, recorderSerial: null });
    expect(res.body.recorders[0].to).not.toBeNull();
  });

  test('a supervisor with a unit sees the recorders their unit used, not the others', async () => {
    await post('/api/users', { username: 'sup-zf2', password: 'correct horse', role: 'supervisor', unitCode: 'ZF2' });
    const login = await request(env.app).post('/api/auth/login').send({ username: 'sup-zf2', password: 'correct horse' });
    // The admin set the password: its owner changes it first.
    const changed = await request(env.app)
      .post('/api/auth/password')
      .set('Authorization', `Bearer ${login.body.token}`)
      .send({ currentPassword: 'correct horse', newPassword: 'my own horse now' });
    expect(changed.status).toBe(204);
    const serials = (await get('/api/recorders', login.body.token)).body.items.map((r: { serial: string }) => r.serial);
    expect(serials).toEqual(expect.arrayContaining(['SWAP-A', 'SWAP-B', 'RET-1']));
    expect(serials).not.toContain('DSJ0002'); // only ever held in ZF1
    expect((await get('/api/recorders/DSJ0002', login.body.token)).status).toBe(403);
    expect((await get('/api/recorders/SWAP-A', login.body.token)).status).toBe(200);
  });
});
