import request from 'supertest';
import { issueToken } from '../../src/auth/tokens';
import { changeOwnPassword } from '../../src/directory/users';
import { startTestEnv, userWithToken, type TestEnv } from '../support/harness';

// Anyone with a login changes their own password (POST /api/auth/password), giving the current one: the first
// thing an officer does with the password an admin handed out. Small throttle limits keep the test short.
const PER_ACCOUNT = 3;

let env: TestEnv;
beforeAll(async () => {
  env = await startTestEnv({ LOGIN_MAX_FAILURES: String(PER_ACCOUNT), LOGIN_MAX_FAILURES_PER_ADDRESS: '50' });
  await userWithToken(env, 'sun', 'supervisor');
}, 60_000);
afterAll(() => env.close());

const passwordOf = (username: string) => `pw-${username}-long-enough`; // as userWithToken sets it
const login = (username: string, password: string) => request(env.app).post('/api/auth/login').send({ username, password });
const me = (token: string) => request(env.app).get('/api/auth/me').set('Authorization', `Bearer ${token}`);
const change = (token: string, body: object) => request(env.app).post('/api/auth/password').set('Authorization', `Bearer ${token}`).send(body);

test('the new password logs in, the old one no longer does; the session that changed it goes on, the others end', async () => {
  const first = await userWithToken(env, 'zhao', 'reviewer');
  const second = (await login('zhao', passwordOf('zhao'))).body.token as string;
  const res = await change(first, { currentPassword: passwordOf('zhao'), newPassword: 'a new long secret' });
  expect(res.status).toBe(204);
  expect((await me(first)).status).toBe(200);
  expect((await me(second)).status).toBe(401);
  expect((await login('zhao', passwordOf('zhao'))).status).toBe(401);
  expect((await login('zhao', 'a new long secret')).status).toBe(200);
});

