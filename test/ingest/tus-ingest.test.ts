import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Upload, type HttpResponse } from 'tus-js-client';
import { makeClip } from '../fixtures/clips';
import { seedBureau } from '../support/bureau';
import { listen } from '../support/listen';
import { startTestEnv, type TestEnv } from '../support/harness';
import { storageSettings, type TestServer } from '../support/s3rver';

// The tus endpoint wired to the real ingest path, on both stores: a finished upload becomes a recording
// exactly as a multipart one does (same hashing, dedupe, validation and custody).
describe.each(['filesystem', 'minio'] as const)('tus uploads become recordings on the %s store', (driver) => {
  let env: TestEnv;
  let s3: TestServer | undefined;
  let closeServer: () => Promise<void>;
  let base: string;
  let station: string;
  let dir: string;

  beforeAll(async () => {
    const chosen = await storageSettings(driver);
    s3 = chosen.s3;
    const storage = chosen.settings;
    env = await startTestEnv(storage);
    station = (await seedBureau(env)).station;
    dir = await mkdtemp(path.join(tmpdir(), 'bce-tus-'));
    ({ base, close: closeServer } = await listen(env.app));
  });
  afterAll(async () => {
    await closeServer();
    await env.close();
    await s3?.close();
    await rm(dir, { recursive: true, force: true });
  });

  function send(data: Buffer, metadata: Record<string, string>): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      new Upload(data, {
        endpoint: `${base}/api/uploads`,
        uploadSize: data.length,
        chunkSize: 64 * 1024,
        metadata,
        headers: { Authorization: `Bearer ${station}` },
        retryDelays: null,
        storeFingerprintForResuming: false,
        onSuccess: ({ lastResponse }) => resolve(lastResponse),
        onError: reject,
      }).start();
    });
  }
  const leftovers = async () => (await readdir(path.join(env.dataDir, 'uploads')).catch(() => [])).length;

  test('a finished upload is a recording: hashed, on record, queued; the same file again is the duplicate', async () => {
    const clip = await readFile(await makeClip(dir, 'DSJ0002_100002_20260310080000_0003.MP4'));
    const sha = createHash('sha256').update(clip).digest('hex');
    const res = await send(clip, { filename: 'DSJ0002_100002_20260310080000_0003.MP4', dockedAt: '2026-03-10T18:00:00+08:00', sha256: sha });
    expect(res.getHeader('X-Content-SHA256')).toBe(sha);
    expect(res.getHeader('X-Recording-Duplicate')).toBe('false');
    const id = res.getHeader('X-Recording-Id');
    const row = (await env.ctx.pool.query('SELECT sha256, size, upload_method, docked_at, seq FROM recordings WHERE id = $1', [id])).rows[0];
    expect(row).toMatchObject({ sha256: sha, size: clip.length, upload_method: 'tus', seq: 3 });
    expect(row.docked_at.toISOString()).toBe('2026-03-10T10:00:00.000Z');
    expect((await env.ctx.pool.query("SELECT action FROM custody_events WHERE target = $1", [`recording:${id}`])).rows).toEqual([{ action: 'ingest' }]);
    expect((await env.ctx.pool.query('SELECT 1 FROM outbox WHERE job_id = $1', [`probe-${id}`])).rowCount).toBe(1);
    expect(await leftovers()).toBe(0);

    const again = await send(clip, { filename: 'copy.MP4', recorderSerial: 'DSJ0002', startedAt: '2026-03-10T08:00:00+08:00' });
    expect(again.getHeader('X-Recording-Id')).toBe(id);
    expect(again.getHeader('X-Recording-Duplicate')).toBe('true');
    expect(Number((await env.ctx.pool.query('SELECT count(*) FROM recordings')).rows[0].count)).toBe(1);
  });

  test('bad metadata is refused when the upload is created, before any footage is sent', async () => {
    const clip = await readFile(await makeClip(dir, 'DSJ0002_999999_20260310090000_0001.MP4'));
    const uploads = async () => Number((await env.ctx.pool.query('SELECT count(*) FROM tus_uploads')).rows[0].count);
    const before = await uploads();
    await expect(send(clip, { filename: 'DSJ0002_999999_20260310090000_0001.MP4' })).rejects.toThrow(/422/);
    expect(await uploads()).toBe(before);
    expect(await leftovers()).toBe(0);
  });

  test('content that is not footage is refused at the end, and nothing of it stays', async () => {
    const before = Number((await env.ctx.pool.query('SELECT count(*) FROM recordings')).rows[0].count);
    await expect(send(Buffer.from('text, not video\n'.repeat(1000)), { filename: 'DSJ0001_100001_20260310100000_0001.MP4' })).rejects.toThrow(/415/);
    expect(Number((await env.ctx.pool.query('SELECT count(*) FROM recordings')).rows[0].count)).toBe(before);
    expect(await leftovers()).toBe(0);
    const keys: string[] = [];
    for await (const o of env.ctx.store.list('originals/')) keys.push(o.key);
    expect(keys).toHaveLength(before);
  });
});
