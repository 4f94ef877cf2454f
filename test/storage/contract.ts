// The behaviour every ObjectStore adapter must share. Each adapter's test file runs it against a real backend.

import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { types } from 'node:util';
import {
  StorageNotFoundError,
  type ObjectInfo,
  type ObjectStore,
} from '../../storage/object-store';

export interface ContractHarness {
  store: ObjectStore;
  /** What an interrupted put might have left behind (temp files, unfinished multipart uploads). */
  leftovers(): Promise<string[]>;
  close(): Promise<void>;
}

const MiB = 1024 * 1024;
// Odd sizes: part boundaries (5 MiB on S3 in these tests) never line up with chunk or object ends.
const CHUNK = 65_537;

// Not toBeInstanceOf(Date): Node's fs builds its Dates in another realm than the one jest runs tests in.
function isDate(value: unknown): value is Date {
  return types.isDate(value) && Number.isFinite(value.getTime());
}

// toEqual on Buffers compares (and on failure prints) byte by byte: seconds per MiB.
function expectSameBytes(actual: Buffer, expected: Buffer): void {
  expect(actual.length).toBe(expected.length);
  expect(sha256(actual)).toBe(sha256(expected));
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function listAll(store: ObjectStore, prefix: string): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const info of store.list(prefix)) out.push(info);
  // Code-unit order, not localeCompare: collation would weigh '/' differently from how the tests expect.
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * A stream of `data` in network-like chunks. `at` runs a hook once when that many bytes have been pushed;
 * `failAt` makes the stream error there instead of ending, as a dropped upload connection would; `pushed`
 * hears how far the consumer has pulled.
 */
export function sourceOf(
  data: Buffer,
  opts: { failAt?: number; at?: number; hook?: () => void; pushed?: (total: number) => void } = {},
): Readable {
  let offset = 0;
  let hooked = false;
  return new Readable({
    read() {
      if (opts.hook && !hooked && offset >= (opts.at ?? 0)) {
        hooked = true;
        opts.hook();
      }
      if (opts.failAt !== undefined && offset >= opts.failAt) {
        this.destroy(new Error('source broke'));
        return;
      }
      if (offset >= data.length) {
        this.push(null);
        return;
      }
      const end = Math.min(offset + CHUNK, data.length, opts.failAt ?? Infinity);
      this.push(data.subarray(offset, end));
      offset = end;
      opts.pushed?.(offset);
    },
  });
}

