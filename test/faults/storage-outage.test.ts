import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import type { RequestListener } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dockMain, type Tuning } from '../../src/dock/main';
import { sweepAbandonedUploads } from '../../src/ingest/upload-sweeper';
import { seedBureau } from '../support/bureau';
import { startTestEnv, type TestEnv } from '../support/harness';
import { listen } from '../support/listen';
import { storageSettings, type TestServer } from '../support/s3rver';
import { footage, heldMultipartUpload, MiB, objectKeys, objectSha256, StorageOutage } from './upload-helpers';
import { waitFor } from '../support/wait';

/*
 * Issue 8, "the object store fails mid-upload": s3rver (the test's own, on loopback) is stopped while an upload
 * is on its way. The client is told 503 storage_unavailable with Retry-After; no recording, object or multipart
 * upload stays (the one the outage kept from being aborted is on record, and the sweeper aborts it once the store
 * is back). The docking client (the real bce-dock code) keeps retrying and stores the file once storage returns.
 *
 * Not covered here: a full filesystem under the filesystem store. Making one takes a mount (a small tmpfs), which
 * needs root; test/ingest/multipart.test.ts covers the filesystem store failing every write (503, nothing kept).
 */

const BUCKET = 'evidence';
let s3: TestServer;
let env: TestEnv;
let station: string;
let dir: string;
let served: Awaited<ReturnType<typeof listen>>;

/** Every answer the API gave, in order: what the client was told. */
interface Answer {
  method: string;
  url: string;
  status: number;
  retryAfter?: string;
  code?: string;
}
const answers: Answer[] = [];
/** Awaited before a PATCH reaches the API: where a test stops the store mid-upload. */
let beforePatch: ((offset: number) => Promise<void>) | undefined;

const observed: RequestListener = (req, res) => {
  let body = '';
  const end = res.end.bind(res) as (...args: unknown[]) => typeof res;
  res.end = ((...args: unknown[]) => {
    if (typeof args[0] === 'string' || Buffer.isBuffer(args[0])) body = String(args[0]);
    return end(...args);
  }) as typeof res.end;
  res.on('finish', () => {
    let code: string | undefined;
    try {
      code = (JSON.parse(body) as { code?: string }).code;
    } catch {
      code = undefined;
    }
    answers.push({ method: req.method!, url: req.url!, status: res.statusCode, retryAfter: res.getHeader('retry-after') as string | undefined, code });
  });
  const hook = req.method === 'PATCH' ? beforePatch : undefined;
  if (!hook) return env.app(req, res);
  void hook(Number(req.headers['upload-offset'])).then(() => env.app(req, res));
};

beforeAll(async () => {
  const chosen = await storageSettings('minio');
  s3 = chosen.s3!;
  env = await startTestEnv({ ...chosen.settings, MINIO_BUCKET: BUCKET, MINIO_PART_SIZE_MB: '5', MINIO_PART_CONCURRENCY: '1' });
  station = (await seedBureau(env)).station;
  dir = await mkdtemp(path.join(tmpdir(), 'bce-outage-'));
  served = await listen(observed);
});
afterAll(async () => {
  await served?.close();
  await env?.close();
  await s3?.close();
  await rm(dir, { recursive: true, force: true });
});

const count = async (sql: string, params: unknown[] = []) => Number((await env.ctx.pool.query(sql, params)).rows[0].count);
const recordings = () => count('SELECT count(*) FROM recordings');
const registered = () => count('SELECT count(*) FROM multipart_uploads');

