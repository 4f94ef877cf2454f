import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Ajv2020, { type ErrorObject } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import request from 'supertest';
import { openApiPath } from '../../src/http/openapi';
import { groupOperations, schemaBrief } from '../../src/web/client/api-docs-model';
import type { RouteSpec } from '../../src/http/route-table';
import { startTestEnv, userWithToken, type TestEnv } from '../support/harness';
import { logIn, screenshot, startBrowserSystem } from '../browser/support';
import { version } from '../../package.json';

type Operation = {
  summary?: string;
  responses?: Record<string, unknown>;
  security?: unknown[];
  'x-permission'?: string;
  parameters?: { name: string; in: string; required: boolean; schema: object }[];
  requestBody?: { content: Record<string, { schema: object }> };
};
type Document = { openapi: string; info: { version: string }; paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, unknown> } };

let env: TestEnv;
let admin: string;
let doc: Document;

beforeAll(async () => {
  env = await startTestEnv();
  admin = await userWithToken(env, 'api-admin', 'admin');
  const res = await request(env.app).get('/api/openapi.json');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  doc = res.body as Document;
});
afterAll(() => env.close());

/** The routes of a table that the document has no operation for. */
const missingFrom = (d: Document, routes: readonly RouteSpec[]) => routes.filter((r) => !d.paths[openApiPath(r.path)]?.[r.method]).map((r) => `${r.method.toUpperCase()} ${r.path}`);

test('the document is public and names itself OpenAPI 3.1 of this version', () => {
  expect(doc.openapi).toBe('3.1.0');
  expect(doc.info.version).toBe(version);
  expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['bearerToken', 'sessionCookie']);
});

test('every route of the table is in the document with its method, and the document has nothing else', () => {
  expect(env.routes.length).toBeGreaterThan(50);
  expect(missingFrom(doc, env.routes)).toEqual([]);
  // The check bites: a document without one route is caught naming it.
  const lacking: Document = { ...doc, paths: { ...doc.paths, '/api/units/{code}': {} } };
  expect(missingFrom(lacking, env.routes)).toEqual(['PATCH /api/units/:code']);
  const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
  expect(documented.sort()).toEqual(env.routes.map((r) => `${r.method} ${openApiPath(r.path)}`).sort());
  // The tus protocol is there whole, discovery included.
  expect(Object.keys(doc.paths['/api/uploads']!).sort()).toEqual(['options', 'post']);
  expect(Object.keys(doc.paths['/api/uploads/{id}']!).sort()).toEqual(['delete', 'head', 'patch']);
});

test('every operation has a summary, responses, its permission, and security unless it is public', () => {
  const wrong: string[] = [];
  for (const route of env.routes) {
    const op = doc.paths[openApiPath(route.path)]![route.method]!;
    const name = `${route.method} ${route.path}`;
    if (!op.summary?.trim()) wrong.push(`${name}: no summary`);
    if (!op.responses || !Object.keys(op.responses).some((s) => /^2\d\d$/.test(s))) wrong.push(`${name}: no success response`);
    if (op['x-permission'] !== route.permission) wrong.push(`${name}: x-permission ${op['x-permission']}`);
    const secured = route.permission !== 'public';
    if (secured && JSON.stringify(op.security) !== JSON.stringify([{ bearerToken: [] }, { sessionCookie: [] }])) wrong.push(`${name}: security ${JSON.stringify(op.security)}`);
    if (!secured && op.security?.length !== 0) wrong.push(`${name}: public but secured`);
    if (secured && !op.responses?.['401']) wrong.push(`${name}: no 401`);
    if (route.body === 'json' && !op.requestBody?.content['application/json']) wrong.push(`${name}: JSON body undocumented`);
  }
  expect(wrong).toEqual([]);
  // Media answers a Range with 206; the document says so.
  expect(Object.keys(doc.paths['/api/recordings/{id}/original']!.get!.responses!)).toEqual(expect.arrayContaining(['200', '206']));
});

