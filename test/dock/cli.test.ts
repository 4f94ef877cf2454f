import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_SERVER, parseDockArgs, USAGE, UsageError } from '../../src/dock/args';
import { dockMain } from '../../src/dock/main';
import { listing, removeDirs, tempDir } from './helpers';

const HOME = '/home/station';

function config(argv: string[], env: NodeJS.ProcessEnv = { BCE_TOKEN: 'tok' }) {
  const parsed = parseDockArgs(argv, env, HOME, '/work');
  if (parsed.help) throw new Error('unexpected help');
  return parsed.config;
}

function usageError(argv: string[], env: NodeJS.ProcessEnv = { BCE_TOKEN: 'tok' }): string {
  try {
    parseDockArgs(argv, env, HOME, '/work');
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`no usage error for ${argv.join(' ')}`);
}

test('defaults', () => {
  expect(config(['/media/rec'])).toEqual({
    folder: '/media/rec',
    server: DEFAULT_SERVER,
    token: 'tok',
    serial: undefined,
    badge: undefined,
    parallel: 2,
    retries: 3,
    chunkSizeBytes: 64 * 1024 * 1024,
    stateDir: path.join(HOME, '.bce-dock'),
    dryRun: false,
    json: false,
  });
  expect(config(['rec']).folder).toBe('/work/rec');
});

test('flags override the environment', () => {
  const env = { BCE_TOKEN: 'from-env', BCE_SERVER: 'https://evidence.example/' };
  expect(config(['rec'], env)).toMatchObject({ token: 'from-env', server: 'https://evidence.example' });
  expect(
    config(['--server', 'http://10.0.0.5:8080/bce/', '--token', 'from-flag', '--serial', 'DSJ0001', '--badge', '100001', '--parallel', '4', '--retries', '0', '--chunk-size', '16', '--state-dir', 'st', '--dry-run', '--json', 'rec'], env),
  ).toMatchObject({
    server: 'http://10.0.0.5:8080/bce',
    token: 'from-flag',
    serial: 'DSJ0001',
    badge: '100001',
    parallel: 4,
    retries: 0,
    chunkSizeBytes: 16 * 1024 * 1024,
    stateDir: '/work/st',
    dryRun: true,
    json: true,
  });
});

test('refuses what it cannot use', () => {
  expect(usageError([])).toMatch(/give the folder/);
  expect(usageError(['a', 'b'])).toMatch(/give one folder/);
  expect(usageError(['--bogus', 'rec'])).toMatch(/bogus/);
  expect(usageError(['rec'], {})).toMatch(/no token/);
  expect(usageError(['rec'], { BCE_TOKEN: '  ' })).toMatch(/no token/);
  expect(usageError(['--token', 'a b', 'rec'])).toMatch(/token/);
  expect(usageError(['--server', 'ftp://x', 'rec'])).toMatch(/http or https/);
  expect(usageError(['--server', 'not a url', 'rec'])).toMatch(/must be a URL/);
  expect(usageError(['--server', 'http://u:p@x', 'rec'])).toMatch(/credentials/);
  for (const n of ['0', '17', 'two', '2.5', '-1']) expect(usageError(['--parallel', n, 'rec'])).toMatch(/--parallel/);
  expect(usageError(['--retries', '21', 'rec'])).toMatch(/--retries/);
  expect(usageError(['--chunk-size', '0', 'rec'])).toMatch(/--chunk-size/);
  expect(usageError(['--serial', 'DSJ\n0001', 'rec'])).toMatch(/--serial .* not a valid recorder serial/);
  expect(usageError(['--serial', 'DSJ_0001', 'rec'])).toMatch(/--serial/);
  expect(usageError(['--badge', '', 'rec'])).toMatch(/--badge/);
  expect(usageError(['--badge', '1'.repeat(21), 'rec'])).toMatch(/not a valid badge number/);
  expect(usageError(['--token'])).toMatch(/argument missing|--token/);
});

test('help needs nothing else', () => {
  expect(parseDockArgs(['--help'], {}, HOME)).toEqual({ help: true });
  expect(parseDockArgs(['-h', 'x', 'y'], {}, HOME)).toEqual({ help: true });
});

test('the usage text documents every option and exit code', () => {
  for (const option of ['--server', '--token', '--serial', '--badge', '--parallel', '--retries', '--chunk-size', '--state-dir', '--dry-run', '--json', 'BCE_SERVER', 'BCE_TOKEN']) {
    expect(USAGE).toContain(option);
  }
  for (const code of ['0', '1', '2', '3', '130']) expect(USAGE).toMatch(new RegExp(`^  ${code} +\\S`, 'm'));
});

describe('exit codes of the command', () => {
  let recorder: string;
  let home: string;

  beforeEach(async () => {
    recorder = await tempDir('cli-rec');
    home = await tempDir('cli-home');
  });
  afterEach(async () => removeDirs(recorder, home));

  async function main(argv: string[], env: NodeJS.ProcessEnv = { BCE_TOKEN: 'tok' }) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await dockMain({ argv, env, stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, home });
    return { code, stdout: out.join(''), stderr: err.join('') };
  }

  test('2 with the usage for a usage error', async () => {
    const r = await main([recorder], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: no token/);
    expect(r.stderr).toContain('exit codes:');
    expect(r.stdout).toBe('');
  });

  test('2 for a folder that is missing or not a folder', async () => {
    expect((await main([path.join(recorder, 'nope')])).code).toBe(2);
    await writeFile(path.join(recorder, 'file.mp4'), 'x');
    const r = await main([path.join(recorder, 'file.mp4')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not a folder/);
  });

  test('2 for a state folder inside the recorder, which stays untouched', async () => {
    await mkdir(path.join(recorder, 'DCIM'));
    const before = await listing(recorder);
    const r = await main(['--state-dir', path.join(recorder, 'DCIM', 'state'), recorder]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/inside the recorder's folder/);
    expect(await listing(recorder)).toEqual(before);
  });

  test('0 and the usage on stdout for --help', async () => {
    const r = await main(['--help'], {});
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${USAGE}\n`);
  });

  test('0 for a recorder with no footage, without asking the server', async () => {
    await writeFile(path.join(recorder, 'readme.txt'), 'x');
    // Nothing listens on port 9: asking would fail.
    const r = await main(['--server', 'http://127.0.0.1:9', '--json', recorder]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ exitCode: 0, totals: { files: 0 } });
    expect(await readdir(path.join(home, '.bce-dock'))).toEqual([]);
  });
});