test('the store stops mid-upload: 503 storage_unavailable with Retry-After; no recording, object or parts stay once the sweeper ran', async () => {
  const file = await footage(dir, 'DSJ0001_100001_20260312080000_0001.MP4', 16 * MiB);
  const { request: upload, fileStart } = heldMultipartUpload(served.base, station, 'DSJ0001_100001_20260312080000_0001.MP4', file.bytes);

  // Two parts' worth: the multipart upload is under way (on record), the third part not yet read.
  await upload.sendUpTo(fileStart + 11 * MiB);
  await waitFor(async () => (await registered()) === 1, 'the multipart upload to be on record');
  const outage = new StorageOutage(s3);
  await outage.begin();
  upload.finish();

  const answer = await upload.answer;
  expect(answer.status).toBe(503);
  expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
  expect(JSON.parse(answer.body)).toMatchObject({ status: 503, code: 'storage_unavailable' });
  expect(await recordings()).toBe(0);
  // The abort could not reach the store: the upload stays on record for the sweeper, not forgotten.
  expect(await registered()).toBe(1);

  s3 = await outage.end();
  expect(await objectKeys(env.ctx.store)).toEqual([]);
  expect(await s3.unfinishedUploads(BUCKET)).toHaveLength(1);

  // Not yet abandoned by the configured age (UPLOAD_ABANDONED_HOURS): a sweep keeps it.
  expect(await sweepAbandonedUploads(env.ctx, { tus: true, store: true })).toMatchObject({ multipart: 0 });
  expect(await s3.unfinishedUploads(BUCKET)).toHaveLength(1);
  await env.ctx.pool.query(`UPDATE multipart_uploads SET started_at = now() - interval '2 days'`);
  expect(await sweepAbandonedUploads(env.ctx, { tus: true, store: true })).toMatchObject({ multipart: 1 });
  expect(await registered()).toBe(0);
  expect(await s3.unfinishedUploads(BUCKET)).toEqual([]);
  expect(await objectKeys(env.ctx.store)).toEqual([]);
  expect(await recordings()).toBe(0);
});

const DOCK_TUNING: Partial<Tuning> = {
  tusRetryDelaysMs: [100, 200, 400],
  retryBaseMs: 200,
  retryMaxMs: 1000,
  confirmDelaysMs: [100, 300],
  lookupAttempts: 3,
  progressIntervalMs: 60_000,
};

test('bce-dock keeps retrying through the outage and stores the file once when storage returns, with its hash', async () => {
  const recorder = path.join(dir, 'recorder');
  await mkdir(recorder);
  const name = 'DSJ0002_100002_20260312090000_0001.MP4';
  const file = await footage(recorder, name, 16 * MiB);
  const outage = new StorageOutage(s3);
  let stopped = false;
  // The store goes away after the first 4 MiB of the file have arrived: the upload is under way.
  beforePatch = async (offset) => {
    if (offset === 0 || stopped) return;
    stopped = true;
    await outage.begin();
  };
  answers.length = 0;

  let out = '';
  const docking = dockMain(
    {
      argv: [recorder, '--json', '--chunk-size', '4', '--retries', '20', '--state-dir', path.join(dir, 'dock-state')],
      env: { BCE_SERVER: served.base, BCE_TOKEN: station },
      stdout: { write: (t: string) => (out += t) },
      stderr: { write: () => true, isTTY: false },
    },
    DOCK_TUNING,
  );

  // Down long enough for both of the client's retries to meet it: tus-js-client's (the PATCH that carried the
  // last bytes) and the whole-file one (an empty PATCH asking the server to finish).
  const refusals = () => answers.filter((a) => a.method === 'PATCH' && a.status === 503);
  await waitFor(() => refusals().length >= 3, 'the upload to be refused three times for the outage');
  for (const refusal of refusals()) expect(refusal).toMatchObject({ code: 'storage_unavailable', retryAfter: expect.stringMatching(/^\d+$/) });
  expect(await recordings()).toBe(0);
  beforePatch = undefined;
  s3 = await outage.end();

  const code = await docking;
  const summary = JSON.parse(out) as { files: { path: string; status: string; sha256: string; recordingId: string; attempts: number }[] };
  expect(code).toBe(0);
  expect(summary.files).toEqual([expect.objectContaining({ path: name, status: 'uploaded', sha256: file.sha256 })]);
  expect(summary.files[0]!.attempts).toBeGreaterThan(1);

  const { rows } = await env.ctx.pool.query('SELECT id, sha256, size, object_key FROM recordings');
  expect(rows).toEqual([{ id: summary.files[0]!.recordingId, sha256: file.sha256, size: file.bytes.length, object_key: expect.any(String) }]);
  expect(await objectKeys(env.ctx.store)).toEqual([rows[0].object_key]);
  expect(await objectSha256(env.ctx.store, rows[0].object_key)).toBe(file.sha256);
  // The refused completions tried again and again; the last one stored the file. Nothing is left half-way.
  const patches = answers.filter((a) => a.method === 'PATCH');
  expect(patches.filter((a) => a.status === 503).length).toBeGreaterThanOrEqual(3);
  expect(patches.at(-1)?.status).toBe(204);
  expect(await registered()).toBe(0);
  expect(await s3.unfinishedUploads(BUCKET)).toEqual([]);
  expect(await readdir(path.join(env.dataDir, 'uploads'))).toEqual([]);
}, 90_000);
