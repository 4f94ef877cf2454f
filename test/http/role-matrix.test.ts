import request from 'supertest';
import { issueToken } from '../../src/auth/tokens';
import { ROLES, type Role } from '../../src/auth/roles';
import { createUser } from '../../src/directory/users';
import { startTestEnv, type TestEnv } from '../support/harness';

// API.md's table of who may do what, written out per route independently of src/auth/roles.ts: a route
// added without a row here fails, and so does a permission that drifts from the contract.
const ALL: Role[] = [...ROLES];
const ADMIN: Role[] = ['admin'];
const DIRECTORY_READERS: Role[] = ['admin', 'supervisor', 'reviewer'];
const UPLOADERS: Role[] = ['admin', 'officer', 'station'];

const EXPECTED: Record<string, Role[] | 'public'> = {
  'POST /api/auth/login': 'public',
  'POST /api/auth/logout': ALL,
  'POST /api/auth/password': ALL,
  'GET /api/auth/me': ALL,
  'GET /api/units': DIRECTORY_READERS,
  'POST /api/units': ADMIN,
  'PATCH /api/units/:code': ADMIN,
  'GET /api/officers': DIRECTORY_READERS,
  'GET /api/officers/:badgeNo': DIRECTORY_READERS,
  'POST /api/officers': ADMIN,
  'PATCH /api/officers/:badgeNo': ADMIN,
  'GET /api/recorders': DIRECTORY_READERS,
  'GET /api/recorders/:serial': DIRECTORY_READERS,
  'POST /api/recorders': ADMIN,
  'PATCH /api/recorders/:serial': ADMIN,
  'POST /api/recorders/:serial/assignments': ADMIN,
  'GET /api/users': ADMIN,
  'POST /api/users': ADMIN,
  'PATCH /api/users/:username': ADMIN,
  'POST /api/users/:username/tokens': ADMIN,
  'DELETE /api/users/:username/tokens': ADMIN,
  'POST /api/directory/import': ADMIN,
  'POST /api/recordings': UPLOADERS,
  'POST /api/recordings/lookup': UPLOADERS,
  'GET /api/recordings': ['admin', 'supervisor', 'reviewer', 'officer'],
  'GET /api/recordings/:id': ['admin', 'supervisor', 'reviewer', 'officer'],
  'GET /api/dockings': ['admin', 'supervisor', 'reviewer', 'officer'],
  'POST /api/recordings/:id/important': ['admin', 'supervisor', 'reviewer'],
  'POST /api/recordings/:id/hold': ADMIN,
  'POST /api/cases/:caseNo/hold': ADMIN,
  'GET /api/holds': ADMIN,
  'GET /api/retention/due': ADMIN,
  'GET /api/integrity': ADMIN,
  'GET /api/cases/:caseNo/export': ['admin', 'supervisor', 'reviewer'],
  'GET /api/recordings/:id/original': ['admin', 'supervisor', 'reviewer', 'officer'],
  'PUT /api/cases/:caseNo': ['admin', 'integration'],
  'POST /api/cases/import': ['admin', 'integration'],
  'GET /api/cases': ['admin', 'supervisor', 'reviewer', 'integration'],
  'GET /api/cases/:caseNo': ['admin', 'supervisor', 'reviewer', 'integration'],
  'POST /api/cases/:caseNo/links': ['admin', 'supervisor', 'reviewer'],
  'DELETE /api/cases/:caseNo/links/:recordingId': ['admin', 'supervisor', 'reviewer'],
  'GET /api/custody': ['admin', 'supervisor', 'reviewer'],
  'GET /api/custody/verify': ['admin', 'supervisor', 'reviewer'],
  'GET /api/recordings/:id/proxy': ['admin', 'supervisor', 'reviewer', 'officer'],
  'GET /api/recordings/:id/thumbnail': ['admin', 'supervisor', 'reviewer', 'officer'],
  'POST /api/spot-checks': ['admin', 'supervisor'],
  'GET /api/spot-checks': ['admin', 'supervisor', 'reviewer'],
  'GET /api/spot-checks/:id': ['admin', 'supervisor', 'reviewer'],
  'PATCH /api/spot-checks/:id/items/:itemId': ['admin', 'supervisor', 'reviewer'],
  'POST /api/spot-checks/:id/abandon': ['admin', 'supervisor'],
  'POST /api/spot-checks/:id/bulletins': ['admin', 'supervisor'],
  'GET /api/bulletins': ['admin', 'supervisor', 'reviewer'],
  'GET /api/bulletins/:id.:format': ['admin', 'supervisor', 'reviewer'],
  'GET /api/compliance': ['admin', 'supervisor', 'reviewer', 'officer'],
  'POST /api/uploads': UPLOADERS,
  'HEAD /api/uploads/:id': UPLOADERS,
  'PATCH /api/uploads/:id': UPLOADERS,
  'DELETE /api/uploads/:id': UPLOADERS,
  // tus discovery and the API's own description: they reveal nothing the contract does not.
  'OPTIONS /api/uploads': 'public',
  'GET /api/openapi.json': 'public',
};

