import { existsSync } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { originalKey } from '../../storage/keys';
import { caseWith } from '../evidence/helpers';
import { runTs } from '../faults/upload-helpers';
import { docker, storedFile } from '../integrity/helpers';
import { migrationsDir } from '../../src/db/migrate';
import { createTestDatabase } from '../support/harness';
import { settle } from '../support/settle';
import { startWorkingSystem, type WorkingSystem } from '../support/working-system';
import { cli, cliWithInput, envOf } from './run-cli';

// The operator's command line against a running system (workers on, real clips docked through the API): each
// command's output, exit status and effect on the catalog, the store and the custody log.

let sys: WorkingSystem;
let env: NodeJS.ProcessEnv;
let dock: ReturnType<typeof docker>;
const clips: { id: string; sha256: string; size: number }[] = [];
const CASE = '某交执罚〔2026〕9号';
const ACTOR = `cli:${userInfo().username}`;

const query = async <T = Record<string, unknown>>(sql: string, params: unknown[] = []) => (await sys.env.ctx.pool.query(sql, params)).rows as T[];
const custodyCount = async () => (await query<{ n: number }>('SELECT count(*)::int AS n FROM custody_events'))[0]!.n;
/** Flips one byte of a stored original in place (same size): what a failing disk or a tamperer leaves. */
async function flipByte(id: string) {
  const fh = await open(storedFile(sys.env.dataDir, id), 'r+');
  const b = Buffer.alloc(1);
  await fh.read(b, 0, 1, 200);
  await fh.write(Buffer.from([b[0]! ^ 0xff]), 0, 1, 200);
  await fh.close();
}

beforeAll(async () => {
  sys = await startWorkingSystem({ INTEGRITY_AUDIT_AT: 'off' });
  env = envOf(sys.env);
  dock = docker(sys.env, sys.tokens.station, sys.dir);
  for (let i = 0; i < 3; i++) clips.push(await dock());
  await settle(sys.env, 90_000);
  await caseWith(sys.env, sys.tokens, CASE, [clips[0]!.id, clips[1]!.id]);
}, 150_000);
afterAll(() => sys.close());

test('custody verify: ok with the head and count the log has; a tampered event is BROKEN, exit 1', async () => {
  const ok = await cli(env, 'custody', 'verify');
  const [last] = await query<{ seq: number; hash: string }>('SELECT seq, hash FROM custody_events ORDER BY seq DESC LIMIT 1');
  expect(ok).toMatchObject({ code: 0, out: `ok: ${last!.seq} event(s), head ${last!.hash}`, err: '' });

  const tamper = async (sql: string) => {
    await query('ALTER TABLE custody_events DISABLE TRIGGER custody_events_no_update');
    try {
      await query(sql);
    } finally {
      await query('ALTER TABLE custody_events ENABLE TRIGGER custody_events_no_update');
    }
  };
  const [second] = await query<{ actor: string }>('SELECT actor FROM custody_events WHERE seq = 2');
  await tamper(`UPDATE custody_events SET actor = 'someone else' WHERE seq = 2`);
  try {
    const broken = await cli(env, 'custody', 'verify');
    expect(broken.code).toBe(1);
    expect(broken.out).toContain('BROKEN at event 2: its hash does not match its content');
    expect(broken.out).toContain('1 event(s) verified before it');
  } finally {
    await tamper(`UPDATE custody_events SET actor = '${second!.actor}' WHERE seq = 2`);
  }
  expect((await cli(env, 'custody', 'verify')).code).toBe(0);
});

test('cases export writes the package with the command line as the actor on the custody record, and it verifies offline', async () => {
  const file = path.join(sys.dir, 'case-9.zip');
  const r = await cli(env, 'cases', 'export', '--case-no', CASE, '--out', file);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  const bytes = clips[0]!.size + clips[1]!.size;
  expect(r.out).toContain(`exported case ${CASE} as ${ACTOR}: 2 original(s), ${bytes} bytes, 0 deleted by retention`);
  const events = await query<{ actor: string; target: string; hash: string }>(
    `SELECT actor, target, hash FROM custody_events WHERE action = 'export' ORDER BY seq`,
  );
  expect(events.map((e) => [e.actor, e.target]).sort()).toEqual(
    [[ACTOR, `case:${CASE}`], [ACTOR, `recording:${clips[0]!.id}`], [ACTOR, `recording:${clips[1]!.id}`]].sort(),
  );
  expect(r.out).toContain(`custody head ${events.at(-1)!.hash}`);
  expect((await readdir(sys.dir)).filter((f) => f.startsWith('case-9'))).toEqual(['case-9.zip']);

  // Checked by the offline command, in a process of its own, as the recipient of the package would.
  const verify = runTs(['src/cli/main.ts', 'verify-export', file], { ...process.env, DATABASE_URL: 'postgres://127.0.0.1:1/none' });
  expect((await verify.exited).code).toBe(0);
  expect(verify.output()).toContain(`OK: 2 files`);
  expect(verify.output()).toContain(`custody head ${events.at(-1)!.hash}`);
});

