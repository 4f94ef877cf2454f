import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import request from 'supertest';
import { parseProbe, ffprobeArgs, type MediaInfo } from '../../src/media/probe';
import { startWorkerRole, type WorkerRole } from '../../workers/worker';
import { FIXTURES, fixtureFileName, makeFixture, moovBeforeMdat, type FixtureName } from '../fixtures/media';
import { seedBureau } from '../support/bureau';
import { startTestEnv, type TestEnv } from '../support/harness';

const run = promisify(execFile);
let env: TestEnv;
let tokens: Awaited<ReturnType<typeof seedBureau>>;
let worker: WorkerRole;
let dir: string;

beforeAll(async () => {
  env = await startTestEnv({ OUTBOX_POLL_MS: '2000' });
  tokens = await seedBureau(env);
  worker = startWorkerRole(env.ctx);
  dir = await mkdtemp(path.join(tmpdir(), 'bce-pipeline-'));
}, 60_000);
afterAll(async () => {
  await worker.close();
  await env.close();
  await rm(dir, { recursive: true, force: true });
});

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

async function probeFile(file: string): Promise<MediaInfo> {
  return parseProbe((await run('ffprobe', ffprobeArgs(file))).stdout);
}

/** Waits for the pipeline to finish with a recording: ready or unplayable. */
async function settled(id: string, timeoutMs = 60_000): Promise<request.Response> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await request(env.app).get(`/api/recordings/${id}`).set(auth(tokens.admin));
    if (res.body.status === 'ready' || res.body.status === 'unplayable') return res;
    if (Date.now() > until) throw new Error(`recording ${id} still ${res.body.status} (progress ${res.body.progress})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let seq = 0;
async function ingest(name: FixtureName, seconds?: number): Promise<{ file: string; res: request.Response }> {
  const fileName = fixtureFileName(name, { seq: ++seq });
  const file = await makeFixture(dir, name, fileName, seconds ? { seconds } : {});
  const res = await request(env.app).post('/api/recordings').set(auth(tokens.station)).attach('file', file, fileName);
  return { file, res };
}

async function download(url: string, to: string): Promise<string> {
  const res = await request(env.app).get(url).set(auth(tokens.admin)).buffer(true).parse((r, cb) => {
    const chunks: Buffer[] = [];
    r.on('data', (c: Buffer) => chunks.push(c));
    r.on('end', () => cb(null, Buffer.concat(chunks)));
  });
  expect(res.status).toBe(200);
  await writeFile(to, res.body as Buffer);
  return to;
}

const playable = (Object.keys(FIXTURES) as FixtureName[]).filter((n) => FIXTURES[n].expect.status === 'ready');

describe.each(playable)('%s', (name) => {
  test(`ends ready with a ${FIXTURES[name].expect.proxy} proxy that plays in a browser, and thumbnails`, async () => {
    // The recorder clip is long enough for a sprite sheet of two rows, the last one short.
    const { file, res } = await ingest(name, name === 'recorder' ? 24 : undefined);
    expect(res.status).toBe(201);
    const id = res.body.recordings[0].id as string;
    const done = await settled(id);
    const source = await probeFile(file);
    expect(done.body).toMatchObject({ status: 'ready', statusReason: null, progress: 1, playback: { proxy: { kind: FIXTURES[name].expect.proxy } } });
    expect(done.body.durationS).toBeCloseTo(source.durationS!, 3);
    expect(Date.parse(done.body.endedAt) - Date.parse(done.body.startedAt)).toBeCloseTo(source.durationS! * 1000, -1);

    const proxy = await download(`/api/recordings/${id}/proxy`, path.join(dir, `${id}.proxy.mp4`));
    const out = await probeFile(proxy);
    expect(out.video).toMatchObject({ codec: 'h264' });
    expect(['yuv420p', 'yuvj420p']).toContain(out.video!.pixFmt);
    expect(out.audio === null || (out.audio.codec === 'aac' && out.audio.channels! <= 2)).toBe(true);
    // Within two frames of the source.
    expect(Math.abs(out.durationS! - source.durationS!)).toBeLessThanOrEqual(2 / (source.video!.frameRate ?? 15) + 0.05);
    if (FIXTURES[name].expect.proxy === 'original') expect(done.body.sha256).toBe((await run('sha256sum', [proxy])).stdout.slice(0, 64));
    else expect(await moovBeforeMdat(proxy)).toBe(true);

    const poster = await download(`/api/recordings/${id}/thumbnail`, path.join(dir, `${id}.poster.jpg`));
    expect((await probeFile(poster)).video).toMatchObject({ codec: 'mjpeg' });
    const sprite = done.body.playback.sprite;
    const sheet = await probeFile(await download(`/api/recordings/${id}/thumbnail?kind=sprite`, path.join(dir, `${id}.sprite.jpg`)));
    expect(sheet.video).toMatchObject({ width: sprite.columns * sprite.tileWidth, height: sprite.rows * sprite.tileHeight });
    if (name === 'recorder') expect(sprite).toMatchObject({ count: 12, columns: 10, rows: 2, tileWidth: 160, tileHeight: 120 });
  });
});

test.each(['truncated', 'corruptMp4'] as const)('%s is kept as evidence, marked unplayable with the reason, and not retried', async (name) => {
  const { res } = await ingest(name);
  expect(res.status).toBe(201);
  const id = res.body.recordings[0].id as string;
  const done = await settled(id);
  expect(done.body).toMatchObject({ status: 'unplayable', playback: null });
  expect(done.body.statusReason).toMatch(/^ffprobe cannot read the file: .+/);
  const proxy = await request(env.app).get(`/api/recordings/${id}/proxy`).set(auth(tokens.admin));
  expect(proxy.status).toBe(409);
  expect(proxy.body.code).toBe('unplayable');
  // Failed once, for good: UnrecoverableError spends no further attempts.
  const queue = new Queue('probe', { connection: { host: '127.0.0.1', port: 6379 }, prefix: env.config.redis.prefix });
  try {
    const job = (await queue.getJob(`probe-${id}`))!;
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
  } finally {
    await queue.close();
  }
});

test.each(['zeroBytes', 'randomBytes'] as const)('%s is refused at the door and leaves nothing', async (name) => {
  const { res } = await ingest(name);
  expect([400, 415]).toContain(res.status);
  expect((await env.ctx.pool.query('SELECT count(*)::int AS n FROM recordings WHERE filename LIKE $1', [`%_${String(seq).padStart(4, '0')}.MP4`])).rows[0].n).toBe(0);
});

test('re-processing on purpose runs every stage again, serves the old proxy meanwhile, and leaves one copy', async () => {
  const { res } = await ingest('surround');
  const id = res.body.recordings[0].id as string;
  await settled(id);
  const derived = async () => {
    const keys: string[] = [];
    for await (const o of env.ctx.store.list(`derived/${id.slice(0, 2)}/${id}/`)) keys.push(o.key.slice(o.key.lastIndexOf('/') + 1));
    return keys.sort();
  };
  const before = await derived();
  expect(before.map((k) => k.replace(/-[0-9a-z]+\./, '.'))).toEqual(['poster.jpg', 'proxy.mp4', 'sprite.jpg']);

  // The command an admin runs; it refuses what is not a recording id.
  const cli = (args: string[]) =>
    run(path.join('node_modules', '.bin', 'tsx'), ['src/cli/main.ts', 'recordings', 'reprocess', ...args], {
      env: { ...process.env, DATABASE_URL: env.config.database.url },
    });
  await expect(cli(['not-an-id'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('not-an-id is not a recording id') });
  // Held back so the state in between can be seen: the proxy stage is replaced, the old copy still plays.
  await worker.workers.find((w) => w.name === 'proxy')!.pause();
  expect((await cli([id])).stdout).toContain('queued 1 recording(s) for re-processing');
  const until = Date.now() + 20_000;
  let mid = await request(env.app).get(`/api/recordings/${id}`).set(auth(tokens.admin));
  while (!(mid.body.status === 'processing' && mid.body.media) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    mid = await request(env.app).get(`/api/recordings/${id}`).set(auth(tokens.admin));
  }
  expect(mid.body.status).toBe('processing');
  expect((await request(env.app).get(`/api/recordings/${id}/proxy`).set(auth(tokens.admin))).status).toBe(200);
  worker.workers.find((w) => w.name === 'proxy')!.resume();

  const done = await settled(id);
  expect(done.body).toMatchObject({ status: 'ready', playback: { proxy: { kind: 'remux' } } });
  // The previous run's files go once the new ones are served: just after `ready`, not before it.
  let after = await derived();
  for (const until = Date.now() + 10_000; after.length > 3 && Date.now() < until; after = await derived()) await new Promise((r) => setTimeout(r, 50));
  expect(after).toHaveLength(3);
  expect(after.filter((k) => before.includes(k))).toEqual([]);
});

test('playback is authorized by scope, served in ranges, and one custody view event per user and window', async () => {
  const { res } = await ingest('recorderFaststart');
  const id = res.body.recordings[0].id as string;
  const done = await settled(id);
  const get = (token: string, url: string, range?: string) => {
    const r = request(env.app).get(url).set(auth(token));
    return range ? r.set('Range', range) : r;
  };
  // DSJ0001 belongs to officer 100001 of unit ZF1.
  for (const url of [`/api/recordings/${id}/proxy`, `/api/recordings/${id}/thumbnail`, `/api/recordings/${id}/thumbnail?kind=sprite`]) {
    expect((await get(tokens.supervisorZF2, url)).status).toBe(403);
    expect((await get(tokens.officer, url, 'bytes=0-99')).status).toBe(206);
  }
  const part = await get(tokens.supervisorZF1, `/api/recordings/${id}/proxy`, 'bytes=100-199');
  expect(part.status).toBe(206);
  expect(part.headers['content-range']).toBe(`bytes 100-199/${done.body.size}`);
  expect(part.headers['content-type']).toBe('video/mp4');
  expect((await get(tokens.supervisorZF1, `/api/recordings/${id}/proxy`, `bytes=${done.body.size}-`)).status).toBe(416);
  for (let i = 0; i < 5; i++) expect((await get(tokens.supervisorZF1, `/api/recordings/${id}/proxy`, `bytes=${i * 10}-`)).status).toBe(206);
  expect((await get(tokens.admin, `/api/recordings/${id}/thumbnail?kind=nonsense`)).status).toBe(400);

  const { rows } = await env.ctx.pool.query(
    `SELECT actor, detail->>'via' AS via FROM custody_events WHERE target = $1 AND action = 'view' ORDER BY seq`,
    [`recording:${id}`],
  );
  expect(rows).toEqual([
    { actor: 'zhangsan', via: 'proxy' },
    { actor: 'sup-zf1', via: 'proxy' },
  ]);
});

test('an audio-only recording plays as it is and has no thumbnails to show', async () => {
  const fileName = fixtureFileName('recorder', { seq: ++seq });
  const file = path.join(dir, fileName);
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=duration=2', '-c:a', 'aac', '-f', 'mp4', file]);
  const res = await request(env.app).post('/api/recordings').set(auth(tokens.station)).attach('file', file, fileName);
  expect(res.status).toBe(201);
  const done = await settled(res.body.recordings[0].id);
  expect(done.body).toMatchObject({ status: 'ready', playback: { proxy: { kind: 'original' }, poster: false, sprite: null } });
  const thumb = await request(env.app).get(`/api/recordings/${done.body.id}/thumbnail`).set(auth(tokens.admin));
  expect(thumb.status).toBe(404);
  expect(thumb.body.code).toBe('no_thumbnail');
});
