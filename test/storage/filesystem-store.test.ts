import { mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { FilesystemStore } from '../../storage/filesystem-store';
import { createObjectStore } from '../../storage/index';
import { StorageUnavailableError } from '../../storage/object-store';
import { listAll, objectStoreContract, readAll, sourceOf } from './contract';

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bce-fs-store-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function incomingFiles(store: FilesystemStore): Promise<string[]> {
  try {
    return await readdir(store.incoming);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

objectStoreContract('FilesystemStore', async () => {
  const store = new FilesystemStore(await tempDir());
  await store.init();
  return { store, leftovers: () => incomingFiles(store), close: async () => undefined };
});

describe('FilesystemStore', () => {
  it('keeps objects under <dataDir>/objects, at the path the key names', async () => {
    const dataDir = await tempDir();
    const store = await createObjectStore({ driver: 'filesystem', dataDir });
    expect(store).toBeInstanceOf(FilesystemStore);
    await store.put('originals/ab/abc', Readable.from([Buffer.from('footage')]));
    expect((await stat(path.join(dataDir, 'objects', 'originals', 'ab', 'abc'))).size).toBe(7);
  });

  it('never lists its own temp files', async () => {
    const store = new FilesystemStore(await tempDir());
    await store.init();
    await writeFile(path.join(store.incoming, 'half-written'), 'x');
    await store.put('a/b', Readable.from([Buffer.from('y')]));
    expect((await listAll(store, '')).map((o) => o.key)).toEqual(['a/b']);
  });

  it('prunes directories left empty by remove, and only those', async () => {
    const store = new FilesystemStore(await tempDir());
    await store.put('derived/ab/abc/proxy.mp4', Readable.from([Buffer.from('p')]));
    await store.put('derived/ab/abd/proxy.mp4', Readable.from([Buffer.from('q')]));
    await store.remove('derived/ab/abc/proxy.mp4');
    await expect(stat(path.join(store.root, 'derived', 'ab', 'abc'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await stat(path.join(store.root, 'derived', 'ab'))).isDirectory()).toBe(true);
    await store.remove('derived/ab/abd/proxy.mp4');
    await expect(stat(path.join(store.root, 'derived'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await stat(store.root)).isDirectory()).toBe(true);
  });

  it('survives a remove pruning the directory a concurrent put is about to use', async () => {
    const store = new FilesystemStore(await tempDir());
    const rounds = 40;
    for (let i = 0; i < rounds; i++) {
      await store.put('derived/cd/cde/a', Readable.from([Buffer.from('a')]));
      // The remove empties and prunes derived/cd/cde while the put makes it and renames into it.
      await Promise.all([
        store.remove('derived/cd/cde/a'),
        store.put('derived/cd/cde/b', Readable.from([Buffer.from('b')])),
      ]);
      expect((await readAll(await store.get('derived/cd/cde/b'))).toString()).toBe('b');
      await store.remove('derived/cd/cde/b');
    }
  });

  it('replaces an object atomically when the same key is put again', async () => {
    const store = new FilesystemStore(await tempDir());
    await store.put('derived/ab/abc/thumb.jpg', Readable.from([Buffer.from('old')]));
    await store.put('derived/ab/abc/thumb.jpg', Readable.from([Buffer.from('newer')]));
    expect((await readAll(await store.get('derived/ab/abc/thumb.jpg'))).toString()).toBe('newer');
    expect(await incomingFiles(store)).toEqual([]);
  });

  it('sweeps temp files older than the limit and keeps fresh ones', async () => {
    const store = new FilesystemStore(await tempDir());
    await store.init();
    const stale = path.join(store.incoming, 'stale');
    await writeFile(stale, 'left by a crash');
    const old = new Date(Date.now() - 2 * 24 * 3600_000);
    await utimes(stale, old, old);
    await writeFile(path.join(store.incoming, 'fresh'), 'being written');
    await store.init(); // init sweeps with a one-day limit
    expect(await incomingFiles(store)).toEqual(['fresh']);
    // File times are coarser than Date.now(): age the file explicitly rather than racing the clock.
    const tenSecondsAgo = new Date(Date.now() - 10_000);
    await utimes(path.join(store.incoming, 'fresh'), tenSecondsAgo, tenSecondsAgo);
    expect(await store.sweepIncoming(5_000)).toBe(1);
    expect(await incomingFiles(store)).toEqual([]);
  });

  describe('when the root cannot be written', () => {
    // Running as root defeats permission bits, so the broken root sits under a regular file instead.
    let store: FilesystemStore;
    beforeAll(async () => {
      const dir = await tempDir();
      await writeFile(path.join(dir, 'not-a-dir'), 'x');
      store = new FilesystemStore(path.join(dir, 'not-a-dir', 'data'));
    });

    it('check() rejects with StorageUnavailableError', async () => {
      const err = await store.check().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageUnavailableError);
      expect(err).toMatchObject({ code: 'storage_unavailable', message: expect.stringMatching(/not writable/) });
    });

    it('put() rejects with StorageUnavailableError and consumes nothing more of the body', async () => {
      const body = sourceOf(Buffer.alloc(3 * 1024 * 1024));
      await expect(store.put('originals/ab/abc', body)).rejects.toBeInstanceOf(StorageUnavailableError);
      expect(body.destroyed).toBe(true);
    });

    it('init() rejects with StorageUnavailableError', async () => {
      await expect(store.init()).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(createObjectStore({ driver: 'filesystem', dataDir: path.dirname(store.root) })).rejects.toBeInstanceOf(
        StorageUnavailableError,
      );
    });

    it('reads answer "absent" rather than failing', async () => {
      expect(await store.stat('originals/ab/abc')).toBeNull();
      expect(await listAll(store, '')).toEqual([]);
    });
  });
});