test('cases export refuses an unknown case, and leaves no file when an original is not what was ingested', async () => {
  const before = await custodyCount();
  const unknown = await cli(env, 'cases', 'export', '--case-no', 'no such case', '--out', path.join(sys.dir, 'none.zip'));
  expect(unknown.code).toBe(1);
  expect(unknown.err).toBe('error: case no such case not found (not_found)');
  expect(await custodyCount()).toBe(before);

  const file = path.join(sys.dir, 'bad.zip');
  await flipByte(clips[1]!.id);
  try {
    const bad = await cli(env, 'cases', 'export', '--case-no', CASE, '--out', file);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain(`the original of recording ${clips[1]!.id} does not match the catalog`);
    expect(existsSync(file)).toBe(false);
    expect(existsSync(`${file}.partial`)).toBe(false);
    const [failure] = await query<{ actor: string; detail: { caseNo: string } }>(
      `SELECT actor, detail FROM custody_events WHERE action = 'integrity_failure' AND target = $1`,
      [`recording:${clips[1]!.id}`],
    );
    expect(failure).toMatchObject({ actor: ACTOR, detail: { caseNo: CASE } });
  } finally {
    await flipByte(clips[1]!.id);
  }
});

test('integrity audit: --all re-hashes every original now, a changed one fails (exit 1) until it is restored', async () => {
  const all = await cli(env, 'integrity', 'audit', '--all');
  expect(all.out).toContain('every stored original: 3 of 3');
  expect(all.out).toContain(`checked 3: 3 ok, 0 mismatch, 0 missing; ${clips.reduce((n, c) => n + c.size, 0)} bytes read`);
  expect(all.code).toBe(0);
  // The daily job's share now: nothing, all of them were checked within the run window. --all does not care.
  const daily = await cli(env, 'integrity', 'audit');
  expect(daily).toMatchObject({ code: 0 });
  expect(daily.out).toContain('the daily share: 0 of 3 stored original(s)');
  expect(daily.out).toContain('checked 0:');

  await flipByte(clips[2]!.id);
  try {
    const failed = await cli(env, 'integrity', 'audit', '--all');
    expect(failed.code).toBe(1);
    expect(failed.out).toMatch(new RegExp(`MISMATCH  ${clips[2]!.id}: [0-9a-f]{64} \\(${clips[2]!.size} bytes\\), expected ${clips[2]!.sha256}`));
    expect(failed.out).toContain('checked 3: 2 ok, 1 mismatch, 0 missing');
    expect(failed.out).toContain('FAILED: 1 original(s)');
    // The failed one is first in line for the next run, however small.
    const again = await cli(env, 'integrity', 'audit', '--limit', '1');
    expect(again.code).toBe(1);
    expect(again.out).toContain(`MISMATCH  ${clips[2]!.id}`);
  } finally {
    await flipByte(clips[2]!.id);
  }
  const restored = await cli(env, 'integrity', 'audit', '--limit', '1');
  expect(restored.out).toContain('checked 1: 1 ok');
  expect(restored.code).toBe(0);
  // Each run is on the dashboard's record, as the daily job's are.
  const runs = await query<{ planned: number; checked: number; mismatch: number }>('SELECT planned, checked, mismatch FROM integrity_runs ORDER BY id');
  expect(runs).toEqual([
    { planned: 3, checked: 3, mismatch: 0 },
    { planned: 0, checked: 0, mismatch: 0 },
    { planned: 3, checked: 3, mismatch: 1 },
    { planned: 1, checked: 1, mismatch: 1 },
    { planned: 1, checked: 1, mismatch: 0 },
  ]);
  const dashboard = await request(sys.env.app).get('/api/integrity').set('Authorization', `Bearer ${sys.tokens.admin}`);
  expect(dashboard.body).toMatchObject({ failureCount: 0, coverage: { audited: 3, total: 3 } });
});

test('recordings reprocess: a derived file lost from the store is made again by the workers', async () => {
  const id = clips[2]!.id;
  const [row] = await query<{ key: string }>(`SELECT thumbnails->'poster'->>'key' AS key FROM recordings WHERE id = $1`, [id]);
  await sys.env.ctx.store.remove(row!.key);
  expect(await sys.env.ctx.store.stat(row!.key)).toBeNull();

  const missing = '00000000-0000-4000-8000-000000000000';
  const r = await cli(env, 'recordings', 'reprocess', id, missing);
  expect(r.out).toContain(`${missing}: no such recording (or deleted)`);
  expect(r.out).toContain('queued 1 recording(s) for re-processing');
  expect(r.code).toBe(1);
  await settle(sys.env, 90_000);
  // A new generation of derived files (keys carry it), recorded on a ready recording.
  const [after] = await query<{ key: string; status: string }>(`SELECT thumbnails->'poster'->>'key' AS key, status FROM recordings WHERE id = $1`, [id]);
  expect(after!.status).toBe('ready');
  expect(after!.key).not.toBe(row!.key);
  expect(await sys.env.ctx.store.stat(after!.key)).not.toBeNull();
});