let env: TestEnv;
const userIds = new Map<Role, number>();

beforeAll(async () => {
  env = await startTestEnv();
  await env.ctx.pool.query("INSERT INTO units (code, name) VALUES ('ZF1', 'one')");
  await env.ctx.pool.query("INSERT INTO officers (badge_no, name) VALUES ('100001', 'o')");
  for (const role of ROLES) {
    const user = await createUser(env.ctx.pool, { username: `u-${role}`, password: 'matrix password', role, badgeNo: role === 'officer' ? '100001' : undefined }, 10);
    userIds.set(role, user.id);
  }
});
afterAll(() => env.close());

const key = (r: { method: string; path: string }) => `${r.method.toUpperCase()} ${r.path}`;
const concrete = (path: string) => path.replace(/:[A-Za-z]+/g, 'X-1');

async function call(method: string, path: string, token?: string) {
  const req = request(env.app)[method as 'get'](concrete(path));
  if (token) req.set('Authorization', `Bearer ${token}`);
  return method === 'get' || method === 'head' || method === 'delete' ? req : req.send({});
}

test('every route is in the table and every row of the table is a route', () => {
  expect(env.routes.map(key).sort()).toEqual(Object.keys(EXPECTED).sort());
});

test('each route answers each role as API.md says, and 401 without credentials', async () => {
  const mismatches: string[] = [];
  for (const route of env.routes) {
    const expected = EXPECTED[key(route)];
    if (expected === undefined || expected === 'public') continue;
    const anonymous = await call(route.method, route.path);
    if (anonymous.status !== 401) mismatches.push(`${key(route)} anonymous → ${anonymous.status}`);
    for (const role of ROLES) {
      // A fresh token per call: logout revokes the one it is called with.
      const { token } = await issueToken(env.ctx.pool, userIds.get(role)!, 'session', 60_000);
      const res = await call(route.method, route.path, token);
      const allowed = expected.includes(role);
      const ok = allowed ? res.status !== 401 && res.status !== 403 : res.status === 403;
      if (!ok) mismatches.push(`${key(route)} as ${role} → ${res.status} ${res.body?.code ?? ''}`);
      if (!allowed) expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
  }
  expect(mismatches).toEqual([]);
});

test('public routes need no credentials', async () => {
  const res = await request(env.app).post('/api/auth/login').send({ username: 'nobody', password: 'whatever' });
  expect(res.status).toBe(401);
  expect(res.body.code).toBe('invalid_credentials');
  // The others answer an anonymous caller as they answer anyone.
  const others = env.routes.filter((r) => EXPECTED[key(r)] === 'public' && r.path !== '/api/auth/login');
  expect(others.map(key).sort()).toEqual(['GET /api/openapi.json', 'OPTIONS /api/uploads']);
  for (const route of others) expect([key(route), (await call(route.method, route.path)).status]).toEqual([key(route), route.method === 'options' ? 204 : 200]);
});
