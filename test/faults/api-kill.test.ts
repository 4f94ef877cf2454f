import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../scripts/scratch';
import { sweepAbandonedUploads } from '../../src/ingest/upload-sweeper';
import { uploadPath } from '../../src/ingest/tus-store';
import { seedBureau } from '../support/bureau';
import { startTestEnv, type TestEnv } from '../support/harness';
import { storageSettings, type TestServer } from '../support/s3rver';
import { footage, heldMultipartUpload, MiB, objectKeys, objectSha256, runTs, tusClient, type Child } from './upload-helpers';
import { waitFor } from '../support/wait';
import { parseLogLines } from '../support/log-capture';

/*
 * Issue 8, "the API process is killed mid-upload": the API runs as a child process (`src/main.ts api`) on the
 * S3 driver (s3rver on loopback), and is SIGKILLed while two tus uploads and two multipart uploads are on their
 * way. After a restart nothing half-written is visible; the restarted API's sweeper removes the uploads older than
 * UPLOAD_ABANDONED_HOURS (backdated here: the test does not wait a day) and keeps the fresh ones; the fresh tus
 * upload resumes from the offset HEAD gives and becomes a recording of exactly the file's bytes.
 */

const BUCKET = 'evidence';
let s3: TestServer;
let env: TestEnv;
let tokens: Awaited<ReturnType<typeof seedBureau>>;
let dir: string;
let childEnv: NodeJS.ProcessEnv;
const children: Child[] = [];

beforeAll(async () => {
  const chosen = await storageSettings('minio');
  s3 = chosen.s3!;
  const storage = { ...chosen.settings, MINIO_BUCKET: BUCKET, MINIO_PART_SIZE_MB: '5', MINIO_PART_CONCURRENCY: '1' };
  env = await startTestEnv(storage);
  tokens = await seedBureau(env);
  dir = await mkdtemp(path.join(tmpdir(), 'bce-apikill-'));
  // The API processes share the test's database, data folder and Redis prefix, so the test sees what they leave.
  childEnv = {
    ...process.env,
    ...storage,
    DATABASE_URL: env.config.database.url,
    DATA_DIR: env.dataDir,
    REDIS_PREFIX: env.config.redis.prefix,
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
  };
});
afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  await env?.close();
  await s3?.close();
  await rm(dir, { recursive: true, force: true });
});

async function startApi(): Promise<Child & { base: string }> {
  const port = await freePort();
  const api = runTs(['src/main.ts', 'api'], { ...childEnv, PORT: String(port) });
  children.push(api);
  let gone = false;
  void api.exited.then(() => (gone = true));
  // Generous: a cold start compiles the whole tree with tsx, slow on a busy machine.
  await waitFor(() => gone || api.output().includes('"api listening"'), 'the API to start', 90_000).catch((err: Error) => {
    throw new Error(`${err.message}; its output:\n${api.output().slice(-4000)}`);
  });
  if (gone) throw new Error(`the API exited at start-up:\n${api.output()}`);
  return { ...api, base: `http://127.0.0.1:${port}` };
}

const logLines = (api: Child) => parseLogLines(api.output());

const count = async (sql: string, params: unknown[] = []) => Number((await env.ctx.pool.query(sql, params)).rows[0].count);
const exists = (file: string) => stat(file).then(() => true, () => false);
const tusRow = async (id: string) =>
  (await env.ctx.pool.query('SELECT upload_offset AS "offset", completed_at AS "completedAt" FROM tus_uploads WHERE id = $1', [id])).rows[0];

