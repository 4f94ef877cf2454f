import request from 'supertest';
import { startTestEnv, userWithToken, type TestEnv } from '../support/harness';

let env: TestEnv;
let admin: string;

beforeAll(async () => {
  env = await startTestEnv();
  admin = await userWithToken(env, 'root', 'admin');
  await request(env.app).post('/api/units').set('Authorization', `Bearer ${admin}`).send({ code: 'ZF1', name: '执法一股' });
  await request(env.app).post('/api/units').set('Authorization', `Bearer ${admin}`).send({ code: 'ZF2', name: '执法二股' });
});
afterAll(() => env.close());

async function browserLogin(username: string, password: string) {
  const res = await request(env.app).post('/api/auth/login').send({ username, password });
  expect(res.status).toBe(200);
  const cookie = res.headers['set-cookie'] as unknown as string[];
  expect(cookie[0]).toMatch(/^bce_session=bce_[\w-]+;/);
  expect(cookie[0]).toMatch(/HttpOnly/);
  expect(cookie[0]).toMatch(/SameSite=Strict/);
  return { cookie: cookie[0]!.split(';')[0]!, body: res.body };
}

test('login answers with a token and the user, and sets the session cookie', async () => {
  await userWithToken(env, 'admin2', 'admin');
  const { body } = await browserLogin('ADMIN2', 'pw-admin2-long-enough');
  expect(body.user).toEqual({ id: expect.any(Number), username: 'admin2', role: 'admin', unitCode: null, mustChangePassword: false });
  expect(body.token).toMatch(/^bce_/);
});

test('wrong password, unknown user and a malformed body are refused without detail', async () => {
  const wrong = await request(env.app).post('/api/auth/login').send({ username: 'root', password: 'nope-nope-nope' });
  const unknown = await request(env.app).post('/api/auth/login').send({ username: 'ghost', password: 'nope-nope-nope' });
  expect(wrong.status).toBe(401);
  expect(unknown.status).toBe(401);
  expect(wrong.body.detail).toBe(unknown.body.detail);
  expect((await request(env.app).post('/api/auth/login').send({ username: 'root' })).status).toBe(400);
});

test('a cookie reads without ceremony, but a change made with it needs X-Requested-With', async () => {
  const { cookie } = await browserLogin('root', 'pw-root-long-enough');
  expect((await request(env.app).get('/api/units').set('Cookie', cookie)).status).toBe(200);
  const forged = await request(env.app).post('/api/units').set('Cookie', cookie).send({ code: 'ZF3', name: 'x' });
  expect(forged.status).toBe(403);
  expect(forged.body.code).toBe('csrf');
  expect((await request(env.app).get('/api/units').set('Cookie', cookie)).body.items).toHaveLength(2);
  const real = await request(env.app).post('/api/units').set('Cookie', cookie).set('X-Requested-With', 'fetch').send({ code: 'ZF3', name: 'x' });
  expect(real.status).toBe(201);
  // A bearer token is not sent by a browser on its own, so it needs no CSRF header.
  expect((await request(env.app).post('/api/units').set('Authorization', `Bearer ${admin}`).send({ code: 'ZF4', name: 'y' })).status).toBe(201);
});

test('logout ends the session; expired sessions and garbage tokens are 401', async () => {
  const { cookie, body } = await browserLogin('root', 'pw-root-long-enough');
  const out = await request(env.app).post('/api/auth/logout').set('Cookie', cookie).set('X-Requested-With', 'fetch');
  expect(out.status).toBe(204);
  expect((await request(env.app).get('/api/auth/me').set('Cookie', cookie)).status).toBe(401);
  expect((await request(env.app).get('/api/auth/me').set('Authorization', `Bearer ${body.token}`)).status).toBe(401);

  const second = await browserLogin('root', 'pw-root-long-enough');
  await env.ctx.pool.query("UPDATE auth_tokens SET expires_at = now() - interval '1 second' WHERE kind = 'session' AND revoked_at IS NULL AND id = (SELECT max(id) FROM auth_tokens)");
  const expired = await request(env.app).get('/api/auth/me').set('Cookie', second.cookie);
  expect(expired.status).toBe(401);
  expect(expired.body.code).toBe('unauthenticated');
  expect((await request(env.app).get('/api/auth/me').set('Authorization', 'Bearer bce_garbage')).status).toBe(401);
  expect((await request(env.app).get('/api/auth/me').set('Authorization', 'Basic abc')).status).toBe(401);
});

