import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createApp } from '../../src/http/app';
import { makeClip } from '../fixtures/clips';
import { seedBureau } from '../support/bureau';
import { startTestEnv, userWithToken, type TestEnv } from '../support/harness';

// HTTP security (issue 8): helmet's headers on every kind of response, strict CORS, no internals in any error,
// and tokens that end when they should. Login throttling is in login-throttle.test.ts; logout, session expiry
// and station-token revocation in test/http/sessions.test.ts; weak passwords at creation and deactivation
// ending sessions in test/directory/directory-api.test.ts.

const ALLOWED = 'https://review.example.gov';
const FOREIGN = 'https://evil.example';

let env: TestEnv;
let tokens: Awaited<ReturnType<typeof seedBureau>>;
let recordingId: string;
let dir: string;

beforeAll(async () => {
  env = await startTestEnv({ CORS_ORIGINS: ALLOWED });
  tokens = await seedBureau(env);
  dir = await mkdtemp(path.join(tmpdir(), 'bce-headers-'));
  const clip = await makeClip(dir, 'DSJ0001_20250504_091000_0001.MP4');
  const up = await request(env.app).post('/api/recordings').set('Authorization', `Bearer ${tokens.station}`).attach('file', clip);
  expect(up.status).toBe(201);
  recordingId = up.body.recordings[0].id;
}, 60_000);
afterAll(async () => {
  await env?.close();
  await rm(dir, { recursive: true, force: true });
});

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const NOT_A_DOCUMENT_CSP = "default-src 'none';frame-ancestors 'none'";

function expectHelmet(res: request.Response, what: string): void {
  const h = res.headers;
  expect([what, h['x-content-type-options']]).toEqual([what, 'nosniff']);
  expect([what, h['x-frame-options']]).toEqual([what, 'DENY']);
  expect([what, h['referrer-policy']]).toEqual([what, 'no-referrer']);
  expect([what, h['cross-origin-opener-policy']]).toEqual([what, 'same-origin']);
  expect([what, h['cross-origin-resource-policy']]).toEqual([what, 'same-origin']);
  expect([what, h['content-security-policy']]).toEqual([what, expect.stringContaining("frame-ancestors 'none'")]);
  // Plain HTTP here: no HSTS (see the HTTPS test below), and nothing that names the framework.
  expect([what, h['strict-transport-security'], h['x-powered-by']]).toEqual([what, undefined, undefined]);
}