export function objectStoreContract(name: string, makeStore: () => Promise<ContractHarness>): void {
  describe(`${name} (ObjectStore contract)`, () => {
    let h: ContractHarness;
    // Every key of one run sits under its own prefix, so nothing from another run can be mistaken for ours.
    const p = `contract-${randomBytes(4).toString('hex')}`;
    const big = randomBytes(6 * MiB + 123);
    const huge = randomBytes(17 * MiB + 321);

    beforeAll(async () => {
      h = await makeStore();
    });
    afterAll(async () => {
      await h?.close();
    });

    it('check() resolves on a working store', async () => {
      await expect(h.store.check()).resolves.toBeUndefined();
    });

    it('stores a streamed object and reads it back whole', async () => {
      const before = Date.now();
      await expect(h.store.put(`${p}/whole/a.bin`, sourceOf(big))).resolves.toEqual({ size: big.length });
      const info = await h.store.stat(`${p}/whole/a.bin`);
      expect(info).toMatchObject({ key: `${p}/whole/a.bin`, size: big.length });
      expect(isDate(info!.lastModified)).toBe(true);
      // Second resolution on some backends: allow for the clock rounding down.
      expect(info!.lastModified.getTime()).toBeGreaterThanOrEqual(before - 2000);
      expect(info!.lastModified.getTime()).toBeLessThanOrEqual(Date.now() + 2000);
      expect(sha256(await readAll(await h.store.get(`${p}/whole/a.bin`)))).toBe(sha256(big));
    });

    it('reads inclusive byte ranges', async () => {
      const key = `${p}/whole/a.bin`;
      const read = async (start: number, end: number) => readAll(await h.store.get(key, { start, end }));
      expectSameBytes(await read(0, 0), big.subarray(0, 1));
      expectSameBytes(await read(0, 1), big.subarray(0, 2));
      expectSameBytes(await read(1_000_000, 1_000_099), big.subarray(1_000_000, 1_000_100));
      expectSameBytes(await read(5 * MiB - 10, 5 * MiB + 10), big.subarray(5 * MiB - 10, 5 * MiB + 11));
      expectSameBytes(await read(big.length - 1, big.length - 1), big.subarray(big.length - 1));
      // An end past the object is clamped, as HTTP Range does.
      expectSameBytes(await read(big.length - 10, big.length + 1000), big.subarray(big.length - 10));
    });

    it('rejects a range that starts past the end with a RangeError', async () => {
      await expect(h.store.get(`${p}/whole/a.bin`, { start: big.length, end: big.length + 5 })).rejects.toBeInstanceOf(
        RangeError,
      );
      await expect(h.store.get(`${p}/whole/a.bin`, { start: 5, end: 4 })).rejects.toBeInstanceOf(RangeError);
    });

    it('stores an object of several parts', async () => {
      await expect(h.store.put(`${p}/huge.bin`, sourceOf(huge))).resolves.toEqual({ size: huge.length });
      expect((await h.store.stat(`${p}/huge.bin`))?.size).toBe(huge.length);
      expect(sha256(await readAll(await h.store.get(`${p}/huge.bin`)))).toBe(sha256(huge));
      const span = await readAll(await h.store.get(`${p}/huge.bin`, { start: 15 * MiB - 3, end: 16 * MiB + 2 }));
      expectSameBytes(span, huge.subarray(15 * MiB - 3, 16 * MiB + 3));
      expect(await h.leftovers()).toEqual([]);
    });

    it('stores a zero-byte object', async () => {
      await expect(h.store.put(`${p}/empty`, Readable.from([]))).resolves.toEqual({ size: 0 });
      expect(await h.store.stat(`${p}/empty`)).toMatchObject({ key: `${p}/empty`, size: 0 });
      expect((await readAll(await h.store.get(`${p}/empty`))).length).toBe(0);
      expect(await listAll(h.store, `${p}/empty`)).toEqual([expect.objectContaining({ key: `${p}/empty`, size: 0 })]);
    });

    it('lists only the keys under a prefix', async () => {
      const keys = [`${p}/list/a/1`, `${p}/list/a/2`, `${p}/list/ab/1`, `${p}/list/b/1`, `${p}/lists`];
      for (const [i, key] of keys.entries()) await h.store.put(key, Readable.from([Buffer.alloc(i + 1, i)]));
      const keysOf = async (prefix: string) => (await listAll(h.store, prefix)).map((o) => o.key);

      expect(await keysOf(`${p}/list/a/`)).toEqual([`${p}/list/a/1`, `${p}/list/a/2`]);
      expect(await keysOf(`${p}/list/a`)).toEqual([`${p}/list/a/1`, `${p}/list/a/2`, `${p}/list/ab/1`]);
      expect(await keysOf(`${p}/list/`)).toEqual(keys.slice(0, 4));
      expect(await keysOf(`${p}/list`)).toEqual(keys);
      expect(await keysOf(`${p}/list/a/1`)).toEqual([`${p}/list/a/1`]);
      expect(await keysOf(`${p}/nothing-here/`)).toEqual([]);
      const infos = await listAll(h.store, `${p}/list/`);
      expect(infos.map((o) => o.size)).toEqual([1, 2, 3, 4]);
      for (const info of infos) expect(isDate(info.lastModified)).toBe(true);
      // The whole store: everything of this run is there, with nothing of the store's own bookkeeping.
      const all = await keysOf('');
      expect(all).toEqual(expect.arrayContaining([...keys, `${p}/whole/a.bin`]));
      for (const key of all) expect(key).toMatch(/^[A-Za-z0-9_-]/);
    });

    it('removes an object, and removing it again is fine', async () => {
      const key = `${p}/gone/x`;
      await h.store.put(key, Readable.from([Buffer.from('soon gone')]));
      await h.store.put(`${p}/gone/neighbour`, Readable.from([Buffer.from('stays')]));
      await h.store.remove(key);
      expect(await h.store.stat(key)).toBeNull();
      await expect(h.store.get(key)).rejects.toBeInstanceOf(StorageNotFoundError);
      await expect(h.store.get(key, { start: 0, end: 1 })).rejects.toBeInstanceOf(StorageNotFoundError);
      await expect(h.store.remove(key)).resolves.toBeUndefined();
      expect((await listAll(h.store, `${p}/gone/`)).map((o) => o.key)).toEqual([`${p}/gone/neighbour`]);
      expect((await readAll(await h.store.get(`${p}/gone/neighbour`))).toString()).toBe('stays');
      // Once the last object under a prefix goes, a put there still works.
      await h.store.remove(`${p}/gone/neighbour`);
      await h.store.put(`${p}/gone/again`, Readable.from([Buffer.from('back')]));
      expect((await h.store.stat(`${p}/gone/again`))?.size).toBe(4);
    });

    it('answers null / StorageNotFoundError for a key never stored', async () => {
      expect(await h.store.stat(`${p}/never`)).toBeNull();
      const err = await h.store.get(`${p}/never`).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageNotFoundError);
      expect(err).toMatchObject({ code: 'storage_not_found', key: `${p}/never` });
    });

    it('refuses bad keys before touching the store', async () => {
      const body = Readable.from([Buffer.from('x')]);
      await expect(h.store.put('../escape', body)).rejects.toThrow(/bad segment/);
      expect(body.destroyed).toBe(true);
      await expect(h.store.put('/abs', Readable.from([Buffer.from('x')]))).rejects.toThrow(/relative/);
      await expect(h.store.stat('a//b')).rejects.toThrow(/bad segment/);
      await expect(h.store.get('.incoming/x')).rejects.toThrow(/bad segment/);
      await expect(h.store.remove('')).rejects.toThrow(/empty/);
    });

    it('keeps a put in progress invisible until it completes', async () => {
      const key = `${p}/slow.bin`;
      const body = new PassThrough();
      const put = h.store.put(key, body);
      put.catch(() => undefined);
      body.write(big.subarray(0, 5 * MiB + 1));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await h.store.stat(key)).toBeNull();
      expect((await listAll(h.store, `${p}/slow`)).length).toBe(0);
      body.end(big.subarray(5 * MiB + 1));
      await expect(put).resolves.toEqual({ size: big.length });
      expect(sha256(await readAll(await h.store.get(key)))).toBe(sha256(big));
    });

    describe('an interrupted put leaves nothing behind', () => {
      const expectNothing = async (key: string) => {
        expect(await h.store.stat(key)).toBeNull();
        expect((await listAll(h.store, key)).length).toBe(0);
        await expect(h.store.get(key)).rejects.toBeInstanceOf(StorageNotFoundError);
        expect(await h.leftovers()).toEqual([]);
      };

      it('when the source fails after several parts', async () => {
        const key = `${p}/broken/late`;
        const body = sourceOf(huge, { failAt: 11 * MiB + 7 });
        await expect(h.store.put(key, body)).rejects.toThrow('source broke');
        expect(body.destroyed).toBe(true);
        await expectNothing(key);
      });

      it('when the source fails within the first part', async () => {
        const key = `${p}/broken/early`;
        await expect(h.store.put(key, sourceOf(huge, { failAt: MiB }))).rejects.toThrow('source broke');
        await expectNothing(key);
      });

      it('when the put is aborted mid-way', async () => {
        const key = `${p}/aborted/mid`;
        const ac = new AbortController();
        const body = sourceOf(huge, { at: 7 * MiB, hook: () => ac.abort() });
        await expect(h.store.put(key, body, { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
        expect(body.destroyed).toBe(true);
        await expectNothing(key);
      });

      it('when the put is aborted while the source is idle', async () => {
        const key = `${p}/aborted/idle`;
        const ac = new AbortController();
        const body = new PassThrough();
        const put = h.store.put(key, body, { signal: ac.signal });
        put.catch(() => undefined);
        body.write(huge.subarray(0, 6 * MiB));
        setTimeout(() => ac.abort(), 200);
        await expect(put).rejects.toMatchObject({ name: 'AbortError' });
        await expectNothing(key);
      });

      it('when the signal was aborted before the put began', async () => {
        const key = `${p}/aborted/before`;
        const body = sourceOf(big);
        await expect(h.store.put(key, body, { signal: AbortSignal.abort() })).rejects.toMatchObject({
          name: 'AbortError',
        });
        expect(body.destroyed).toBe(true);
        await expectNothing(key);
      });
    });
  });
}
