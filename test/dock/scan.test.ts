import { mkdir, realpath, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sha256File } from '../../src/dock/hash';
import { isVideoName, scanFolder } from '../../src/dock/scan';
import { makeFiles, removeDirs, tempDir } from './helpers';

let root: string;
let outside: string;

beforeEach(async () => {
  root = await tempDir('scan');
  outside = await tempDir('outside');
});

afterEach(async () => {
  await removeDirs(root, outside);
});

test('finds video files recursively, in name order, skipping hidden entries, other files and symlinks leaving the folder', async () => {
  await makeFiles(root, {
    'b.MP4': 10,
    'a.mov': 20,
    'DCIM/100MEDIA/c.Mp4': 30,
    'DCIM/100MEDIA/d.avi': 40,
    'DCIM/e.ts': 50,
    'DCIM/f.MKV': 60,
    'DCIM/g.m4v': 70,
    'DCIM/empty.mp4': 0,
    'notes.txt': 5,
    'thumb.jpg': 5,
    'mp4': 5,
    '.hidden.mp4': 5,
    '.Trashes/old.mp4': 5,
    'DCIM/.thumbs/x.mp4': 5,
  });
  await makeFiles(outside, { 'elsewhere.mp4': 99, 'dir/inner.mp4': 99 });
  await symlink(path.join(outside, 'elsewhere.mp4'), path.join(root, 'link-out.mp4'));
  await symlink(path.join(outside, 'dir'), path.join(root, 'dir-out'));
  await symlink('../', path.join(root, 'DCIM', 'loop'));
  await symlink(path.join(root, 'b.MP4'), path.join(root, 'DCIM', 'again.mp4'));
  await symlink(path.join(root, 'gone.mp4'), path.join(root, 'broken.mp4'));

  const { files, ignored } = await scanFolder(root);

  expect(files.map((f) => f.relPath)).toEqual([
    'DCIM/100MEDIA/c.Mp4',
    'DCIM/100MEDIA/d.avi',
    'DCIM/e.ts',
    'DCIM/empty.mp4',
    'DCIM/f.MKV',
    'DCIM/g.m4v',
    'a.mov',
    'b.MP4',
  ]);
  expect(files.find((f) => f.relPath === 'DCIM/100MEDIA/c.Mp4')).toMatchObject({ name: 'c.Mp4', size: 30, path: path.join(root, 'DCIM/100MEDIA/c.Mp4') });
  expect(files.find((f) => f.relPath === 'DCIM/empty.mp4')?.size).toBe(0);
  expect(ignored).toEqual([
    { relPath: 'broken.mp4', reason: 'broken symlink' },
    { relPath: 'dir-out', reason: 'symlink leaves the folder' },
    { relPath: 'link-out.mp4', reason: 'symlink leaves the folder' },
  ]);
});

test('follows a symlink that stays inside, listing its target once', async () => {
  await makeFiles(root, { 'real/x.mp4': 10 });
  await symlink(path.join(root, 'real'), path.join(root, 'alias'));
  await symlink(path.join(root, 'real', 'x.mp4'), path.join(root, 'y.mp4'));
  await mkdir(path.join(root, 'only-link'));
  await makeFiles(root, { '.private/z.mp4': 7 });
  await symlink(path.join(root, '.private', 'z.mp4'), path.join(root, 'only-link', 'z.mp4'));

  const { files } = await scanFolder(root);

  expect(files.map((f) => f.relPath)).toEqual(['only-link/z.mp4', 'real/x.mp4']);
  expect(files[0].realPath).toBe(path.join(await realpath(root), '.private', 'z.mp4'));
  expect(files[1].realPath).toBe(path.join(await realpath(root), 'real', 'x.mp4'));
});

test('recognises the video extensions in any case and nothing else', () => {
  for (const name of ['a.mp4', 'A.MP4', 'b.MoV', 'c.avi', 'd.TS', 'e.mkv', 'f.M4V']) expect(isVideoName(name)).toBe(true);
  for (const name of ['a.mp3', 'a.mp4.txt', 'mp4', 'a.jpg', 'a.tsx']) expect(isVideoName(name)).toBe(false);
});

test('hashes a file with progress, reading it to the end', async () => {
  const made = await makeFiles(root, { 'v.mp4': 3 * 1024 * 1024 + 5 });
  const seen: number[] = [];
  const sha = await sha256File(path.join(root, 'v.mp4'), (bytes) => seen.push(bytes));
  expect(sha).toBe(made['v.mp4'].sha256);
  expect(seen.length).toBeGreaterThanOrEqual(4);
  expect(seen.at(-1)).toBe(3 * 1024 * 1024 + 5);
  expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  await writeFile(path.join(root, 'zero.mp4'), '');
  expect(await sha256File(path.join(root, 'zero.mp4'))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});
