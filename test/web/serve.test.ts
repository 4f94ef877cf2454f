import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { indexHtml, mountWebUi } from '../../src/web/serve';
import { startTestEnv, type TestEnv } from '../support/harness';

// The API process serves the web application: the same page for every deep link (API.md), its assets from
// dist/web (built by the Jest global setup), and nothing that shadows the API, health or the queue board.
let env: TestEnv;
beforeAll(async () => {
  env = await startTestEnv({ BUREAU_TZ: 'Asia/Urumqi' });
});
afterAll(() => env.close());

test.each(['/login', '/cases/%E6%9F%90%E4%BA%A4%E6%89%A7%E7%BD%9A1%E5%8F%B7', '/recordings/0b9e4a1e-0000-4000-8000-000000000000', '/spot-checks/x', '/compliance', '/'])(
  'GET %s is the application page, with a CSP that allows nothing from elsewhere',
  async (url) => {
    const res = await request(env.app).get(url);
    expect(res.status).toBe(200);
    expect(res.type).toBe('text/html');
    expect(res.text).toMatch(/<script defer src="\/assets\/app\.js\?v=\d+"><\/script>/);
    expect(res.text).toContain('<meta name="bce-tz" content="Asia/Urumqi">');
    const csp = res.headers['content-security-policy'];
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/https?:/);
  },
);

test('the page references only assets the server has, and they are served', async () => {
  const page = await request(env.app).get('/cases');
  const refs = [...page.text.matchAll(/(?:src|href)="(\/assets\/[^"?]+)/g)].map((m) => m[1]!);
  expect(refs.sort()).toEqual(['/assets/app.css', '/assets/app.js']);
  const js = await request(env.app).get('/assets/app.js');
  expect(js.status).toBe(200);
  expect(js.type).toMatch(/javascript/);
  expect(js.text.length).toBeGreaterThan(1000);
  // No fetch of anything off this server: no absolute URL to another host is built into the bundle's imports.
  expect(js.text).not.toMatch(/(?:import|src=|href=)\s*["']https?:\/\//);
  const css = await request(env.app).get('/assets/app.css');
  expect(css.status).toBe(200);
  expect(css.text).not.toMatch(/@import|url\(["']?https?:/);
});

test('what is not a page is not answered with the page', async () => {
  const api = await request(env.app).get('/api/no-such-route');
  expect(api.status).toBe(404);
  expect(api.type).toBe('application/problem+json');
  expect((await request(env.app).get('/assets/no-such.js')).status).toBe(404);
  expect((await request(env.app).get('/healthz')).type).toBe('application/json');
  // The queue board is admin-only and is not shadowed by the application's /admin pages.
  expect((await request(env.app).get('/admin/queues')).status).toBe(401);
  const post = await request(env.app).post('/cases').send({});
  expect(post.status).toBe(404);
  expect(post.type).toBe('application/problem+json');
});

test('without a built bundle the page says how to build it', async () => {
  const empty = await mkdtemp(path.join(tmpdir(), 'bce-web-'));
  try {
    const app = express();
    mountWebUi(app, { bureauTz: 'Asia/Shanghai', dir: empty });
    const res = await request(app).get('/compliance');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ code: 'web_ui_not_built' });
  } finally {
    await rm(empty, { recursive: true, force: true });
  }
});

test('the zone is written into the page as an attribute, escaped', () => {
  expect(indexHtml('a"<b', '1')).toContain('content="a&quot;&lt;b"');
});