async function listedRecordings(base: string): Promise<{ id: string }[]> {
  const res = await fetch(`${base}/api/recordings`, { headers: { authorization: `Bearer ${tokens.admin}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: { id: string }[] }).items;
}

test('killed mid-upload: nothing half-written is visible after restart; the sweeper removes abandoned uploads, keeps fresh ones; a tus upload resumes', async () => {
  const first = await startApi();
  const tus = tusClient(first.base, tokens.station);

  // A tus upload that will be resumed: 3 MiB recorded, then a PATCH cut by the kill after 2 MiB more.
  const resumed = await footage(dir, 'DSJ0001_100001_20260313080000_0001.MP4', 6 * MiB);
  const resumedId = await tus.create(resumed.bytes.length, { filename: 'DSJ0001_100001_20260313080000_0001.MP4', sha256: resumed.sha256 });
  expect((await tus.patch(resumedId, 0, resumed.bytes.subarray(0, 3 * MiB))).status).toBe(204);
  const cut = tus.held(resumedId, 3 * MiB, resumed.bytes.subarray(3 * MiB));
  await cut.sendUpTo(2 * MiB);

  // A tus upload whose station never comes back.
  const left = await footage(dir, 'DSJ0001_100001_20260313081000_0002.MP4', 2 * MiB);
  const leftId = await tus.create(left.bytes.length, { filename: 'DSJ0001_100001_20260313081000_0002.MP4' });
  expect((await tus.patch(leftId, 0, left.bytes.subarray(0, MiB))).status).toBe(204);

  // Two multipart uploads, each two parts into its S3 multipart upload.
  for (const name of ['DSJ0002_100002_20260313090000_0001.MP4', 'DSJ0003_200001_20260313091000_0001.MP4']) {
    const file = await footage(dir, name, 16 * MiB);
    const { request, fileStart } = heldMultipartUpload(first.base, tokens.station, name, file.bytes);
    await request.sendUpTo(fileStart + 11 * MiB);
  }
  await waitFor(async () => (await count('SELECT count(*) FROM multipart_uploads')) === 2, 'both multipart uploads to be on record');
  await waitFor(async () => (await stat(uploadPath(env.dataDir, resumedId))).size > 3 * MiB, 'the cut PATCH to have written past the recorded offset');

  first.child.kill('SIGKILL');
  expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });

  // What the dead process left: rows and bytes of unfinished uploads, never a recording or an object.
  expect(await count('SELECT count(*) FROM recordings')).toBe(0);
  expect(await tusRow(resumedId)).toEqual({ offset: 3 * MiB, completedAt: null });
  expect(await tusRow(leftId)).toEqual({ offset: MiB, completedAt: null });
  expect(await s3.unfinishedUploads(BUCKET)).toHaveLength(2);
  expect(await objectKeys(env.ctx.store)).toEqual([]);

  // Older than UPLOAD_ABANDONED_HOURS (24 by default): the abandoned tus upload and one multipart upload.
  await env.ctx.pool.query(`UPDATE tus_uploads SET updated_at = now() - interval '2 days' WHERE id = $1`, [leftId]);
  const { rows: backdated } = await env.ctx.pool.query<{ upload_id: string }>(
    `UPDATE multipart_uploads SET started_at = now() - interval '2 days'
      WHERE upload_id = (SELECT min(upload_id) FROM multipart_uploads) RETURNING upload_id`,
  );
  const freshUploadId = (await env.ctx.pool.query<{ upload_id: string }>('SELECT upload_id FROM multipart_uploads WHERE upload_id <> $1', [backdated[0]!.upload_id]))
    .rows[0]!.upload_id;

  // Bytes of uploads whose row was never written (killed between creating the file and the row): an old one
  // and one just made, which may yet get its row.
  const [oldOrphan, freshOrphan] = [randomUUID(), randomUUID()].map((id) => uploadPath(env.dataDir, id));
  for (const file of [oldOrphan!, freshOrphan!]) await writeFile(file, 'bytes of an upload');
  const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600_000);
  await utimes(oldOrphan!, twoDaysAgo, twoDaysAgo);

  const second = await startApi();
  await waitFor(() => logLines(second).some((l) => l.msg === 'swept abandoned uploads'), 'the restarted API to sweep');
  expect(logLines(second).find((l) => l.msg === 'swept abandoned uploads')).toMatchObject({ tusUploads: 1, tusOrphanFiles: 1, multipart: 1 });
  expect(await exists(oldOrphan!)).toBe(false);
  expect(await exists(freshOrphan!)).toBe(true);
  expect(await tusRow(leftId)).toBeUndefined();
  expect(await exists(uploadPath(env.dataDir, leftId))).toBe(false);
  expect(await s3.unfinishedUploads(BUCKET)).toEqual([freshUploadId]);
  expect((await env.ctx.pool.query('SELECT upload_id FROM multipart_uploads')).rows).toEqual([{ upload_id: freshUploadId }]);
  // The fresh ones stay: the tus upload with its row and bytes.
  expect(await tusRow(resumedId)).toEqual({ offset: 3 * MiB, completedAt: null });
  expect(await exists(uploadPath(env.dataDir, resumedId))).toBe(true);

  // Nothing half-written is visible.
  expect(await listedRecordings(second.base)).toEqual([]);
  expect(await objectKeys(env.ctx.store)).toEqual([]);

  // The station resumes where HEAD says; the bytes the dead process wrote past the offset are not kept.
  const again = tusClient(second.base, tokens.station);
  const head = await again.head(resumedId);
  expect(head.status).toBe(200);
  expect(head.headers.get('upload-offset')).toBe(String(3 * MiB));
  const done = await again.patch(resumedId, 3 * MiB, resumed.bytes.subarray(3 * MiB));
  expect(done.status).toBe(204);
  expect(done.headers.get('x-content-sha256')).toBe(resumed.sha256);
  const recordingId = done.headers.get('x-recording-id');
  expect((await listedRecordings(second.base)).map((r) => r.id)).toEqual([recordingId]);
  const keys = await objectKeys(env.ctx.store);
  expect(keys).toHaveLength(1);
  expect(await objectSha256(env.ctx.store, keys[0]!)).toBe(resumed.sha256);

  // The fresh multipart upload goes too once it is old enough (age 0 here, rather than waiting).
  expect(await sweepAbandonedUploads(env.ctx, { tus: false, store: true }, 0)).toMatchObject({ multipart: 1 });
  expect(await s3.unfinishedUploads(BUCKET)).toEqual([]);

  await second.stop();
  expect(await second.exited).toEqual({ code: 0, signal: null });
}, 240_000);