test('through the browser: the session cookie goes on working after the change', async () => {
  await userWithToken(env, 'qian', 'reviewer');
  const res = await login('qian', passwordOf('qian'));
  const cookie = (res.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
  const changed = await request(env.app)
    .post('/api/auth/password')
    .set('Cookie', cookie)
    .set('X-Requested-With', 'fetch')
    .send({ currentPassword: passwordOf('qian'), newPassword: 'qian has a new secret' });
  expect(changed.status).toBe(204);
  expect((await request(env.app).get('/api/auth/me').set('Cookie', cookie)).body.username).toBe('qian');
});

test('a station’s long-lived token is not a session: it keeps working after the account’s password changes', async () => {
  const session = await userWithToken(env, 'dock-07', 'station');
  const { rows } = await env.ctx.pool.query<{ id: number }>("SELECT id FROM users WHERE username = 'dock-07'");
  const { token: machine } = await issueToken(env.ctx.pool, rows[0]!.id, 'api', null);
  expect((await change(session, { currentPassword: passwordOf('dock-07'), newPassword: 'dock seven secret' })).status).toBe(204);
  expect((await me(machine)).status).toBe(200);
});

test.each([
  [{ currentPassword: 'not the password', newPassword: 'a new long secret' }, 'wrong_password', 'currentPassword'],
  [{ currentPassword: passwordOf('sun'), newPassword: passwordOf('sun') }, 'same_password', 'newPassword'],
  [{ currentPassword: passwordOf('sun'), newPassword: 'short' }, 'weak_password', 'newPassword'],
  [{ currentPassword: passwordOf('sun'), newPassword: 'zzzzzzzzzzzzzzzz' }, 'weak_password', 'newPassword'],
  [{ currentPassword: passwordOf('sun') }, 'missing_field', 'newPassword'],
  [{ currentPassword: passwordOf('sun'), newPassword: 'a new long secret', username: 'root' }, 'unknown_field', 'username'],
])('%j is refused (%s), and changes nothing', async (body, code, field) => {
  const token = (await login('sun', passwordOf('sun'))).body.token as string;
  const other = (await login('sun', passwordOf('sun'))).body.token as string;
  const res = await change(token, body);
  expect(res.status).toBe(400);
  expect(res.type).toBe('application/problem+json');
  expect(res.body).toMatchObject({ code, field });
  expect((await me(other)).status).toBe(200);
  expect((await login('sun', passwordOf('sun'))).status).toBe(200);
});

test('wrong current passwords count as failed logins: past the limit even the right one is refused, and so is a login', async () => {
  const token = await userWithToken(env, 'li', 'reviewer');
  for (let i = 0; i < PER_ACCOUNT; i++) {
    expect((await change(token, { currentPassword: `guess ${i}`, newPassword: 'a new long secret' })).body.code).toBe('wrong_password');
  }
  const limited = await change(token, { currentPassword: passwordOf('li'), newPassword: 'a new long secret' });
  expect(limited.status).toBe(429);
  expect(limited.body.code).toBe('too_many_attempts');
  expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  expect((await login('li', passwordOf('li'))).status).toBe(429);
  // The password is what it was: once the window has passed (backdated here), the old one logs in.
  await env.ctx.pool.query("UPDATE login_failures SET failed_at = failed_at - interval '1 day' WHERE account = 'li'");
  expect((await login('li', passwordOf('li'))).status).toBe(200);
  expect((await login('li', 'a new long secret')).status).toBe(401);
});

test('a new password refused for itself is refused before the current one is tried, and is no failed login', async () => {
  const token = await userWithToken(env, 'zhou', 'reviewer');
  for (let i = 0; i < PER_ACCOUNT + 1; i++) {
    expect((await change(token, { currentPassword: `guess ${i}`, newPassword: 'short' })).body.code).toBe('weak_password');
  }
  expect(Number((await env.ctx.pool.query("SELECT count(*) FROM login_failures WHERE account = 'zhou'")).rows[0].count)).toBe(0);
  expect((await change(token, { currentPassword: passwordOf('zhou'), newPassword: 'zhou has a new secret' })).status).toBe(204);
});

test('a password changed meanwhile (by an admin, or another session) is not overwritten', async () => {
  const token = await userWithToken(env, 'wu', 'reviewer');
  const { rows } = await env.ctx.pool.query<{ id: number }>("SELECT id FROM users WHERE username = 'wu'");
  // The admin's change lands right after this request has read the hash it checks the current password against.
  const pool = env.ctx.pool;
  let raced = false;
  const racing = new Proxy(pool, {
    get(target, prop) {
      if (prop === 'query') {
        return async (...args: Parameters<typeof pool.query>) => {
          const result = await (target.query as (...a: unknown[]) => Promise<unknown>)(...args);
          if (!raced) {
            raced = true;
            await target.query("UPDATE users SET password_hash = 'scrypt$set-by-admin' WHERE username = 'wu'");
          }
          return result;
        };
      }
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const change = changeOwnPassword(racing, rows[0]!.id, { currentPassword: passwordOf('wu'), newPassword: 'what wu wanted' }, undefined);
  await expect(change).rejects.toMatchObject({ status: 409, code: 'password_changed', field: 'currentPassword' });
  expect(raced).toBe(true);
  expect((await env.ctx.pool.query("SELECT password_hash FROM users WHERE username = 'wu'")).rows[0].password_hash).toBe('scrypt$set-by-admin');
  expect((await me(token)).status).toBe(200);
});

test('a password an admin set is changed by its owner first: until then only who-am-I, logout and the change answer', async () => {
  const admin = await userWithToken(env, 'chief', 'admin');
  const asAdmin = (method: 'post' | 'patch', path: string, body: object) => request(env.app)[method](path).set('Authorization', `Bearer ${admin}`).send(body);
  const created = await asAdmin('post', '/api/users', { username: 'xin', password: 'the admin gave this', role: 'reviewer' });
  expect(created.body).toMatchObject({ username: 'xin', mustChangePassword: true });

  const first = await login('xin', 'the admin gave this');
  expect(first.body.user).toMatchObject({ username: 'xin', mustChangePassword: true });
  const token = first.body.token as string;
  const list = () => request(env.app).get('/api/recordings').set('Authorization', `Bearer ${token}`);
  const refused = await list();
  expect(refused.status).toBe(403);
  expect(refused.body).toMatchObject({ code: 'password_change_required' });
  expect((await me(token)).body).toMatchObject({ username: 'xin', mustChangePassword: true });

  expect((await change(token, { currentPassword: 'the admin gave this', newPassword: 'only xin knows this' })).status).toBe(204);
  expect((await list()).status).toBe(200);
  expect((await me(token)).body.mustChangePassword).toBe(false);

  // A reset by the admin asks again; a change of role alone leaves the question as it is.
  expect((await asAdmin('patch', '/api/users/xin', { role: 'supervisor' })).body.mustChangePassword).toBe(false);
  expect((await asAdmin('patch', '/api/users/xin', { password: 'reset by the admin' })).body.mustChangePassword).toBe(true);
  expect((await asAdmin('patch', '/api/users/xin', { role: 'reviewer' })).body.mustChangePassword).toBe(true);
  const again = (await login('xin', 'reset by the admin')).body.token as string;
  expect((await request(env.app).get('/api/recordings').set('Authorization', `Bearer ${again}`)).body.code).toBe('password_change_required');

  // Machine accounts work with tokens and are never asked.
  expect((await asAdmin('post', '/api/users', { username: 'dock-09', password: 'the admin gave this', role: 'station' })).body.mustChangePassword).toBe(false);
  expect((await asAdmin('patch', '/api/users/dock-09', { password: 'another from the admin' })).body.mustChangePassword).toBe(false);
});
