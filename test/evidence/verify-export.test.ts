import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { verifyExport } from '../../src/evidence/verify';
import { seedBureau } from '../support/bureau';
import { startTestEnv, type TestEnv } from '../support/harness';
import { caseWith, exportUrl, fakeMp4, getBytes, ingest, rezip, unzip, type ZipEntry } from './helpers';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');

let env: TestEnv;
let dir: string;
let good: string;
let entries: ZipEntry[];
let manifest: { custodyHead: string; files: { path: string }[] };

const CASE = '某交执罚〔2024〕7号';

beforeAll(async () => {
  env = await startTestEnv();
  const tokens = await seedBureau(env);
  dir = await mkdtemp(path.join(tmpdir(), 'bce-verify-'));
  const ids = [
    await ingest(env, tokens.station, 'DSJ0001_20240210_100000_0001.MP4', fakeMp4(40_000)),
    await ingest(env, tokens.station, 'DSJ0002_20240210_100200_0003.MP4', fakeMp4(30_000)),
  ];
  await caseWith(env, tokens, CASE, ids);
  const res = await getBytes(env, tokens.admin, exportUrl(CASE));
  expect(res.status).toBe(200);
  good = path.join(dir, 'good.zip');
  await writeFile(good, res.body as Buffer);
  entries = await unzip(res.body as Buffer);
  manifest = JSON.parse(entries.find((e) => e.name === 'manifest.json')!.data.toString('utf8'));
}, 60_000);
afterAll(async () => {
  await env.close();
  await rm(dir, { recursive: true, force: true });
});

/** The command as an administrator runs it, offline: no configuration, and a database that is not there. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const offline = { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };
  try {
    const { stdout, stderr } = await run(path.join(root, 'node_modules', '.bin', 'tsx'), ['src/cli/main.ts', 'verify-export', ...args], { cwd: root, env: offline });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function tampered(name: string, alter: (e: ZipEntry) => Buffer | null): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, await rezip(entries, alter));
  return file;
}

test('verify-export says OK on a package as exported, offline', async () => {
  expect(await verifyExport(good)).toEqual({ ok: true, problems: [], files: 2, events: expect.any(Number), custodyHead: manifest.custodyHead });
  const { code, stdout } = await cli(good);
  expect(code).toBe(0);
  expect(stdout.trim()).toMatch(new RegExp(`^OK: 2 files, \\d+ events, custody head ${manifest.custodyHead}$`));
}, 30_000);

test('verify-export names the file whose bytes were changed', async () => {
  const victim = manifest.files[1]!.path;
  const file = await tampered('bytes.zip', (e) => {
    if (e.name !== victim) return e.data;
    const copy = Buffer.from(e.data);
    copy[copy.length - 1] ^= 0x01;
    return copy;
  });
  const result = await verifyExport(file);
  expect(result.ok).toBe(false);
  expect(result.problems).toEqual([expect.stringMatching(new RegExp(`^${victim.replace(/[.]/g, '\\.')}: SHA-256 [0-9a-f]{64}, manifest\\.json says`))]);
  const { code, stdout } = await cli(file);
  expect(code).toBe(1);
  expect(stdout).toContain(victim);
  expect(stdout.trim().split('\n').at(-1)).toBe('FAILED: 1 problem');
}, 30_000);

test('verify-export names the custody event whose detail was changed', async () => {
  let seq = 0;
  const file = await tampered('custody.zip', (e) => {
    if (e.name !== 'custody.json') return e.data;
    const doc = JSON.parse(e.data.toString('utf8'));
    const link = doc.events.find((ev: { action: string }) => ev.action === 'link');
    seq = link.seq;
    link.detail.reason = '另一个理由';
    return Buffer.from(JSON.stringify(doc, null, 2));
  });
  expect((await verifyExport(file)).problems).toEqual([`custody.json event seq ${seq}: its hash does not match its content`]);
});

test('verify-export catches a file dropped, a file added, a manifest rewritten to fit, and a head that is not the package’s', async () => {
  const [first, second] = manifest.files.map((f) => f.path);
  const dropped = await tampered('dropped.zip', (e) => (e.name === first ? null : e.data));
  expect((await verifyExport(dropped)).problems).toEqual([`${first}: listed in manifest.json but missing from the archive`]);

  // The footage swapped and the manifest made to agree: the hash-chained export event still says otherwise.
  const swapped = await tampered('swapped.zip', (e) => {
    if (e.name === second) return Buffer.alloc(e.data.length, 1);
    if (e.name !== 'manifest.json') return e.data;
    const m = JSON.parse(e.data.toString('utf8'));
    m.files[1].sha256 = '0'.repeat(64);
    return Buffer.from(JSON.stringify(m));
  });
  const problems = (await verifyExport(swapped)).problems;
  expect(problems).toContainEqual(expect.stringMatching(new RegExp(`^${second!.replace(/[.]/g, '\\.')}: manifest\\.json says SHA-256 0{64} .*the export event seq \\d+ recorded`)));

  const extra = path.join(dir, 'extra.zip');
  await writeFile(extra, await rezip([...entries.slice(0, -1), { ...entries[0]!, name: 'originals/extra.MP4' }, entries.at(-1)!], (e) => e.data));
  expect((await verifyExport(extra)).problems).toEqual(['originals/extra.MP4: in the archive but not in manifest.json']);

  const head = await tampered('head.zip', (e) => {
    if (e.name !== 'manifest.json') return e.data;
    return Buffer.from(JSON.stringify({ ...JSON.parse(e.data.toString('utf8')), custodyHead: 'f'.repeat(64) }));
  });
  expect((await verifyExport(head)).problems).toEqual([expect.stringMatching(/^manifest\.json: custodyHead f{64} is not the hash of the newest event in custody\.json/)]);
});

test('verify-export exits 2 on what is not a zip, and on a missing argument', async () => {
  const notZip = path.join(dir, 'not.zip');
  await writeFile(notZip, 'this is not a zip file');
  const res = await cli(notZip);
  expect(res.code).toBe(2);
  expect(res.stderr).toContain('cannot be read as a zip');
  expect((await cli()).code).toBe(2);
}, 30_000);
