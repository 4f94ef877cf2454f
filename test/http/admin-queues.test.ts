import request from 'supertest';
import { ROLES, type Role } from '../../src/auth/roles';
import { createApp } from '../../src/http/app';
import { JOB_NAMES } from '../../src/queue/jobs';
import { startTestEnv, userWithToken, type TestEnv } from '../support/harness';

// /admin/queues is not in the RouteTable, so the role matrix does not reach it: the roles are covered here.
const BOARD = '/admin/queues';

let env: TestEnv;
let admin: string;
let adminCookie: string;
const tokens = new Map<Role, string>();

beforeAll(async () => {
  env = await startTestEnv();
  await env.ctx.pool.query("INSERT INTO officers (badge_no, name) VALUES ('100001', 'o')");
  for (const role of ROLES) tokens.set(role, await userWithToken(env, `u-${role}`, role, role === 'officer' ? { badgeNo: '100001' } : {}));
  admin = tokens.get('admin')!;
  const login = await request(env.app).post('/api/auth/login').send({ username: 'u-admin', password: 'pw-u-admin-long-enough' });
  adminCookie = (login.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
});
afterAll(() => env.close());

const asAdmin = (path: string) => request(env.app).get(`${BOARD}${path}`).set('Authorization', `Bearer ${admin}`);

test('anonymous callers get a 401 problem, for the page and for its API', async () => {
  for (const path of ['', '/', '/api/queues', '/static/favicon-32x32.png']) {
    const res = await request(env.app).get(`${BOARD}${path}`);
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(res.text).code).toBe('unauthenticated');
  }
  const bad = await request(env.app).get(BOARD).set('Authorization', 'Bearer bce_garbage');
  expect(bad.status).toBe(401);
  expect(JSON.parse(bad.text).detail).toMatch(/invalid, expired or revoked/);
});

test('every role but admin is refused with 403', async () => {
  for (const role of ROLES.filter((r) => r !== 'admin')) {
    for (const path of ['', '/api/queues']) {
      const res = await request(env.app).get(`${BOARD}${path}`).set('Authorization', `Bearer ${tokens.get(role)}`);
      expect([role, path, res.status]).toEqual([role, path, 403]);
      expect(JSON.parse(res.text).code).toBe('forbidden');
    }
  }
});

test('an admin gets the board page, and the assets it links load', async () => {
  const res = await asAdmin('');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/html/);
  expect(res.headers['x-powered-by']).toBeUndefined();
  expect(res.text).toContain('<base href="/admin/queues/"');
  const assets = [...res.text.matchAll(/(?:src|href)="(static\/[^"]+)"/g)].map((m) => m[1]!);
  expect(assets.length).toBeGreaterThan(2);
  for (const asset of assets) expect([asset, (await asAdmin(`/${asset}`)).status]).toEqual([asset, 200]);
  // Deep links of the single-page app render the same page.
  expect((await asAdmin('/queue/ping')).status).toBe(200);
});

test('the board API lists exactly the queues of JOB_NAMES', async () => {
  const res = await asAdmin('/api/queues');
  expect(res.status).toBe(200);
  const names = (res.body.queues as { name: string }[]).map((q) => q.name);
  expect(names.sort()).toEqual([...JOB_NAMES].sort());
  // The session cookie reads too: that is how the page's own script calls it.
  const viaCookie = await request(env.app).get(`${BOARD}/api/queues`).set('Cookie', adminCookie);
  expect(viaCookie.status).toBe(200);
});

test('a change made with the session cookie must come from this site', async () => {
  const cookiePut = () => request(env.app).put(`${BOARD}/api/queues/ping/pause`).set('Cookie', adminCookie);
  const refused = [
    request(env.app).post(`${BOARD}/api/queues/ping/add`).set('Cookie', adminCookie).send({ name: 'ping', data: {} }),
    cookiePut(),
    cookiePut().set('Sec-Fetch-Site', 'cross-site'),
    cookiePut().set('Sec-Fetch-Site', 'same-site'),
    cookiePut().set('Host', 'board.example').set('Origin', 'https://evil.example'),
    cookiePut().set('Origin', 'null'),
  ];
  for (const res of await Promise.all(refused)) {
    expect(res.status).toBe(403);
    expect(JSON.parse(res.text).code).toBe('csrf');
  }
  expect((await asAdmin('/api/queues')).body.queues.find((q: { name: string }) => q.name === 'ping').isPaused).toBe(false);

  // bull-board's UI sends no X-Requested-With; its browser still proves the origin.
  expect((await cookiePut().set('Sec-Fetch-Site', 'same-origin')).status).toBe(200);
  expect((await asAdmin('/api/queues')).body.queues.find((q: { name: string }) => q.name === 'ping').isPaused).toBe(true);
  const resume = () => request(env.app).put(`${BOARD}/api/queues/ping/resume`).set('Cookie', adminCookie);
  expect((await resume().set('Host', 'board.example').set('Origin', 'https://board.example')).status).toBe(200);
  expect((await resume().set('X-Requested-With', 'fetch')).status).toBe(200);
  // A bearer token is never sent by a browser on its own: no CSRF ceremony.
  expect((await request(env.app).put(`${BOARD}/api/queues/ping/resume`).set('Authorization', `Bearer ${admin}`)).status).toBe(200);
  // Other roles are refused before the CSRF check says anything.
  const officer = await request(env.app).put(`${BOARD}/api/queues/ping/pause`).set('Authorization', `Bearer ${tokens.get('officer')}`);
  expect(officer.status).toBe(403);
  expect(JSON.parse(officer.text).code).toBe('forbidden');
});

test('with Redis down the app starts, the page loads and closing does not hang', async () => {
  const dead = { ...env.ctx, config: { ...env.config, redis: { ...env.config.redis, url: 'redis://127.0.0.1:1' } } };
  const down = createApp(dead);
  try {
    const page = await request(down.app).get(BOARD).set('Authorization', `Bearer ${admin}`);
    expect(page.status).toBe(200);
    // Answered within the wait for a first connection, not held until Redis is back.
    const started = Date.now();
    const api = await request(down.app).get(`${BOARD}/api/queues`).set('Authorization', `Bearer ${admin}`);
    expect(api.status).toBe(503);
    expect(api.headers['retry-after']).toBe('10');
    expect(JSON.parse(api.text).code).toBe('queues_unavailable');
    expect(Date.now() - started).toBeLessThan(10_000);
  } finally {
    await down.close();
  }
  const after = await request(down.app).get(BOARD).set('Authorization', `Bearer ${admin}`);
  expect(after.status).toBe(503);
});
