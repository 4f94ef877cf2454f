import { mkdir, mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '../../src/logger';
import { runLimited, sweepWorkDirs } from '../../workers/media-job';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'bce-workdirs-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const host = hostname().replace(/[^A-Za-z0-9]/g, '_');
const logger = createLogger('silent');

test('the sweep removes the work of dead processes and of a predecessor with this pid, and keeps live work', async () => {
  const dead = `${host}-999999-proxy-0aa1-22-deadbeef`; // pid far above pid_max's default: not running
  const live = `${host}-${process.pid}-thumbnails-1b2c-cafe`;
  const predecessor = `${host}-${process.pid}-proxy-3d4e-f00d`; // same pid, a restarted container's forerunner
  const parent = `${host}-${process.ppid}-probe-5f6a-beef`; // another live process of this host
  const otherHostOld = `elsewhere-123-proxy-7b8c-0ld0`;
  const otherHostNew = `elsewhere-123-proxy-9d0e-n3w0`;
  for (const name of [dead, live, predecessor, parent, otherHostOld, otherHostNew]) await mkdir(path.join(dir, name, 'part'), { recursive: true });
  const longAgo = new Date(Date.now() - 3 * 24 * 3600_000);
  for (const name of [predecessor, otherHostOld]) await utimes(path.join(dir, name), longAgo, longAgo);

  expect(await sweepWorkDirs(dir, logger)).toBe(3);
  expect((await readdir(dir)).sort()).toEqual([live, parent, otherHostNew].sort());
  expect(await sweepWorkDirs(path.join(dir, 'absent'), logger)).toBe(0);
});

test('runLimited keeps at most the limit running, keeps order, and reports the first failure after all settle', async () => {
  let running = 0;
  let most = 0;
  const task = (v: number, fail = false) => async () => {
    running++;
    most = Math.max(most, running);
    await new Promise((r) => setTimeout(r, 5 + (v % 3)));
    running--;
    if (fail) throw new Error(`task ${v}`);
    return v;
  };
  expect(await runLimited(2, [1, 2, 3, 4, 5].map((v) => task(v)))).toEqual([1, 2, 3, 4, 5]);
  expect(most).toBe(2);
  const settled: number[] = [];
  await expect(runLimited(2, [task(1, true), async () => void settled.push(2), async () => void settled.push(3)])).rejects.toThrow('task 1');
  expect(settled).toEqual([2, 3]);
});