describe('security headers', () => {
  test('every kind of response carries them; whatever is not the page runs nothing', async () => {
    const cases: [string, request.Test, number][] = [
      ['API JSON', request(env.app).get('/api/units').set(bearer(tokens.admin)), 200],
      ['problem 404', request(env.app).get('/api/no-such-thing').set(bearer(tokens.admin)), 404],
      ['problem 401', request(env.app).get('/api/units'), 401],
      ['problem 400', request(env.app).post('/api/units').set(bearer(tokens.admin)).send({ code: '' }), 400],
      ['media range', request(env.app).get(`/api/recordings/${recordingId}/original`).set(bearer(tokens.admin)).set('Range', 'bytes=0-99'), 206],
      ['health', request(env.app).get('/healthz'), 200],
      ['asset', request(env.app).get('/assets/app.js'), 200],
      ['missing asset', request(env.app).get('/assets/nothing.js'), 404],
      ['non-API 404', request(env.app).post('/cases').send({}), 404],
    ];
    for (const [what, req, status] of cases) {
      const res = await req;
      expect([what, res.status]).toEqual([what, status]);
      expectHelmet(res, what);
      expect([what, res.headers['content-security-policy']]).toEqual([what, NOT_A_DOCUMENT_CSP]);
    }
  });

  test('the web UI page keeps its own strict policy, set the same way', async () => {
    const res = await request(env.app).get('/cases');
    expect(res.status).toBe(200);
    expectHelmet(res, 'page');
    const csp = res.headers['content-security-policy'] as string;
    expect(csp.split(';')).toEqual(
      expect.arrayContaining(["default-src 'self'", "script-src 'self'", "connect-src 'self'", "media-src 'self' blob:", "base-uri 'none'"]),
    );
    expect(csp).not.toMatch(/https?:|unsafe-eval/);
  });

  test('the queue board gets a policy its page works under: own scripts only, its <base>, no inline code', async () => {
    const res = await request(env.app).get('/admin/queues').set(bearer(tokens.admin));
    expect(res.status).toBe(200);
    expectHelmet(res, 'board');
    const csp = (res.headers['content-security-policy'] as string).split(';');
    expect(csp).toEqual(expect.arrayContaining(["script-src 'self'", "base-uri 'self'", "connect-src 'self'"]));
    // Every script the page has is a file of this server or a data block, which CSP does not run.
    const scripts = [...res.text.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(1);
    for (const attrs of scripts) expect(attrs).toMatch(/\bsrc="static\/|type="application\/json"/);
    expect(res.text).not.toMatch(/\son[a-z]+=/i);
  });

  test('HSTS is sent when the deployment is on HTTPS (SESSION_COOKIE_SECURE)', async () => {
    const https = createApp({ ...env.ctx, config: { ...env.config, auth: { ...env.config.auth, cookieSecure: true } } });
    try {
      for (const res of [await request(https.app).get('/healthz'), await request(https.app).get('/cases'), await request(https.app).get('/api/units')]) {
        expect(res.headers['strict-transport-security']).toBe('max-age=15552000');
      }
    } finally {
      await https.close();
    }
  });
});

describe('CORS', () => {
  test('an allowed origin gets its origin back, with credentials and the upload headers exposed', async () => {
    const res = await request(env.app).get('/api/units').set(bearer(tokens.admin)).set('Origin', ALLOWED);
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers.vary).toMatch(/\bOrigin\b/);
    const exposed = String(res.headers['access-control-expose-headers']).split(/,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(['Location', 'Upload-Offset', 'Upload-Length', 'Tus-Resumable', 'X-Recording-Id', 'X-Content-SHA256']));
  });

  test('a browser uploader on an allowed origin: its preflight is approved and its tus upload is created', async () => {
    const preflight = await request(env.app)
      .options('/api/uploads')
      .set('Origin', ALLOWED)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization, tus-resumable, upload-length, upload-metadata');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(preflight.headers['access-control-allow-methods']).toEqual(expect.stringContaining('PATCH'));
    const allowedHeaders = String(preflight.headers['access-control-allow-headers']).toLowerCase().split(/,\s*/);
    expect(allowedHeaders).toEqual(expect.arrayContaining(['authorization', 'tus-resumable', 'upload-length', 'upload-metadata', 'upload-offset', 'x-requested-with']));

    const created = await request(env.app)
      .post('/api/uploads')
      .set(bearer(tokens.station))
      .set('Origin', ALLOWED)
      .set('Tus-Resumable', '1.0.0')
      .set('Upload-Length', '1000')
      .set('Upload-Metadata', `filename ${Buffer.from('DSJ0001_20250504_100000_0001.MP4').toString('base64')}`);
    expect(created.status).toBe(201);
    expect(created.headers.location).toMatch(/^\/api\/uploads\//);
    expect(created.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(String(created.headers['access-control-expose-headers'])).toContain('Location');
    await request(env.app).delete(created.headers.location!).set(bearer(tokens.station)).set('Tus-Resumable', '1.0.0');
  });

  test('a foreign origin gets no approval: reads lack CORS headers, preflights and changes are refused before anything happens', async () => {
    const read = await request(env.app).get('/api/units').set(bearer(tokens.admin)).set('Origin', FOREIGN);
    expect(read.status).toBe(200);
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
    expect(read.headers['access-control-allow-credentials']).toBeUndefined();
    expect(read.headers.vary).toMatch(/\bOrigin\b/);

    const preflight = await request(env.app).options('/api/units').set('Origin', FOREIGN).set('Access-Control-Request-Method', 'POST');
    expect(preflight.status).toBe(403);
    expect(preflight.body.code).toBe('cross_origin');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(preflight.headers['access-control-allow-methods']).toBeUndefined();

    const before = await env.ctx.pool.query('SELECT count(*)::int AS n FROM units');
    const failuresBefore = await env.ctx.pool.query('SELECT count(*)::int AS n FROM login_failures');
    for (const [origin, req] of [
      [FOREIGN, request(env.app).post('/api/units').set(bearer(tokens.admin))],
      ['null', request(env.app).post('/api/units').set(bearer(tokens.admin))],
      [`${ALLOWED}.evil.example`, request(env.app).post('/api/units').set(bearer(tokens.admin))],
      [FOREIGN, request(env.app).post('/api/auth/login')],
    ] as const) {
      const res = await req.set('Origin', origin).send({ code: 'ZF9', name: 'x', username: 'root', password: 'guess-guess' });
      expect([origin, res.status, res.body.code]).toEqual([origin, 403, 'cross_origin']);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    }
    // Nothing was created, and not even a login attempt was counted.
    expect((await env.ctx.pool.query('SELECT count(*)::int AS n FROM units')).rows[0]).toEqual(before.rows[0]);
    expect((await env.ctx.pool.query('SELECT count(*)::int AS n FROM login_failures')).rows[0]).toEqual(failuresBefore.rows[0]);
  });

  test("this server's own pages, and clients that send no Origin (stations), are not affected", async () => {
    // The browser names the page's origin, the host asked for (directly, or via a proxy on loopback) ...
    const own = await request(env.app).post('/api/units').set(bearer(tokens.admin)).set('Host', 'evidence.bureau').set('Origin', 'http://evidence.bureau').send({ code: 'ZF5', name: 'a' });
    expect(own.status).toBe(201);
    expect(own.headers['access-control-allow-origin']).toBeUndefined();
    const proxied = await request(env.app)
      .post('/api/units')
      .set(bearer(tokens.admin))
      .set('Host', '127.0.0.1:3000')
      .set('X-Forwarded-Host', 'evidence.bureau')
      .set('Origin', 'https://evidence.bureau')
      .send({ code: 'ZF6', name: 'b' });
    expect(proxied.status).toBe(201);
    // ... or says so itself (Sec-Fetch-Site cannot be set by a page), even behind a proxy that rewrote Host.
    const fetchMeta = await request(env.app)
      .post('/api/units')
      .set(bearer(tokens.admin))
      .set('Host', '127.0.0.1:3000')
      .set('Origin', 'https://evidence.bureau')
      .set('Sec-Fetch-Site', 'same-origin')
      .send({ code: 'ZF7', name: 'c' });
    expect(fetchMeta.status).toBe(201);
    // A docking station or integration: bearer token, no Origin.
    expect((await request(env.app).post('/api/units').set(bearer(tokens.admin)).send({ code: 'ZF8', name: 'd' })).status).toBe(201);
  });
});

describe('no internals in any error', () => {
  // What a stack trace, a query or a file path would look like in a body.
  const INTERNALS = /\n\s+at |stack|node_modules|\/work\/|\.ts:\d|\.js:\d|SELECT |relation "|syntax error|<pre>|Cannot (GET|POST|PATCH|DELETE)/i;

  function expectCleanProblem(res: request.Response, what: string, status: number): void {
    expect([what, res.status]).toEqual([what, status]);
    expect([what, res.type]).toEqual([what, 'application/problem+json']);
    expect([what, INTERNALS.test(res.text)]).toEqual([what, false]);
    expect([what, Object.keys(res.body).every((k) => ['type', 'title', 'status', 'code', 'detail', 'field'].includes(k))]).toEqual([what, true]);
    expectHelmet(res, what);
  }

  test('an internal error is a bare 500 problem, logged here with its details', async () => {
    const logged = jest.spyOn(env.ctx.logger, 'error');
    // A table the catalog needs is gone (a botched manual migration): every query on it fails in PostgreSQL.
    await env.ctx.pool.query('ALTER TABLE units RENAME TO units_moved_away');
    try {
      const res = await request(env.app).get('/api/units').set(bearer(tokens.admin));
      expectCleanProblem(res, 'missing table', 500);
      expect(res.body.code).toBe('internal');
      expect(res.text).not.toContain('units_moved_away');
      expect(res.text).not.toContain('units');
      expect(logged).toHaveBeenCalledWith(expect.objectContaining({ err: expect.objectContaining({ message: expect.stringContaining('relation') }) }), 'unhandled error');
    } finally {
      await env.ctx.pool.query('ALTER TABLE units_moved_away RENAME TO units');
      logged.mockRestore();
    }
    expect((await request(env.app).get('/api/units').set(bearer(tokens.admin))).status).toBe(200);
  });

  test('malformed URLs, bodies and cookies get problems, never the framework error page', async () => {
    const cases: [string, request.Test, number][] = [
      ['bad escape in an API parameter', request(env.app).get('/api/cases/%E0%A4%A').set(bearer(tokens.admin)), 400],
      ['bad escape in a recording id', request(env.app).get('/api/recordings/%ZZ/original').set(bearer(tokens.admin)), 400],
      ['bad escape in an asset path', request(env.app).get('/assets/%%'), 400],
      ['traversal in an asset path', request(env.app).get('/assets/..%2f..%2fpackage.json'), 403],
      ['malformed JSON', request(env.app).post('/api/units').set(bearer(tokens.admin)).set('Content-Type', 'application/json').send('{"code": '), 400],
      ['JSON of the wrong shape', request(env.app).post('/api/units').set(bearer(tokens.admin)).send([1, 2]), 400],
      ['bad escape in the session cookie', request(env.app).get('/api/auth/me').set('Cookie', 'bce_session=%E0%A4%A'), 401],
      ['unknown method', request(env.app).delete('/').set(bearer(tokens.admin)), 404],
      ['unknown method on the API', request(env.app).put('/api/auth/login').send({}), 404],
    ];
    for (const [what, req, status] of cases) expectCleanProblem(await req, what, status);
  });

  test('a header block too large is refused by the server before the app, with no body at all', async () => {
    const res = await request(env.app).get('/api/units').set('Cookie', `bce_session=${'a'.repeat(20_000)}`);
    expect(res.status).toBe(431);
    expect(res.text).toBe('');
  });
});

describe('tokens end when they should; passwords have a policy', () => {
  const login = (username: string, password: string) => request(env.app).post('/api/auth/login').send({ username, password });
  const me = (token: string) => request(env.app).get('/api/auth/me').set(bearer(token));
  const patchUser = (username: string, body: object) => request(env.app).patch(`/api/users/${username}`).set(bearer(tokens.admin)).send(body);

  test('a session lasts SESSION_TTL_HOURS, in the cookie and in the catalog', async () => {
    const res = await login('sup-zf1', 'pw-sup-zf1-long-enough');
    expect(String(res.headers['set-cookie'])).toMatch(/Max-Age=43200\b/);
    const row = await env.ctx.pool.query(
      "SELECT extract(epoch FROM expires_at - created_at)::int AS s FROM auth_tokens WHERE kind = 'session' ORDER BY id DESC LIMIT 1",
    );
    expect(row.rows[0].s).toBe(env.config.auth.sessionTtlMs / 1000);
  });

  test("an admin's password change ends that user's sessions at once, not the admin's", async () => {
    const gina = await userWithToken(env, 'gina', 'reviewer');
    const second = (await login('gina', 'pw-gina-long-enough')).body.token as string;
    expect((await me(gina)).status).toBe(200);
    expect((await patchUser('gina', { password: 'a new passphrase' })).status).toBe(200);
    expect((await me(gina)).status).toBe(401);
    expect((await me(second)).status).toBe(401);
    expect((await me(tokens.admin)).status).toBe(200);
    expect((await login('gina', 'pw-gina-long-enough')).status).toBe(401);
    expect((await login('gina', 'a new passphrase')).status).toBe(200);
  });

  test('a weak password is refused and changes nothing', async () => {
    const hank = await userWithToken(env, 'hank', 'reviewer');
    for (const password of ['short', 'aaaaaaaaaaaa', '执法记录仪执法', 'x'.repeat(257)]) {
      const res = await patchUser('hank', { password });
      expect([password, res.status, res.body.field]).toEqual([password, 400, 'password']);
    }
    // The length is counted in characters, not bytes: ten CJK characters pass, seven (21 bytes) did not.
    expect((await me(hank)).status).toBe(200);
    expect((await login('hank', 'pw-hank-long-enough')).status).toBe(200);
    expect((await patchUser('hank', { password: '执法记录仪证据管理系' })).status).toBe(200);
    expect((await login('hank', '执法记录仪证据管理系')).status).toBe(200);
  });

  test("a role change ends the user's sessions; deactivating a station ends its machine token, and reactivating does not revive it", async () => {
    const ivy = await userWithToken(env, 'ivy', 'reviewer');
    expect((await patchUser('ivy', { role: 'supervisor' })).status).toBe(200);
    expect((await me(ivy)).status).toBe(401);
    expect((await login('ivy', 'pw-ivy-long-enough')).body.user.role).toBe('supervisor');

    await userWithToken(env, 'dock-09', 'station');
    const machine = (await request(env.app).post('/api/users/dock-09/tokens').set(bearer(tokens.admin))).body.token as string;
    expect((await me(machine)).status).toBe(200);
    // A password change is about people logging in: the station's machine token goes on working.
    expect((await patchUser('dock-09', { password: 'another long secret' })).status).toBe(200);
    expect((await me(machine)).status).toBe(200);
    expect((await patchUser('dock-09', { active: false })).status).toBe(200);
    expect((await me(machine)).status).toBe(401);
    expect((await patchUser('dock-09', { active: true })).status).toBe(200);
    expect((await me(machine)).status).toBe(401);
  });
});
