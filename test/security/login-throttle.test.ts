import request from 'supertest';
import { addressKey } from '../../src/auth/login-throttle';
import { createApp } from '../../src/http/app';
import { startTestEnv, userWithToken, type TestEnv } from '../support/harness';

// Login throttling (issue 8, security): per account and per client address, counted in PostgreSQL so every
// API process shares it. Small limits keep the test short; the window is never waited for, rows are backdated.
const PER_ACCOUNT = 3;
const PER_ADDRESS = 8;

let env: TestEnv;
beforeAll(async () => {
  env = await startTestEnv({
    LOGIN_MAX_FAILURES: String(PER_ACCOUNT),
    LOGIN_MAX_FAILURES_PER_ADDRESS: String(PER_ADDRESS),
    LOGIN_FAILURE_WINDOW_MIN: '15',
  });
}, 60_000);
afterAll(() => env.close());

const passwordOf = (username: string) => `pw-${username}-long-enough`; // as userWithToken sets it
// The app trusts X-Forwarded-For from loopback (a reverse proxy on the same host): that is how a test comes from elsewhere.
const login = (username: string, password: string, from: string) =>
  request(env.app).post('/api/auth/login').set('X-Forwarded-For', from).send({ username, password });

const failuresOf = async (account: string) =>
  Number((await env.ctx.pool.query('SELECT count(*) FROM login_failures WHERE account = $1', [account])).rows[0].count);

function expectThrottled(res: request.Response): void {
  expect(res.status).toBe(429);
  expect(res.type).toBe('application/problem+json');
  expect(res.body).toMatchObject({ status: 429, code: 'too_many_attempts' });
  expect(res.body).not.toHaveProperty('token');
  const wait = Number(res.headers['retry-after']);
  expect(Number.isInteger(wait)).toBe(true);
  expect(wait).toBeGreaterThan(0);
  expect(wait).toBeLessThanOrEqual(15 * 60);
  expect(res.headers['set-cookie']).toBeUndefined();
}

test('after the limit of wrong passwords the account is refused 429, even with the right password, from any address', async () => {
  await userWithToken(env, 'alice', 'reviewer');
  await userWithToken(env, 'bob', 'reviewer');
  const warn = jest.spyOn(env.ctx.logger, 'warn');
  try {
    for (let i = 0; i < PER_ACCOUNT; i++) expect((await login('alice', `wrong-guess-${i}`, '198.51.100.1')).status).toBe(401);
    expectThrottled(await login('alice', passwordOf('alice'), '198.51.100.1'));
    // The account's limit, not the address's: another address is refused too.
    expectThrottled(await login('ALICE', passwordOf('alice'), '198.51.100.2'));
    // Refused attempts are not tried, and not counted: the lockout does not grow while it lasts.
    expect(await failuresOf('alice')).toBe(PER_ACCOUNT);
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ username: 'ALICE', address: '198.51.100.2', limitedBy: 'account' }), 'login throttled');
  } finally {
    warn.mockRestore();
  }
  // Another account from another address is not affected.
  const bob = await login('bob', passwordOf('bob'), '198.51.100.3');
  expect(bob.status).toBe(200);
  expect(bob.body.user.username).toBe('bob');
});

test('a name that does not exist is limited exactly like one that does, with the same answers', async () => {
  await userWithToken(env, 'carol', 'reviewer');
  const real: request.Response[] = [];
  const ghost: request.Response[] = [];
  for (let i = 0; i <= PER_ACCOUNT; i++) {
    real.push(await login('carol', `wrong-guess-${i}`, '198.51.100.10'));
    ghost.push(await login('no-such-user', `wrong-guess-${i}`, '198.51.100.11'));
  }
  expect(real.map((r) => r.status)).toEqual([401, 401, 401, 429]);
  expect(ghost.map((r) => r.status)).toEqual([401, 401, 401, 429]);
  for (let i = 0; i <= PER_ACCOUNT; i++) expect(ghost[i]!.body).toEqual(real[i]!.body);
  expectThrottled(ghost[PER_ACCOUNT]!);
  expect(await failuresOf('no-such-user')).toBe(PER_ACCOUNT);
});

