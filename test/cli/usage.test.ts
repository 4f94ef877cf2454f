import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runTs } from '../faults/upload-helpers';
import { cli, cliWithInput } from './run-cli';

// A wrong command line is refused before anything is opened: these run against a database that is not there
// (nothing listens on port 1), so an exit status of 2 with the usage shows no command got as far as connecting.

const nowhere: NodeJS.ProcessEnv = { DATABASE_URL: 'postgres://127.0.0.1:1/bce_none', DATA_DIR: '/nonexistent/bce-cli', LOG_LEVEL: 'silent' };
let dir: string;
let existing: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'bce-cli-usage-'));
  existing = path.join(dir, 'already.zip');
  await writeFile(existing, 'an earlier package');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

test.each([
  [['frobnicate'], 'unknown command: frobnicate'],
  [['users'], 'users needs a command'],
  [['users', 'remove', '--username', 'x'], 'unknown command: users remove'],
  [['users', 'list', '--role', 'admin'], "users list: Unknown option '--role'"],
  [['users', 'deactivate', '--username'], "users deactivate: Option '--username <value>' argument missing"],
  [['users', 'deactivate'], '--username is required'],
  [['users', 'add', '--username', 'has space', '--password', 'long enough secret', '--role', 'admin'], '--username may hold letters'],
  [['users', 'add', '--username', 'boss', '--password', 'long enough secret', '--role', 'boss'], '--role must be one of'],
  [['users', 'add', '--username', 'boss', '--role', 'admin'], 'give --password P or --password-stdin'],
  [['users', 'password', '--username', 'boss', '--password', 'long enough secret', '--password-stdin'], 'give --password or --password-stdin, not both'],
  [['users', 'password', '--username', 'boss', '--password-stdin'], '--password-stdin: standard input holds no password'],
  [['users', 'list', '--password-stdin'], "users list: Unknown option '--password-stdin'"],
  [['users', 'update', '--username', 'zhangsan'], 'give what to change'],
  [['users', 'update', '--username', 'zhangsan', '--unit', 'ZF1', '--no-unit'], 'give --unit or --no-unit, not both'],
  [['tokens', 'issue'], '--username is required'],
  [['custody', 'verify', 'now'], 'custody verify takes no argument "now"'],
  [['integrity', 'audit', '--all', '--limit', '3'], 'give --all or --limit N, not both'],
  [['integrity', 'audit', '--limit', '0'], '--limit must be a whole number above 0'],
  [['integrity', 'audit', '--limit', 'ten'], '--limit must be a whole number above 0'],
  [['integrity', 'audit', '--everything'], "integrity audit: Unknown option '--everything'"],
  [['cases', 'export', '--case-no', '某交执罚〔2023〕1号'], '--out is required'],
  [['cases', 'export', '--out', 'x.zip'], '--case-no is required'],
  [['cases', 'export', '--case-no', 'C1', '--out', '/nonexistent/folder/c1.zip'], '--out /nonexistent/folder/c1.zip: the folder /nonexistent/folder does not exist'],
  [['recordings', 'reprocess'], 'give recording ids or --status'],
  [['recordings', 'reprocess', 'not-a-uuid'], 'not-a-uuid is not a recording id'],
  [['recordings', 'reprocess', '--status', 'deleted'], '--status must be one of'],
  [['retention', 'run', '--at', 'yesterday'], '--at must be a date'],
  [['retention', 'run', '--dryrun'], "retention run: Unknown option '--dryrun'"],
  [['directory', 'import'], 'directory import takes one file'],
  [['directory', 'import', '/nonexistent/units.csv'], '/nonexistent/units.csv: no such file'],
  [['migrate', 'now'], 'migrate takes no argument'],
])('%j is a usage error: exit 2, the reason and the usage', async (argv, reason) => {
  const r = await cli(nowhere, ...argv);
  expect(r.code).toBe(2);
  expect(r.err).toContain(`error: ${reason}`);
  expect(r.err).toContain('usage: npm run cli -- <command>');
  expect(r.out).toBe('');
});

test('an export is never written over an existing file', async () => {
  const r = await cli(nowhere, 'cases', 'export', '--case-no', 'C1', '--out', existing);
  expect(r.code).toBe(2);
  expect(r.err).toContain(`--out ${existing} already exists`);
});

test('help prints the usage on standard output; no command at all is a usage error', async () => {
  const help = await cli(nowhere, 'help');
  expect(help.code).toBe(0);
  for (const line of ['custody verify', 'integrity audit --all', 'cases export --case-no NO --out FILE.zip', 'users activate', 'retention run --dry-run']) {
    expect(help.out).toContain(line);
  }
  const none = await cli(nowhere);
  expect(none.code).toBe(2);
  expect(none.err).toContain('no command given');
});

test('a bad setting is exit 78, naming it; a good command line that cannot reach the database is exit 1', async () => {
  const bad = await cli({ ...nowhere, DATABASE_URL: 'mysql://db' }, 'users', 'list');
  expect(bad.code).toBe(78);
  expect(bad.err).toContain('DATABASE_URL');
  const down = await cli(nowhere, 'users', 'list');
  expect(down.code).toBe(1);
  expect(down.err).toMatch(/^error: .*ECONNREFUSED/);
});

test('--password-stdin takes the first line only, and refuses a line that is empty', async () => {
  // Nothing listens on port 1: exit 1 (cannot connect) shows the password was taken and the command ran.
  expect((await cliWithInput(nowhere, 'long enough secret\nsecond line\n', 'users', 'password', '--username', 'boss', '--password-stdin')).code).toBe(1);
  const empty = await cliWithInput(nowhere, '\nlong enough secret\n', 'users', 'password', '--username', 'boss', '--password-stdin');
  expect(empty.code).toBe(2);
  expect(empty.err).toContain('standard input holds no password');
});

test('the real entry point: exit status and streams as a shell sees them', async () => {
  const proc = runTs(['src/cli/main.ts', 'integrity', 'audit', '--limit', 'many'], { ...process.env, ...nowhere });
  expect((await proc.exited).code).toBe(2);
  expect(proc.output()).toContain('error: --limit must be a whole number above 0');
  // Standard input empty (here /dev/null), as when nothing was piped in.
  const nothing = runTs(['src/cli/main.ts', 'users', 'password', '--username', 'boss', '--password-stdin'], { ...process.env, ...nowhere });
  expect((await nothing.exited).code).toBe(2);
  expect(nothing.output()).toContain('error: --password-stdin: standard input holds no password');
  // A password piped in by a writer that keeps the pipe open: the first line is enough (exit 1: no database).
  const open = runTs(['src/cli/main.ts', 'users', 'password', '--username', 'boss', '--password-stdin'], { ...process.env, ...nowhere }, { input: 'long enough secret\n', keepInputOpen: true });
  try {
    expect((await open.exited).code).toBe(1);
    expect(open.output()).toMatch(/error: .*ECONNREFUSED/);
  } finally {
    open.child.stdin?.destroy();
  }
  const help = runTs(['src/cli/main.ts', 'help'], { ...process.env, ...nowhere });
  expect((await help.exited).code).toBe(0);
  expect(help.output()).toContain('usage: npm run cli -- <command>');
});