test('retention run --dry-run lists what would go and deletes nothing; footage of the open case is kept', async () => {
  const before = await custodyCount();
  // In a process of its own: it opens the database and the store, and must still end by itself when done.
  const r = runTs(['src/cli/main.ts', 'retention', 'run', '--dry-run', '--at', '2100-01-01'], { ...process.env, ...env });
  expect(await r.exited).toEqual({ code: 0, signal: null });
  const lines = r.output().trim().split('\n');
  expect(lines.filter((l) => /^[0-9a-f-]{36}\t/.test(l)).map((l) => l.split('\t')[0])).toEqual([clips[2]!.id]);
  expect(lines.at(-1)).toMatch(/^would delete 1 recording\(s\) expired at 2099-12-31T16:00:00\.000Z; 0 expired but held; 0 date\(s\) recomputed; 0 purged$/);
  expect(await query(`SELECT id FROM recordings WHERE status = 'deleted'`)).toEqual([]);
  expect(await sys.env.ctx.store.stat(originalKey(clips[2]!.id))).not.toBeNull();
  expect(await custodyCount()).toBe(before);
});

test('users: a role change, deactivation and reactivation, as the admin pages make them', async () => {
  const password = 'a long enough secret';
  const login = () => request(sys.env.app).post('/api/auth/login').send({ username: 'lisi', password });
  expect((await cli(env, 'users', 'add', '--username', 'lisi', '--password', password, '--role', 'officer', '--badge', '100002')).code).toBe(0);

  const promoted = await cli(env, 'users', 'update', '--username', 'lisi', '--role', 'supervisor', '--unit', 'ZF1', '--no-badge');
  expect(promoted).toMatchObject({ code: 0, out: 'lisi\tsupervisor\tZF1\t-\tactive' });
  const wrong = await cli(env, 'users', 'update', '--username', 'lisi', '--unit', 'ZF9');
  expect(wrong.code).toBe(1);
  expect(wrong.err).toContain('ZF9');
  expect((await cli(env, 'users', 'update', '--username', 'nobody', '--role', 'admin')).err).toBe('error: user nobody not found (not_found)');

  expect((await cli(env, 'users', 'deactivate', '--username', 'lisi')).code).toBe(0);
  expect((await login()).status).toBe(401);
  const list = await cli(env, 'users', 'list');
  expect(list.out.split('\n')).toContain('lisi\tsupervisor\tZF1\t-\tdeactivated');
  const activated = await cli(env, 'users', 'activate', '--username', 'lisi');
  expect(activated).toMatchObject({ code: 0 });
  expect(activated.out).toContain('activated lisi');
  expect((await login()).status).toBe(200);
});

test('a password from standard input (--password-stdin): the account logs in with it, and nothing of it is on the command line', async () => {
  const login = (password: string) => request(sys.env.app).post('/api/auth/login').send({ username: 'wangwu', password });
  const added = await cliWithInput(env, 'first long secret\n', 'users', 'add', '--username', 'wangwu', '--password-stdin', '--role', 'reviewer');
  expect(added).toMatchObject({ code: 0, out: 'created user wangwu (reviewer)' });
  expect((await login('first long secret')).status).toBe(200);

  // The real entry point, with the password piped in as an operator's shell would (a CRLF line, as from a Windows file).
  const changed = runTs(['src/cli/main.ts', 'users', 'password', '--username', 'wangwu', '--password-stdin'], { ...process.env, ...env }, { input: 'second long secret\r\n' });
  expect(await changed.exited).toEqual({ code: 0, signal: null });
  expect(changed.output()).toContain('password changed for wangwu');
  expect((await login('first long secret')).status).toBe(401);
  expect((await login('second long secret')).status).toBe(200);

  // Too short from standard input is refused as from the command line, and changes nothing.
  const short = await cliWithInput(env, 'short\n', 'users', 'password', '--username', 'wangwu', '--password-stdin');
  expect(short.code).toBe(1);
  expect(short.err).toContain('password');
  expect((await login('second long secret')).status).toBe(200);
});

test('migrate on an empty database applies every migration and says which; a second run has nothing to apply', async () => {
  const db = await createTestDatabase();
  try {
    const first = await cli({ DATABASE_URL: db.url, LOG_LEVEL: 'warn' }, 'migrate');
    expect(first.code).toBe(0);
    const applied = first.out.split('\n');
    const names = (await readdir(migrationsDir())).filter((f) => f.endsWith('.sql')).sort();
    expect(applied).toEqual(names.map((n) => `applied ${n}`));
    expect(await cli({ DATABASE_URL: db.url, LOG_LEVEL: 'warn' }, 'migrate')).toMatchObject({ code: 0, out: 'nothing to apply' });
  } finally {
    await db.drop();
  }
});