test('when the window has passed the account logs in again; success forgives the account but not the address', async () => {
  await userWithToken(env, 'dave', 'reviewer');
  const from = '198.51.100.20';
  for (let i = 0; i < PER_ACCOUNT; i++) await login('dave', `wrong-guess-${i}`, from);
  expectThrottled(await login('dave', passwordOf('dave'), from));
  // Fifteen minutes later (the rows say so).
  await env.ctx.pool.query("UPDATE login_failures SET failed_at = failed_at - interval '15 minutes 1 second' WHERE account = 'dave'");
  expect((await login('dave', passwordOf('dave'), from)).status).toBe(200);
  // Expired rows are pruned as attempts come in.
  expect(await failuresOf('dave')).toBe(0);
  expect(Number((await env.ctx.pool.query("SELECT count(*) FROM login_failures WHERE failed_at < now() - interval '15 minutes'")).rows[0].count)).toBe(0);

  // Two wrong, then right: the account starts over, so two more wrong are still answered 401, not 429.
  for (let i = 0; i < PER_ACCOUNT - 1; i++) expect((await login('dave', `again-${i}`, from)).status).toBe(401);
  expect((await login('dave', passwordOf('dave'), from)).status).toBe(200);
  expect(await failuresOf('dave')).toBe(0);
  for (let i = 0; i < PER_ACCOUNT - 1; i++) expect((await login('dave', `later-${i}`, from)).status).toBe(401);
  expect(await failuresOf('dave')).toBe(PER_ACCOUNT - 1);
  // The forgiven failures still count against the address they came from.
  const fromAddress = await env.ctx.pool.query('SELECT count(*) FILTER (WHERE account IS NULL) AS forgiven, count(*) AS total FROM login_failures WHERE address = $1', [from]);
  expect(fromAddress.rows[0]).toEqual({ forgiven: PER_ACCOUNT - 1, total: 2 * (PER_ACCOUNT - 1) });
});

test('one address guessing across many names is stopped by the per-address limit', async () => {
  await userWithToken(env, 'erin', 'reviewer');
  const from = '2001:db8:5:7::1';
  for (let i = 0; i < PER_ADDRESS; i++) expect((await login(`spray-${i}`, 'password123', from)).status).toBe(401);
  // Every name stays under its own limit, but the address is spent: even a right password is refused from there,
  // and from another address in the same IPv6 /64.
  expectThrottled(await login('erin', passwordOf('erin'), from));
  expectThrottled(await login('erin', passwordOf('erin'), '2001:db8:5:7:abcd::99'));
  expect((await login('erin', passwordOf('erin'), '2001:db8:5:8::1')).status).toBe(200);
  expect((await login('erin', passwordOf('erin'), '198.51.100.30')).status).toBe(200);
});

test('guesses sent all at once get no more password checks than the limit', async () => {
  await userWithToken(env, 'frank', 'reviewer');
  const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => login('frank', `burst-${i}`, `198.51.100.${100 + i}`)));
  const statuses = burst.map((r) => r.status);
  expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
  expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(PER_ACCOUNT);
  expect(statuses).toContain(429);
  expect(await failuresOf('frank')).toBeLessThanOrEqual(PER_ACCOUNT);
});

test('a login body with a control character in the name is a 400, not a database error', async () => {
  const res = await login('ali\u0000ce', 'whatever-password', '198.51.100.40');
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({ code: 'invalid_field', field: 'username' });
});

test.each([
  [undefined, 'unknown'],
  ['203.0.113.7', '203.0.113.7'],
  ['::ffff:203.0.113.7', '203.0.113.7'],
  ['2001:db8::1', '2001:db8:0:0::/64'],
  ['2001:DB8:0:0:ffff:1:2:3', '2001:db8:0:0::/64'],
  ['fe80::1%eth0', 'fe80:0:0:0::/64'],
  ['::1', '0:0:0:0::/64'],
  ['64:ff9b::203.0.113.7', '64:ff9b:0:0::/64'],
])('addressKey(%s) = %s', (ip, key) => {
  expect(addressKey(ip)).toBe(key);
});

test('X-Forwarded-For counts only from a trusted proxy (TRUST_PROXY): a client cannot pick the address its failures count against', async () => {
  // A deployment whose proxy is elsewhere: loopback (this test's client) is not trusted.
  const untrusted = createApp({ ...env.ctx, config: { ...env.config, trustProxy: '10.0.0.0/8' } });
  try {
    for (let i = 0; i < PER_ADDRESS; i++) {
      const res = await request(untrusted.app).post('/api/auth/login').set('X-Forwarded-For', `203.0.113.${i}`).send({ username: `xff-${i}`, password: 'password123' });
      expect(res.status).toBe(401);
    }
    const counted = await env.ctx.pool.query<{ address: string }>("SELECT DISTINCT address FROM login_failures WHERE account LIKE 'xff-%'");
    expect(counted.rows.map((r) => r.address)).toEqual(['127.0.0.1']);
  } finally {
    await untrusted.close();
  }
});