test('station tokens last until revoked', async () => {
  await userWithToken(env, 'station1', 'station');
  const issued = await request(env.app).post('/api/users/station1/tokens').set('Authorization', `Bearer ${admin}`);
  expect(issued.status).toBe(201);
  const token = issued.body.token as string;
  const row = await env.ctx.pool.query("SELECT expires_at FROM auth_tokens WHERE kind = 'api'");
  expect(row.rows).toEqual([{ expires_at: null }]);
  expect((await request(env.app).get('/api/auth/me').set('Authorization', `Bearer ${token}`)).body.role).toBe('station');
  const revoked = await request(env.app).delete('/api/users/station1/tokens').set('Authorization', `Bearer ${admin}`);
  expect(revoked.body).toEqual({ revoked: 1 });
  expect((await request(env.app).get('/api/auth/me').set('Authorization', `Bearer ${token}`)).status).toBe(401);
});

test('a user with a unit sees that unit only', async () => {
  const sup = await userWithToken(env, 'sup1', 'supervisor', { unitCode: 'ZF1' });
  const units = await request(env.app).get('/api/units').set('Authorization', `Bearer ${sup}`);
  expect(units.body.items.map((u: { code: string }) => u.code)).toEqual(['ZF1']);
  const other = await request(env.app).get('/api/officers?unitCode=ZF2').set('Authorization', `Bearer ${sup}`);
  expect(other.status).toBe(403);
  expect(other.body.code).toBe('out_of_scope');
  await request(env.app).post('/api/officers').set('Authorization', `Bearer ${admin}`).send({ badgeNo: '300001', name: 'a', unitCode: 'ZF2' });
  expect((await request(env.app).get('/api/officers/300001').set('Authorization', `Bearer ${sup}`)).status).toBe(403);
  const bureau = await userWithToken(env, 'sup2', 'supervisor');
  expect((await request(env.app).get('/api/officers/300001').set('Authorization', `Bearer ${bureau}`)).status).toBe(200);
});

test('unknown API routes are a 404 problem', async () => {
  const res = await request(env.app).get('/api/nothing-here').set('Authorization', `Bearer ${admin}`);
  expect(res.status).toBe(404);
  expect(res.body).toMatchObject({ status: 404, code: 'not_found' });
});

test('a stale or malformed cookie does not block logging in again, and is cleared', async () => {
  const { cookie } = await browserLogin('root', 'pw-root-long-enough');
  await request(env.app).post('/api/auth/logout').set('Cookie', cookie).set('X-Requested-With', 'fetch');
  const again = await request(env.app).post('/api/auth/login').set('Cookie', cookie).send({ username: 'root', password: 'pw-root-long-enough' });
  expect(again.status).toBe(200);
  const stale = await request(env.app).get('/api/auth/me').set('Cookie', cookie);
  expect(stale.status).toBe(401);
  expect(String(stale.headers['set-cookie'])).toMatch(/bce_session=;/);
  const malformed = await request(env.app).get('/api/auth/me').set('Cookie', 'bce_session=%E0%A4%A');
  expect(malformed.status).toBe(401);
  expect((await request(env.app).post('/api/auth/login').set('Cookie', 'bce_session=%E0%A4%A').send({ username: 'root', password: 'pw-root-long-enough' })).status).toBe(200);
});

test('never-expiring tokens go to machine accounts only', async () => {
  const res = await request(env.app).post('/api/users/root/tokens').set('Authorization', `Bearer ${admin}`);
  expect(res.status).toBe(422);
  expect(res.body.code).toBe('not_a_machine_account');
});
