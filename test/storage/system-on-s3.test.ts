import { PassThrough } from 'node:stream';
import request from 'supertest';
import { startTestEnv, type TestEnv } from '../support/harness';
import { startS3rver, type TestServer } from '../support/s3rver';
import { sweepAbandonedMultipart } from '../../src/ingest/multipart-registry';

// The whole system configured for the S3 driver, as docker-compose runs it against MinIO.
const MiB = 1024 * 1024;
let s3: TestServer;
let env: TestEnv;

beforeAll(async () => {
  s3 = await startS3rver();
  env = await startTestEnv({
    STORAGE_DRIVER: 'minio',
    MINIO_ENDPOINT: s3.endPoint,
    MINIO_ACCESS_KEY: 'S3RVER',
    MINIO_SECRET_KEY: 'S3RVER',
    MINIO_BUCKET: 'bureau-evidence',
    MINIO_PART_SIZE_MB: '5',
  });
});
afterAll(async () => {
  await env.close();
  await s3.close();
});

const pending = async () => (await env.ctx.pool.query('SELECT object_key FROM multipart_uploads')).rows.map((r) => r.object_key);

test('start-up creates the bucket, and /healthz reports the S3 store', async () => {
  const res = await request(env.app).get('/healthz');
  expect(res.status).toBe(200);
  expect(res.body.checks.storage).toBe('ok');
  expect(env.ctx.store.driver).toBe('minio');
});

test('a multipart upload in progress is on record in PostgreSQL until it completes', async () => {
  const body = new PassThrough();
  const put = env.ctx.store.put('originals/ab/abc123', body);
  body.write(Buffer.alloc(6 * MiB, 1)); // more than one part: the upload goes multipart
  const until = Date.now() + 10_000;
  while ((await pending()).length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  expect(await pending()).toEqual(['originals/ab/abc123']);
  body.end(Buffer.alloc(2 * MiB, 2));
  expect(await put).toEqual({ size: 8 * MiB });
  expect(await pending()).toEqual([]);
  expect((await env.ctx.store.stat('originals/ab/abc123'))?.size).toBe(8 * MiB);
});

test('a failed multipart upload is aborted and leaves no record, object or parts', async () => {
  const body = new PassThrough();
  const put = env.ctx.store.put('originals/cd/cdef', body);
  const outcome = put.then(
    () => 'stored',
    (err: Error) => err.message,
  );
  body.write(Buffer.alloc(11 * MiB, 3));
  const until = Date.now() + 10_000;
  while ((await pending()).length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  body.destroy(new Error('the recorder was unplugged'));
  expect(await outcome).toBe('the recorder was unplugged');
  expect(await pending()).toEqual([]);
  expect(await env.ctx.store.stat('originals/cd/cdef')).toBeNull();
  expect(await s3.unfinishedUploads('bureau-evidence')).toEqual([]);
});

test('the sweeper aborts multipart uploads left on record by a process that died, and keeps fresh ones', async () => {
  await env.ctx.pool.query(
    `INSERT INTO multipart_uploads (object_key, upload_id, started_at) VALUES
       ('originals/ee/eeee', 'dead-upload', now() - interval '2 days'), ('originals/ff/ffff', 'live-upload', now())`,
  );
  const cleared = await sweepAbandonedMultipart(env.ctx.pool, env.ctx.store, env.ctx.logger, 24 * 3600_000);
  expect(cleared).toBe(1);
  expect(await pending()).toEqual(['originals/ff/ffff']);
  await env.ctx.pool.query('DELETE FROM multipart_uploads');
});
