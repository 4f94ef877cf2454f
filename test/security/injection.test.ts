import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { caseWith, fakeMp4, ingest } from '../evidence/helpers';
import { seedBureau } from '../support/bureau';
import { listen } from '../support/listen';
import { startTestEnv, type TestEnv } from '../support/harness';
import { tableCounts } from './support';

// SQL injection: every route of the table is walked with an admin token and classic payloads in every query
// parameter it reads and in every path parameter. Parameters are bound by pg, so the payload is only ever a
// literal that matches nothing: never a 500, never more rows than a harmless literal gets, and every table is
// still there afterwards with the rows it had.

let env: TestEnv;
let tokens: Awaited<ReturnType<typeof seedBureau>>;
let server: Awaited<ReturnType<typeof listen>>;
const real: Record<string, string> = {};

const cursorOf = (tie: string) => Buffer.from(`2026-03-01T00:00:00.000Z|${tie}`).toString('base64url');

const PAYLOADS = [
  "' OR 1=1--",
  "' OR '1'='1",
  '1; DROP TABLE recordings',
  "x'; DROP TABLE recordings; --",
  "') UNION SELECT username, password_hash FROM users--",
  "'; SELECT pg_sleep(30)--",
  '%27',
  '\\',
  "\\'",
  '"',
  '\u2019 OR \u20181\u2019=\u20181',
  '＇ OR １=１ --',
  '$1',
  '$$; DROP TABLE users; $$',
  '%',
  '_',
  'a\u0000b',
  '\u202e\u200b',
  'x'.repeat(5000),
  // A cursor is decoded before use: one that decodes to an injection is still a literal.
  cursorOf("' OR 1=1--"),
  cursorOf('ZF1-2026-001\u0000'),
];
// Already percent-encoded path segments: NUL, bytes that are not UTF-8, a cut escape, dot segments.
const RAW_SEGMENTS = ['%00', '%FF', '%E0%A4%A', '%', '..%2F..%2Fetc%2Fpasswd', '%2e%2e', "%27%20OR%201%3D1--"];
const HARMLESS = 'zzzz-no-match';

beforeAll(async () => {
  env = await startTestEnv();
  tokens = await seedBureau(env);
  server = await listen(env.app);
  // Something in every list, so that a payload that widened a query would show more rows.
  const ids = [];
  for (let i = 0; i < 3; i++) ids.push(await ingest(env, tokens.station, `DSJ0001_100001_2026030108${i}000_000${i}.MP4`, fakeMp4(4096 + i)));
  await caseWith(env, tokens, 'INJ-1', ids);
  const check = await request(env.app)
    .post('/api/spot-checks')
    .set('Authorization', `Bearer ${tokens.admin}`)
    .send({ from: '2026-03-01', to: '2026-03-31', sample: { mode: 'ratio', value: 1 } });
  if (check.status !== 201) throw new Error(`spot check: ${check.status} ${JSON.stringify(check.body)}`);
  Object.assign(real, { recording: ids[0]!, spotCheck: check.body.id });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await env?.close();
});

/** A value of each path parameter that exists, so a query parameter is read past the lookup of the path. */
function realParam(path: string, name: string): string {
  if (name === 'id') return path.startsWith('/api/recordings') ? real.recording! : path.startsWith('/api/spot-checks') ? real.spotCheck! : randomUUID();
  return { caseNo: 'INJ-1', badgeNo: '100001', serial: 'DSJ0001', username: 'root', code: 'ZF1', itemId: '1', format: 'html', recordingId: real.recording! }[name] ?? 'X-1';
}
// These serve bytes and put each read on the custody record (or export a package): walked with ids that do not exist.
const SERVES_BYTES = /\/(original|proxy|thumbnail|export)$/;
const pathWith = (path: string, values: (name: string) => string) =>
  path.replace(/:([A-Za-z]+)/g, (_m, name: string) => (SERVES_BYTES.test(path) && name !== 'format' ? 'X-1' : values(name)));

interface Answer {
  status: number;
  rows: number | null;
  code?: string;
  field?: string;
}

