import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { projectRoot } from '../../src/paths';
import { createTestDatabase } from '../support/harness';
import { waitFor } from '../support/wait';
import { freePort } from '../../scripts/scratch';

const root = projectRoot();
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let dataDir: string;
let baseEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  db = await createTestDatabase();
  dataDir = await mkdtemp(path.join(tmpdir(), 'bce-proc-'));
  baseEnv = { ...process.env, DATABASE_URL: db.url, DATA_DIR: dataDir, REDIS_PREFIX: `bceproc-${randomBytes(3).toString('hex')}`, LOG_LEVEL: 'info', HOST: '127.0.0.1' };
});
afterAll(async () => {
  // The worker's queues leave their meta keys under this run's prefix.
  const redis = new Redis('redis://127.0.0.1:6379');
  const keys = await redis.keys(`${baseEnv.REDIS_PREFIX}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await db.drop();
  await rm(dataDir, { recursive: true, force: true });
});

function run(args: string[], env: NodeJS.ProcessEnv = baseEnv): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(tsx, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

test('a bad setting stops start-up with an error that names it', async () => {
  const proc = run(['src/main.ts', 'api'], { ...baseEnv, PORT: 'eighty' });
  expect(await proc.exited).toBe(78);
  expect(proc.output()).toContain('Invalid setting PORT');
});

test('the CLI creates the first admin, who logs in to a running system; SIGTERM shuts both roles down cleanly', async () => {
  const cli = run(['src/cli/main.ts', 'users', 'add', '--username', 'chief', '--password', 'a long enough secret', '--role', 'admin']);
  expect(await cli.exited).toBe(0);
  expect(cli.output()).toContain('created user chief (admin)');

  const refused = run(['src/cli/main.ts', 'users', 'add', '--username', 'chief', '--password', 'a long enough secret', '--role', 'admin']);
  expect(await refused.exited).toBe(1);
  expect(refused.output()).toContain('user_exists');
  const badRole = run(['src/cli/main.ts', 'users', 'add', '--username', 'x1', '--password', 'a long enough secret', '--role', 'boss']);
  expect(await badRole.exited).toBe(2);
  expect(badRole.output()).toContain('--role must be one of');

  const port = await freePort();
  const system = run(['src/main.ts', 'all'], { ...baseEnv, PORT: String(port) });
  try {
    await waitFor(() => system.output().includes('api listening') && system.output().includes('worker started'), 'start-up', 20_000);
    const base = `http://127.0.0.1:${port}`;
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    const login = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'chief', password: 'a long enough secret' }),
    });
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };
    const unit = await fetch(`${base}/api/units`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ code: 'ZF1', name: '执法一股' }),
    });
    expect(unit.status).toBe(201);
    // Logs are structured: one JSON object a line.
    const lines = system.output().trim().split('\n');
    expect(() => lines.map((l) => JSON.parse(l))).not.toThrow();
  } finally {
    system.child.kill('SIGTERM');
  }
  expect(await system.exited).toBe(0);
  expect(system.output()).toContain('shutdown complete');
});

test('the CLI issues a station token that works until revoked', async () => {
  expect(await run(['src/cli/main.ts', 'users', 'add', '--username', 'dock-1', '--password', 'station secret 1', '--role', 'station']).exited).toBe(0);
  const issue = run(['src/cli/main.ts', 'tokens', 'issue', '--username', 'dock-1']);
  expect(await issue.exited).toBe(0);
  const token = issue.output().trim();
  expect(token).toMatch(/^bce_[\w-]{43}$/);
  const revoke = run(['src/cli/main.ts', 'tokens', 'revoke', '--username', 'dock-1']);
  expect(await revoke.exited).toBe(0);
  expect(revoke.output()).toContain('revoked 1 token(s) of dock-1');
});
