import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dockMain } from '../../src/dock/main';
import { makeClip, truncateCopy } from '../fixtures/clips';
import { seedBureau } from '../support/bureau';
import { listen } from '../support/listen';
import { startTestEnv, type TestEnv } from '../support/harness';

// The docking-station client against the real API: a recorder's folder in, recordings out.
let env: TestEnv;
let closeServer: () => Promise<void>;
let base: string;
let station: string;
let root: string;

beforeAll(async () => {
  env = await startTestEnv();
  station = (await seedBureau(env)).station;
  ({ base, close: closeServer } = await listen(env.app));
  root = await mkdtemp(path.join(tmpdir(), 'bce-dock-e2e-'));
});
afterAll(async () => {
  await closeServer();
  await env.close();
  await rm(root, { recursive: true, force: true });
});

async function dock(folder: string, ...flags: string[]) {
  let out = '';
  const code = await dockMain({
    argv: [folder, '--json', '--state-dir', path.join(root, 'state'), ...flags],
    env: { BCE_SERVER: base, BCE_TOKEN: station },
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: () => true, isTTY: false, columns: 100 } as never,
  });
  return { code, summary: JSON.parse(out) as { totals: Record<string, number>; bytes: Record<string, number> } & Record<string, unknown> };
}

async function listing(dir: string) {
  const names = (await readdir(dir, { recursive: true })) as string[];
  return Promise.all(names.sort().map(async (n) => [n, (await stat(path.join(dir, n))).size, (await stat(path.join(dir, n))).mtimeMs]));
}

test('a recorder folder is docked, verified and left untouched; docking it again uploads nothing', async () => {
  const recorder = path.join(root, 'DSJ0001');
  await mkdir(path.join(recorder, 'DCIM', '100MEDIA'), { recursive: true });
  const media = path.join(recorder, 'DCIM', '100MEDIA');
  await makeClip(media, 'DSJ0001_100001_20260312080000_0001.MP4');
  await makeClip(media, 'DSJ0001_100001_20260312081000_0002_IMP.MP4');
  await truncateCopy(await makeClip(root, 'whole.mp4', { seconds: 2 }), path.join(media, 'DSJ0001_100001_20260312082000_0003.MP4'));
  const before = await listing(recorder);

  const first = await dock(recorder);
  expect(first.code).toBe(0);
  expect(first.summary.totals).toMatchObject({ files: 3, uploaded: 3, failed: 0 });
  const { rows } = await env.ctx.pool.query('SELECT filename, important, upload_method FROM recordings ORDER BY filename');
  expect(rows).toEqual([
    { filename: 'DSJ0001_100001_20260312080000_0001.MP4', important: false, upload_method: 'tus' },
    { filename: 'DSJ0001_100001_20260312081000_0002_IMP.MP4', important: true, upload_method: 'tus' },
    { filename: 'DSJ0001_100001_20260312082000_0003.MP4', important: false, upload_method: 'tus' },
  ]);
  expect(await listing(recorder)).toEqual(before);

  const again = await dock(recorder);
  expect(again.code).toBe(0);
  expect(Number((await env.ctx.pool.query('SELECT count(*) FROM recordings')).rows[0].count)).toBe(3);
  expect(again.summary.totals).toMatchObject({ files: 3, alreadyStored: 3, uploaded: 0 });
  expect(again.summary.bytes.sent).toBe(0);
});

test('a file the server refuses fails that file with exit code 1; the others are stored', async () => {
  const recorder = path.join(root, 'DSJ0003');
  await mkdir(recorder);
  await makeClip(recorder, 'DSJ0003_200001_20260312090000_0001.MP4');
  await makeClip(recorder, 'DSJ0003_999999_20260312091000_0002.MP4'); // nobody has that badge
  const res = await dock(recorder);
  expect(res.code).toBe(1);
  expect(res.summary.totals).toMatchObject({ uploaded: 1, failed: 1 });
  expect(JSON.stringify(res.summary)).toMatch(/unknown_officer|999999/);
  expect((await env.ctx.pool.query("SELECT 1 FROM recordings WHERE filename = 'DSJ0003_200001_20260312090000_0001.MP4'")).rowCount).toBe(1);
});

test('a refused token is exit code 3', async () => {
  const recorder = path.join(root, 'empty-token');
  await mkdir(recorder);
  await makeClip(recorder, 'DSJ0002_100002_20260312100000_0001.MP4');
  const code = await dockMain({
    argv: [recorder, '--json', '--state-dir', path.join(root, 'state2')],
    env: { BCE_SERVER: base, BCE_TOKEN: 'bce_not-a-real-token-at-all-0000000000000000000' },
    stdout: { write: () => true },
    stderr: { write: () => true, isTTY: false, columns: 100 } as never,
  });
  expect(code).toBe(3);
});
