import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import request from 'supertest';
import { ffprobeArgs, parseProbe } from '../../src/media/probe';
import { startWorkerRole, type WorkerRole } from '../../workers/worker';
import { fixtureFileName, makeFixture, type FixtureName } from '../fixtures/media';
import { seedBureau } from '../support/bureau';
import { startTestEnv, type TestEnv } from '../support/harness';
import { startS3rver, storageSettings, type TestServer } from '../support/s3rver';

// The pipeline on the S3 driver: ffprobe and ffmpeg read originals over presigned URLs (no local copy).
const run = promisify(execFile);
let s3: TestServer;
let env: TestEnv;
let tokens: Awaited<ReturnType<typeof seedBureau>>;
let worker: WorkerRole;
let dir: string;

beforeAll(async () => {
  const chosen = await storageSettings('minio');
  s3 = chosen.s3!;
  env = await startTestEnv(chosen.settings);
  tokens = await seedBureau(env);
  dir = await mkdtemp(path.join(tmpdir(), 'bce-pipeline-s3-'));
}, 60_000);
afterAll(async () => {
  await worker?.close();
  await env.close();
  await s3.close();
  await rm(dir, { recursive: true, force: true });
});


let seq = 0;
async function ingest(name: FixtureName, seconds?: number): Promise<string> {
  const fileName = fixtureFileName(name, { seq: ++seq });
  const file = await makeFixture(dir, name, fileName, seconds ? { seconds } : {});
  const res = await request(env.app).post('/api/recordings').set('Authorization', `Bearer ${tokens.station}`).attach('file', file, fileName);
  expect(res.status).toBe(201);
  return res.body.recordings[0].id as string;
}

async function settled(id: string, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await request(env.app).get(`/api/recordings/${id}`).set('Authorization', `Bearer ${tokens.admin}`);
    if (res.body.status === 'ready' || res.body.status === 'unplayable') return res.body;
    if (Date.now() > until) throw new Error(`recording ${id} still ${res.body.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('an outage of the store is waited out with retries, not taken for a broken file', async () => {
  // Footage arrives, then the store goes down before any worker runs.
  const id = await ingest('recorder', 6);
  const port = new URL(s3.endPoint).port;
  const directory = s3.directory;
  await s3.close({ keepDirectory: true });
  worker = startWorkerRole(env.ctx);
  const probes = new Queue('probe', { connection: { host: '127.0.0.1', port: 6379 }, prefix: env.config.redis.prefix });
  try {
    const until = Date.now() + 20_000;
    let job = await probes.getJob(`probe-${id}`);
    while (!(job && job.attemptsMade >= 1) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
      job = await probes.getJob(`probe-${id}`);
    }
    expect(job!.attemptsMade).toBeGreaterThanOrEqual(1);
    expect(await job!.getState()).toMatch(/delayed|waiting|active/);
    const mid = await env.ctx.pool.query('SELECT status FROM recordings WHERE id = $1', [id]);
    expect(mid.rows[0].status).not.toBe('unplayable');
  } finally {
    await probes.close();
  }
  s3 = await startS3rver('implemented', { port: Number(port), directory });
  const done = await settled(id);
  expect(done).toMatchObject({ status: 'ready', playback: { proxy: { kind: 'original' }, poster: true } });
}, 60_000);

test('originals in S3 are probed, thumbnailed and transcoded over presigned URLs', async () => {
  worker ??= startWorkerRole(env.ctx);
  const [recorder, hevc] = await Promise.all([ingest('recorder', 4), ingest('hevc')]);
  const a = await settled(recorder);
  expect(a).toMatchObject({ status: 'ready', playback: { proxy: { kind: 'original' }, poster: true } });
  const b = await settled(hevc);
  expect(b).toMatchObject({ status: 'ready', playback: { proxy: { kind: 'transcode' }, poster: true } });

  const res = await request(env.app)
    .get(`/api/recordings/${hevc}/proxy`)
    .set('Authorization', `Bearer ${tokens.admin}`)
    .set('Range', 'bytes=0-')
    .buffer(true)
    .parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
  expect(res.status).toBe(206);
  const file = path.join(dir, 'hevc-proxy.mp4');
  await writeFile(file, res.body as Buffer);
  const out = parseProbe((await run('ffprobe', ffprobeArgs(file))).stdout);
  expect(out.video).toMatchObject({ codec: 'h264', pixFmt: 'yuv420p' });
  expect(Math.abs(out.durationS! - b.durationS)).toBeLessThan(0.2);
}, 60_000);
