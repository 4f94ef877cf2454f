import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DockUrlStorage, setAsideIfCorrupt } from '../../src/dock/state';
import { removeDirs, tempDir } from './helpers';

let dir: string;
let file: string;
let warnings: string[];

beforeEach(async () => {
  dir = await tempDir('state');
  file = path.join(dir, 'uploads.json');
  warnings = [];
});
afterEach(async () => removeDirs(dir));

const entry = (url: string, creationTime = new Date().toString()) => ({
  size: 10,
  metadata: { filename: 'a.MP4' },
  creationTime,
  urlStorageKey: '',
  uploadUrl: url,
  parallelUploadUrls: null,
});

test('keeps, finds and forgets uploads by fingerprint in the state file', async () => {
  const storage = new DockUrlStorage(file, { warn: (m) => warnings.push(m) });
  const fpA = 'a'.repeat(64);
  const fpB = 'b'.repeat(64);
  const keyA = await storage.addUpload(fpA, entry('http://s/api/uploads/1'));
  await Promise.all([storage.addUpload(fpB, entry('http://s/api/uploads/2')), storage.addUpload(fpB, entry('http://s/api/uploads/3'))]);

  expect(keyA.startsWith(`tus::${fpA}::`)).toBe(true);
  expect((await storage.findUploadsByFingerprint(fpA)).map((u) => u.uploadUrl)).toEqual(['http://s/api/uploads/1']);
  expect((await storage.findUploadsByFingerprint(fpB)).map((u) => u.uploadUrl).sort()).toEqual(['http://s/api/uploads/2', 'http://s/api/uploads/3']);

  await storage.forget(fpB);
  await storage.removeUpload(keyA);
  await storage.flush();
  expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({});
  expect(warnings).toEqual([]);
});

test('drops entries older than the limit', async () => {
  const storage = new DockUrlStorage(file, { warn: (m) => warnings.push(m) });
  const now = Date.parse('2025-06-30T00:00:00Z');
  await storage.addUpload('c'.repeat(64), entry('http://s/old', new Date('2025-06-01T00:00:00Z').toString()));
  await storage.addUpload('d'.repeat(64), entry('http://s/new', new Date('2025-06-29T00:00:00Z').toString()));

  expect(await storage.prune(14 * 24 * 3600 * 1000, now)).toBe(1);
  expect((await storage.findAllUploads()).map((u) => u.uploadUrl)).toEqual(['http://s/new']);
});

test('waits out a lock held by another client', async () => {
  const storage = new DockUrlStorage(file, { warn: (m) => warnings.push(m), lockRetryDelaysMs: [300, 300, 300, 300, 300] });
  // What proper-lockfile makes while another process writes.
  await mkdir(`${file}.lock`);
  const released = new Promise<void>((resolve) => setTimeout(() => void rm(`${file}.lock`, { recursive: true }).then(() => resolve()), 1000));

  const key = await storage.addUpload('e'.repeat(64), entry('http://s/1'));
  await released;

  expect(key).toMatch(/^tus::e{64}::/);
  expect(await storage.findUploadsByFingerprint('e'.repeat(64))).toHaveLength(1);
  expect(warnings).toEqual([]);
});

test('a state that cannot be written costs resumability, not the upload', async () => {
  // No retries of our own: FileUrlStorage's lock already tries for about 0.6 s each time.
  const storage = new DockUrlStorage(file, { warn: (m) => warnings.push(m), lockRetryDelaysMs: [] });
  await mkdir(`${file}.lock`);

  await expect(storage.addUpload('f'.repeat(64), entry('http://s/1'))).resolves.toBe('');
  await expect(storage.removeUpload('tus::x::1')).resolves.toBeUndefined();

  expect(warnings).toHaveLength(2);
  expect(warnings[0]).toMatch(/cannot save the upload state .* restart from zero/);
});

test('a state file cut short by a crash is set aside, a good one is left alone', async () => {
  expect(await setAsideIfCorrupt(file)).toBeNull();
  await writeFile(file, '{"tus::a::1":{"size":1}}');
  expect(await setAsideIfCorrupt(file)).toBeNull();
  await writeFile(file, '{"tus::a::1":{"si');
  const aside = await setAsideIfCorrupt(file, new Date('2025-06-01T10:00:00.000Z'));
  expect(aside).toBe(`${file}.corrupt-2025-06-01T100000000Z`);
  expect((await readdir(dir)).sort()).toEqual(['uploads.json.corrupt-2025-06-01T100000000Z']);
  const storage = new DockUrlStorage(file, { warn: (m) => warnings.push(m) });
  expect(await storage.findAllUploads()).toEqual([]);
});