async function call(method: string, url: string): Promise<Answer> {
  const res = await fetch(`${server.base}${url}`, {
    method: method.toUpperCase(),
    headers: { Authorization: `Bearer ${tokens.admin}`, 'Content-Type': 'application/json' },
    body: method === 'get' || method === 'head' || method === 'delete' ? undefined : '{}',
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  if (type.startsWith('application/problem+json') && text) {
    const problem = JSON.parse(text) as { code: string; field?: string };
    return { status: res.status, rows: null, code: problem.code, field: problem.field };
  }
  let rows: number | null = null;
  if (type.startsWith('application/json')) {
    // Rows: the length of every list in the answer (items, units, officers, …).
    const body = JSON.parse(text) as unknown;
    const lists = Array.isArray(body) ? [body] : Object.values(body as Record<string, unknown>).filter(Array.isArray);
    rows = lists.reduce((n, l) => n + l.length, 0);
  }
  return { status: res.status, rows };
}

/** The query parameter names used anywhere in the API (API.md, src/http/validate.ts and the routes' schemas), and some it does not use. */
const QUERY_PARAMS = ['badgeNo', 'recorderSerial', 'unitCode', 'caseNo', 'status', 'from', 'to', 'limit', 'cursor', 'q', 'recordingId', 'afterSeq', 'kind', 'at', 'reason', 'id', 'sort'];

test('every GET route, every query parameter it reads, every payload: no 500, no more rows than a harmless literal gets', async () => {
  const before = await tableCounts(env);
  const gets = env.routes.filter((r) => r.method === 'get');
  expect(gets.length).toBeGreaterThan(20);
  const wrong: string[] = [];
  let requests = 0;
  let walked = 0;
  for (const route of gets) {
    const base = pathWith(route.path, (name) => realParam(route.path, name));
    const unfiltered = await call('get', base);
    for (const param of QUERY_PARAMS) {
      // A cursor's harmless literal is one in the shape the API gives out.
      const control = await call('get', `${base}?${param}=${param === 'cursor' ? cursorOf(HARMLESS) : HARMLESS}`);
      requests++;
      // A route that names this parameter unknown does not read it, nor does one whose answer it does not change
      // (every list has rows, so a filter that matches nothing changes it; a value of the wrong shape is a 400).
      if (control.code === 'unknown_field' && control.field === param) continue;
      if (control.status === unfiltered.status && control.rows === unfiltered.rows && control.code === unfiltered.code) continue;
      walked++;
      const queries = [...PAYLOADS.map((p) => `${param}=${encodeURIComponent(p)}`), `${param}=${encodeURIComponent(PAYLOADS[0]!)}&${param}=${encodeURIComponent(PAYLOADS[3]!)}`];
      for (const query of queries) {
        const res = await call('get', `${base}?${query}`);
        requests++;
        const label = `GET ${base}?${query.slice(0, 60)}`;
        if (res.status >= 500) wrong.push(`${label} → ${res.status}`);
        else if (res.status < 400) {
          // Accepted as a value: it may match no more than the harmless literal does, nor more than no filter at all.
          if (control.status >= 400) wrong.push(`${label} → ${res.status}, where ${HARMLESS} is refused with ${control.status}`);
          else if (res.rows !== control.rows || (unfiltered.rows !== null && res.rows !== null && res.rows > unfiltered.rows)) {
            wrong.push(`${label} → ${res.rows} rows, ${HARMLESS} → ${control.rows}, unfiltered → ${unfiltered.rows}`);
          }
        }
      }
    }
  }
  console.log(`SQL injection walk: ${walked} (route, query parameter) pairs read, ${requests} requests`);
  expect(wrong).toEqual([]);
  // The walk reached the filters (a route table of GETs that read nothing would pass vacuously).
  expect(walked).toBeGreaterThanOrEqual(30);
  expect(requests).toBeGreaterThan(1000);
  const after = await tableCounts(env);
  expect(after).toEqual(before);
  expect(after.recordings).toBe(3);
}, 300_000);

test('every route, every path parameter, every payload (and raw escapes): never a server error, nothing changed', async () => {
  const before = await tableCounts(env);
  const wrong: string[] = [];
  for (const route of env.routes.filter((r) => r.path.includes(':'))) {
    for (const target of [...route.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!)) {
      if (target === 'format') continue;
      const segments = [...PAYLOADS.map((p) => encodeURIComponent(p)), ...RAW_SEGMENTS];
      for (const segment of segments) {
        const url = route.path.replace(/:([A-Za-z]+)/g, (_m, name: string) => (name === target ? segment : realParam(route.path, name)));
        const res = await call(route.method, url);
        if (res.status >= 500 || res.status < 400) wrong.push(`${route.method.toUpperCase()} ${url.slice(0, 80)} → ${res.status}`);
      }
    }
  }
  expect(wrong).toEqual([]);
  expect(await tableCounts(env)).toEqual(before);
}, 300_000);

test('login with an injection for a name or a password is refused like any wrong password', async () => {
  for (const [username, password] of [
    ["' OR '1'='1", "' OR '1'='1"],
    ["root'--", 'x'],
    ['root', "' OR 1=1--"],
    ['root', "anything' OR 'x'='x"],
  ]) {
    const res = await request(env.app).post('/api/auth/login').send({ username, password });
    expect({ username, status: res.status, code: res.body.code, token: res.body.token }).toEqual({ username, status: 401, code: 'invalid_credentials', token: undefined });
  }
  const lookup = await request(env.app).post('/api/recordings/lookup').set('Authorization', `Bearer ${tokens.station}`).send({ sha256: ["' OR 1=1--"] });
  expect([lookup.status, lookup.body.field]).toEqual([400, 'sha256.0']);
});