test('the document validates as OpenAPI 3.1', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'bce-openapi-'));
  const cli = path.join(__dirname, '../../node_modules/@seriousme/openapi-schema-validator/bin/validate-api-cli.js');
  try {
    const good = path.join(dir, 'openapi.json');
    await writeFile(good, JSON.stringify(doc));
    const { stdout } = await promisify(execFile)(process.execPath, [cli, good]);
    expect(JSON.parse(stdout)).toEqual({ valid: true });
    // The validator refuses what is not OpenAPI 3.1 (a response without its description), so its yes means something.
    const bad = path.join(dir, 'broken.json');
    await writeFile(bad, JSON.stringify({ ...doc, paths: { ...doc.paths, '/x': { get: { summary: 'x', responses: { '200': {} } } } } }));
    await expect(promisify(execFile)(process.execPath, [cli, bad])).rejects.toMatchObject({ code: 1 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// ── The document is the validator: what its schema accepts, the endpoint accepts; what it refuses, the endpoint
// refuses naming the same field.

const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);

/** The fields a JSON Schema validation blames, in the problem's `field` form (`activities.0.badgeNos`). */
function blamed(errors: ErrorObject[]): string[] {
  return errors.map((e) => {
    const at = e.instancePath.split('/').filter(Boolean);
    const extra = (e.params as { missingProperty?: string; additionalProperty?: string }).missingProperty ?? (e.params as { additionalProperty?: string }).additionalProperty;
    return [...at, ...(extra ? [extra] : [])].join('.');
  });
}

function bodySchema(method: string, p: string): object {
  const schema = doc.paths[p]?.[method]?.requestBody?.content['application/json']?.schema;
  if (!schema) throw new Error(`no JSON body documented for ${method} ${p}`);
  return schema;
}

type Case = [what: string, body: Record<string, unknown>];

async function agree(method: 'post' | 'put' | 'patch', documented: string, url: string, valid: Case[], invalid: Case[]) {
  const check = ajv.compile(bodySchema(method, documented));
  for (const [what, body] of valid) {
    expect([what, check(body), check.errors]).toEqual([what, true, null]);
    const res = await request(env.app)[method](url).set('Authorization', `Bearer ${admin}`).send(body);
    expect([what, res.status]).toEqual([what, expect.any(Number)]);
    expect([what, res.status >= 200 && res.status < 300, res.body]).toEqual([what, true, expect.anything()]);
  }
  for (const [what, body] of invalid) {
    expect([what, check(body)]).toEqual([what, false]);
    const res = await request(env.app)[method](url).set('Authorization', `Bearer ${admin}`).send(body);
    expect([what, res.status, res.headers['content-type']]).toEqual([what, 400, expect.stringMatching(/application\/problem\+json/)]);
    // The API names the field at fault by its path, as the schema's errors do (an unknown one nested too).
    expect([what, blamed(check.errors!)]).toEqual([what, expect.arrayContaining([res.body.field])]);
  }
}

test('POST /api/units: the documented body schema accepts and refuses as the endpoint does', async () => {
  await agree(
    'post',
    '/api/units',
    '/api/units',
    [
      ['a unit', { code: 'ZF9', name: '第九中队' }],
      ['another', { code: 'ZF-10', name: 'Tenth squad' }],
    ],
    [
      ['a code with a space', { code: 'ZF 1', name: 'x' }],
      ['no code', { name: 'x' }],
      ['a field the API does not know', { code: 'ZF11', name: 'x', colour: 'red' }],
      ['a name that is a number', { code: 'ZF11', name: 5 }],
    ],
  );
});

test('PUT /api/cases/{caseNo}: nested activities are checked the same way', async () => {
  const activity = { key: 'A1', type: 'inspection', badgeNos: ['100001'], startedAt: '2026-03-01T09:00:00+08:00', endedAt: '2026-03-01 09:30:00' };
  await env.ctx.pool.query("INSERT INTO officers (badge_no, name) VALUES ('100001', 'o') ON CONFLICT DO NOTHING");
  await agree(
    'put',
    '/api/cases/{caseNo}',
    `/api/cases/${encodeURIComponent('某交执罚〔2026〕1号')}`,
    [
      ['no activities', { kind: 'penalty', status: 'open', unitCode: 'ZF9', activities: [] }],
      ['one activity, local and offset times', { title: '超限运输', kind: 'penalty', status: 'closed', unitCode: 'ZF9', activities: [activity] }],
    ],
    [
      ['an unknown kind', { kind: 'parking', status: 'open', unitCode: 'ZF9', activities: [] }],
      ['an activity without badges', { kind: 'penalty', status: 'open', unitCode: 'ZF9', activities: [{ ...activity, badgeNos: undefined }] }],
      ['an activity with no badge', { kind: 'penalty', status: 'open', unitCode: 'ZF9', activities: [{ ...activity, badgeNos: [] }] }],
      ['an activity with a stray field', { kind: 'penalty', status: 'open', unitCode: 'ZF9', activities: [{ ...activity, officer: 'x' }] }],
      ['no status', { kind: 'penalty', unitCode: 'ZF9', activities: [] }],
    ],
  );
});

test('POST /api/spot-checks: the sample and the period are checked the same way', async () => {
  await agree(
    'post',
    '/api/spot-checks',
    '/api/spot-checks',
    [
      ['a ratio', { from: '2026-01-01', to: '2026-01-31', sample: { mode: 'ratio', value: 0.5 } }],
      ['per unit, with a seed and units', { from: '2026-02-01', to: '2026-02-28', unitCodes: ['ZF9'], sample: { mode: 'perUnit', value: 3 }, seed: 'round 2' }],
    ],
    [
      ['no sample', { from: '2026-01-01', to: '2026-01-31' }],
      ['a sample mode that does not exist', { from: '2026-01-01', to: '2026-01-31', sample: { mode: 'all', value: 1 } }],
      ['a date in another form', { from: '01/01/2026', to: '2026-01-31', sample: { mode: 'ratio', value: 0.5 } }],
      ['no units listed', { from: '2026-01-01', to: '2026-01-31', unitCodes: [], sample: { mode: 'ratio', value: 0.5 } }],
    ],
  );
});

test('a query parameter is documented with the bounds the endpoint enforces', async () => {
  const limit = doc.paths['/api/recordings']!.get!.parameters!.find((p) => p.name === 'limit' && p.in === 'query')!;
  const check = ajv.compile(limit.schema);
  for (const [value, ok] of [
    [5, true],
    [0, false],
    [501, false],
  ] as const) {
    expect([value, check(value)]).toEqual([value, ok]);
    const res = await request(env.app).get(`/api/recordings?limit=${value}`).set('Authorization', `Bearer ${admin}`);
    expect([value, res.status, res.body.field]).toEqual([value, ok ? 200 : 400, ok ? undefined : 'limit']);
  }
});

test('the docs page (/admin/api) lists every operation of the document under its tag, with its permission', () => {
  const tags = groupOperations(doc);
  const listed = tags.flatMap((tag) => tag.operations.map((op) => `${op.method} ${op.path} ${op.permission}`));
  expect(listed.sort()).toEqual(env.routes.map((r) => `${r.method} ${openApiPath(r.path)} ${r.permission}`).sort());
  expect(tags.map((tag) => tag.name)).toEqual(expect.arrayContaining(['Directory', 'Recordings', 'Uploads', 'Cases', 'Compliance']));
  const list = tags.find((tag) => tag.name === 'Recordings')!.operations.find((op) => op.method === 'get' && op.path === '/api/recordings')!;
  expect(schemaBrief(list.parameters.find((p) => p.name === 'limit')!.schema)).toBe('integer 1–500, default 100');
  const units = tags.find((tag) => tag.name === 'Directory')!.operations.find((op) => op.method === 'post' && op.path === '/api/units')!;
  expect(units.body.map((b) => b.type)).toEqual(['application/json']);
  expect(units.responses.map((r) => r.status)).toEqual(expect.arrayContaining(['201', '400', '401', '403']));
});

test('the docs page renders in the browser under the web UI’s CSP, reached from the admin tabs', async () => {
  const sys = await startBrowserSystem();
  try {
    const { page, close } = await sys.newSession();
    const problems: string[] = [];
    // The login page's own 401 (no session yet) is expected; a refused script or style is not.
    page.on('console', (m) => m.type() === 'error' && /Content Security Policy|Refused/i.test(m.text()) && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    await logIn(page, sys.base, 'root');
    await page.click('a[href="/admin/api"]');
    await page.waitForURL(/\/admin\/api$/);
    const operations = page.locator('[data-testid=api-operation]');
    await operations.first().waitFor();
    expect(await operations.count()).toBe(sys.system.env.routes.length);
    // An operation opens to its parameters and request schema.
    const putCase = operations.filter({ hasText: 'PUT' }).filter({ hasText: '/api/cases/{caseNo}' });
    await putCase.locator('summary').click();
    await expect(putCase.locator('pre').textContent()).resolves.toContain('"badgeNos"');
    await expect(putCase.textContent()).resolves.toContain('cases.write');
    await screenshot(page, 'admin-api-docs');
    expect(problems).toEqual([]);
    await close();
  } finally {
    await sys.close();
  }
}, 120_000);
