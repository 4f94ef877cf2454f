import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { settings } from '../../config/schema';
import { freePort } from '../../scripts/scratch';
import { verifyChain } from '../../src/custody/read';
import { dockMain, type Tuning } from '../../src/dock/main';
import { uploadPath } from '../../src/ingest/tus-store';
import { makeClip } from '../fixtures/clips';
import { footage, MiB, objectKeys, objectSha256, runTs, type Child } from '../faults/upload-helpers';
import { seedBureau } from '../support/bureau';
import { startTestEnv, userWithToken, type TestEnv } from '../support/harness';
import { childrenOf, isRunning, type ProcInfo } from '../support/procs';
import { waitFor } from '../support/wait';
import { Balancer } from './balancer';
import { parseLogLines } from '../support/log-capture';

/*
 * Issue 9, "Scale-out, shown": two API processes and three worker processes (`src/main.ts api|worker`) on one
 * PostgreSQL database, one Redis prefix and one store (the filesystem store in a DATA_DIR all five share, as
 * tus uploads do). Two stations dock at once, one through each API; every recording is processed once, by
 * more than one worker. A worker SIGKILLed mid-transcode and an API SIGKILLed mid-upload lose nothing: the
 * job is finished by another worker, the upload resumed through the other API.
 *
 * Stations talk to the reverse proxy in front of the APIs (`Balancer` here), never to one API process: bce-dock
 * keys its resume state by server URL, so behind one URL an upload cut by a dead API resumes on any other (the
 * offset is in PostgreSQL, the bytes in the shared DATA_DIR), while a station re-pointed at another URL starts
 * its unfinished files over: still stored once (the server deduplicates by SHA-256), the partial upload left
 * behind swept after UPLOAD_ABANDONED_HOURS.
 */

const CHILD_SETTINGS = {
  HOST: '127.0.0.1',
  STORAGE_DRIVER: 'filesystem',
  DATABASE_POOL_SIZE: '4',
  OUTBOX_POLL_MS: '200',
  RETENTION_RUN_AT: 'off',
  INTEGRITY_AUDIT_AT: 'off',
  // Every recording runs probe, proxy and thumbnails; one job of a kind at a time per worker, so a batch spreads.
  PROXY_ALWAYS_TRANSCODE: 'true',
  PROXY_PRESET: 'slow',
  FFMPEG_THREADS: '1',
  PROBE_CONCURRENCY: '1',
  TRANSCODE_CONCURRENCY: '1',
  THUMBNAIL_CONCURRENCY: '1',
  // Short, so a killed worker's job goes to another soon; long enough that a busy machine renews it in time.
  JOB_LOCK_MS: '4000',
  SHUTDOWN_TIMEOUT_MS: '20000',
};

const DOCK_TUNING: Partial<Tuning> = {
  tusRetryDelaysMs: [100, 300],
  retryBaseMs: 100,
  retryMaxMs: 500,
  confirmDelaysMs: [100, 300],
  lookupAttempts: 3,
  progressIntervalMs: 60_000,
};

const MEDIA_QUEUES = ['probe', 'proxy', 'thumbnails', 'link'] as const;

interface Proc extends Child {
  name: string;
  pid: number;
  port: number;
  /** An API process's URL. */
  base?: string;
  logs(): Record<string, unknown>[];
}

let env: TestEnv;
let stations: { one: string; two: string };
let dir: string;
let childEnv: NodeJS.ProcessEnv;
const procs: Proc[] = [];
const queues = new Map<string, Queue>();
let balancer: Balancer | undefined;
/** ffmpeg processes seen under a worker: killed after the test if one outlived its worker. */
const ffmpegsSeen = new Set<number>();

async function start(role: 'api' | 'worker', name: string): Promise<Proc> {
  // A port each, workers too: a worker process serves its /metrics and /healthz on PORT.
  const port = await freePort();
  const child = runTs(['src/main.ts', role], { ...childEnv, LOG_LEVEL: role === 'worker' ? 'debug' : 'info', PORT: String(port) });
  const proc: Proc = {
    ...child,
    name,
    pid: child.child.pid!,
    port,
    base: role === 'api' ? `http://127.0.0.1:${port}` : undefined,
    logs: () => parseLogLines(child.output()),
  };
  procs.push(proc);
  let gone = false;
  void child.exited.then(() => (gone = true));
  const ready = role === 'api' ? '"api listening"' : '"worker started"';
  // Generous: five cold starts compile the tree with tsx at once on a small, busy machine.
  await waitFor(() => gone || child.output().includes(ready), `${name} to start`, 120_000, 100).catch((err: Error) => {
    throw new Error(`${err.message}; its output:\n${child.output().slice(-4000)}`);
  });
  if (gone) throw new Error(`${name} exited at start-up:\n${child.output().slice(-4000)}`);
  return proc;
}

const alive = (p: Proc) => p.child.exitCode === null && p.child.signalCode === null;

beforeAll(async () => {
  env = await startTestEnv({ STORAGE_DRIVER: 'filesystem' });
  const bureau = await seedBureau(env);
  stations = { one: bureau.station, two: await userWithToken(env, 'dock-02', 'station') };
  dir = await mkdtemp(path.join(tmpdir(), 'bce-scale-'));
  // The processes get none of this process's settings, only the test's: one database, Redis prefix and DATA_DIR.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !(k in settings.shape)));
  childEnv = {
    ...inherited,
    ...CHILD_SETTINGS,
    DATABASE_URL: env.config.database.url,
    REDIS_URL: env.config.redis.url,
    REDIS_PREFIX: env.config.redis.prefix,
    DATA_DIR: env.dataDir,
  };
  const redis = new URL(env.config.redis.url);
  for (const name of MEDIA_QUEUES) {
    queues.set(name, new Queue(name, { connection: { host: redis.hostname, port: Number(redis.port || 6379) }, prefix: env.config.redis.prefix }));
  }
  await Promise.all([start('api', 'api-A'), start('api', 'api-B'), start('worker', 'worker-1'), start('worker', 'worker-2'), start('worker', 'worker-3')]);
}, 180_000);

afterAll(async () => {
  for (const p of procs) if (alive(p)) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  for (const pid of ffmpegsSeen) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  await balancer?.close();
  for (const q of queues.values()) await q.close();
  // Drops the database, deletes the Redis keys of the prefix and removes DATA_DIR.
  await env?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs the test body; on failure the processes' output goes with the error. */
async function withOutputs(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    const tail = (s: string) => (s.length > 3000 ? `…${s.slice(-3000)}` : s);
    if (err instanceof Error) err.message += `\n\n${procs.map((p) => `--- ${p.name} (pid ${p.pid}) ---\n${tail(p.output())}`).join('\n')}`;
    throw err;
  }
}

const named = (name: string) => procs.find((p) => p.name === name)!;
const workers = () => procs.filter((p) => p.name.startsWith('worker'));

// ---------------------------------------------------------------------------------------------------------
// Stations

interface DockSummary {
  exitCode: number;
  bytes: { total: number; sent: number };
  files: { path: string; status: string; recordingId: string | null; sha256: string | null }[];
}

/** One docking-station run (bce-dock, in this process) of `folder` against `server`. */
async function dock(folder: string, server: string, token: string, stateDir: string, extra: string[] = []): Promise<{ code: number; summary: DockSummary }> {
  let out = '';
  const code = await dockMain(
    {
      argv: ['--server', server, '--state-dir', stateDir, '--json', ...extra, folder],
      env: { BCE_TOKEN: token },
      stdout: { write: (t: string) => (out += t) },
      stderr: { write: () => true, isTTY: false },
    },
    DOCK_TUNING,
  );
  return { code, summary: JSON.parse(out) as DockSummary };
}

/** A recorder's folder of short clips named as recorder `serial` of officer `badge` names them. */
async function recorderFolder(name: string, serial: string, badge: string, count: number): Promise<{ folder: string; files: string[] }> {
  const folder = path.join(dir, name);
  await mkdir(folder);
  const files = Array.from({ length: count }, (_, i) => `${serial}_${badge}_20260313${String(8 + i).padStart(2, '0')}0000_${String(i + 1).padStart(4, '0')}.MP4`);
  await Promise.all(files.map((f) => makeClip(folder, f, { seconds: 2 })));
  return { folder, files };
}

// ---------------------------------------------------------------------------------------------------------
// What the system holds

const q = async <T extends Record<string, unknown>>(sql: string, params: unknown[] = []) => (await env.ctx.pool.query<T>(sql, params)).rows;

const recordingIdOf = async (filename: string): Promise<string | undefined> =>
  (await q<{ id: string }>('SELECT id FROM recordings WHERE filename = $1', [filename]))[0]?.id;

async function allProcessed(expected: number): Promise<void> {
  await waitFor(
    async () => {
      const rows = await q<{ status: string }>('SELECT status FROM recordings');
      return rows.length === expected && rows.every((r) => r.status === 'ready' || r.status === 'unplayable');
    },
    `all ${expected} recordings to be processed`,
    150_000,
    250,
  );
  // "ready" is written inside the last job, which completes a moment later: the job checks that follow wait for it.
  await waitFor(
    async () => {
      for (const queue of queues.values()) {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        if (Object.values(counts).some((n) => n > 0)) return false;
      }
      return true;
    },
    'every queue to be idle',
    60_000,
    100,
  );
}

/**
 * Every recording is ready and each effect happened once: one original, one proxy and one poster (at most one
 * sprite sheet) in the store, the ones its row points at; one `ingest` custody event, the chain intact although
 * two processes appended to it; its jobs completed, each counted as one attempt.
 */
async function expectEachProcessedOnce(expected: number): Promise<void> {
  const rows = await q<{ id: string; object_key: string; status: string; proxy: unknown; thumbnails: unknown }>(
    'SELECT id, object_key, status, proxy, thumbnails FROM recordings ORDER BY id',
  );
  expect(rows).toHaveLength(expected);
  expect(rows.filter((r) => r.status !== 'ready')).toEqual([]);

  expect(await objectKeys(env.ctx.store, 'originals/')).toEqual(rows.map((r) => r.object_key).sort());
  const derived = await objectKeys(env.ctx.store, 'derived/');
  for (const r of rows) {
    const names = derived.filter((k) => k.split('/')[2] === r.id).map((k) => k.split('/')[3]!);
    const proxies = names.filter((n) => n.startsWith('proxy-'));
    const posters = names.filter((n) => n.startsWith('poster-'));
    const sprites = names.filter((n) => n.startsWith('sprite-'));
    expect({ id: r.id, proxies: proxies.length, posters: posters.length, others: names.length - proxies.length - posters.length - sprites.length }).toEqual({
      id: r.id,
      proxies: 1,
      posters: 1,
      others: 0,
    });
    expect(sprites.length).toBeLessThanOrEqual(1);
    expect(JSON.stringify(r.proxy)).toContain(proxies[0]);
    expect(JSON.stringify(r.thumbnails)).toContain(posters[0]);
  }
  expect(derived.every((k) => rows.some((r) => k.split('/')[2] === r.id))).toBe(true);

  const ingests = await q<{ target: string; n: number }>(`SELECT target, count(*)::int AS n FROM custody_events WHERE action = 'ingest' GROUP BY target ORDER BY target`);
  expect(ingests).toEqual(rows.map((r) => ({ target: `recording:${r.id}`, n: 1 })).sort((a, b) => a.target.localeCompare(b.target)));
  expect(await verifyChain(env.ctx.pool)).toMatchObject({ ok: true });

  for (const r of rows) {
    for (const name of ['probe', 'proxy', 'thumbnails'] as const) {
      const job = await queues.get(name)!.getJob(`${name}-${r.id}`);
      expect({ job: `${name}-${r.id}`, state: await job?.getState(), attemptsMade: job?.attemptsMade }).toEqual({
        job: `${name}-${r.id}`,
        state: 'completed',
        attemptsMade: 1,
      });
    }
    const link = await queues.get('link')!.getJob(`link-${r.id}`);
    if (link) expect(await link.getState()).toBe('completed');
  }
  // Nothing queued, running or failed is left anywhere.
  for (const queue of queues.values()) {
    expect(await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized')).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0, prioritized: 0 });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Workers

const isTranscodeOf = (id: string) => (p: ProcInfo) =>
  path.basename(p.argv[0] ?? '') === 'ffmpeg' && p.argv.some((a) => a.endsWith(`${path.sep}proxy.mp4`) && a.includes(id));

/** The worker whose ffmpeg is transcoding the recording of `filename`, once one is. */
async function workerTranscoding(filename: string): Promise<{ worker: Proc; ffmpeg: ProcInfo; id: string }> {
  return waitFor(
    async () => {
      const id = await recordingIdOf(filename);
      if (!id) return null;
      for (const worker of workers().filter(alive)) {
        const ffmpeg = childrenOf(worker.pid).find(isTranscodeOf(id));
        if (ffmpeg) {
          ffmpegsSeen.add(ffmpeg.pid);
          return { worker, ffmpeg, id };
        }
      }
      return null;
    },
    `a worker to transcode ${filename}`,
    120_000,
    20,
  );
}

const transcodesLogged = (w: Proc, id?: string) =>
  w.logs().filter((l) => l.msg === 'ffmpeg started' && String(l.cmd).includes(`${path.sep}proxy.mp4`) && (id === undefined || String(l.cmd).includes(id)));

// ---------------------------------------------------------------------------------------------------------

test('two stations dock at once through two APIs; three workers process every recording once; a worker killed mid-transcode loses nothing', async () => {
  await withOutputs(async () => {
    const [one, two] = await Promise.all([recorderFolder('station-1', 'DSJ0001', '100001', 5), recorderFolder('station-2', 'DSJ0002', '100002', 5)]);
    // One clip long enough to be killed in the middle of (about 1.5 s of x264 `slow` on an idle core).
    const long = 'DSJ0001_100001_20260313150000_0006.MP4';
    await makeClip(one.folder, long, { seconds: 12, size: '640x360' });

    // Killed the moment its transcode is seen (not after the dockings end, by when it could have finished).
    const victim = workerTranscoding(long).then((v) => {
      v.worker.child.kill('SIGKILL');
      return v;
    });
    const [a, b] = await Promise.all([
      dock(one.folder, named('api-A').base!, stations.one, path.join(dir, 'state-1')),
      dock(two.folder, named('api-B').base!, stations.two, path.join(dir, 'state-2')),
    ]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(a.summary.files.map((f) => f.status)).toEqual(Array(6).fill('uploaded'));
    expect(b.summary.files.map((f) => f.status)).toEqual(Array(5).fill('uploaded'));

    // Each station's files came in through its own API process, as that station's user.
    expect(await q(`SELECT u.username, count(*)::int AS n FROM recordings r JOIN users u ON u.id = r.uploaded_by GROUP BY u.username ORDER BY 1`)).toEqual([
      { username: 'dock-01', n: 6 },
      { username: 'dock-02', n: 5 },
    ]);

    const { worker: killed, ffmpeg, id } = await victim;
    expect(await killed.exited).toEqual({ code: null, signal: 'SIGKILL' });
    // Its ffmpeg dies with it (PR_SET_PDEATHSIG), so nothing writes on beside the worker that redoes the job.
    await waitFor(() => !isRunning(ffmpeg.pid), "the killed worker's ffmpeg to die", 10_000, 20);

    await allProcessed(11);
    await expectEachProcessedOnce(11);

    // The killed worker's transcode was moved back once its lock expired and finished by another worker:
    // started twice, one attempt counted.
    const job = (await queues.get('proxy')!.getJob(`proxy-${id}`))!;
    expect(job.stalledCounter).toBeGreaterThanOrEqual(1);
    expect(job.attemptsStarted).toBeGreaterThanOrEqual(2);
    expect(job.attemptsMade).toBe(1);
    const finishers = workers().filter((w) => w !== killed && transcodesLogged(w, id).length > 0);
    expect(finishers).toHaveLength(1);
    // So at least two workers transcoded: the killed one and the one that finished its job. How the rest spread is
    // up to the queue; every worker that did any is counted, for the record.
    const transcoded = workers().filter((w) => transcodesLogged(w).length > 0);
    expect(transcoded.length).toBeGreaterThanOrEqual(2);
    expect(transcoded.map((w) => w.name)).toEqual(expect.arrayContaining([killed.name, finishers[0]!.name]));
  });
}, 240_000);

test('an API killed mid-upload loses nothing: docked again through the proxy, now sending to the other API, the upload resumes there', async () => {
  await withOutputs(async () => {
    const apiA = named('api-A');
    const apiB = named('api-B');
    // What the first test left (or, run alone, nothing): this test adds one recording to it.
    const before = (await q('SELECT id FROM recordings')).length;
    balancer = new Balancer(apiA.port);
    const server = await balancer.listen();

    const folder = path.join(dir, 'station-3');
    await mkdir(folder);
    const name = 'DSJ0003_200001_20260314080000_0001.MP4';
    const file = await footage(folder, name, 6 * MiB);
    const stateDir = path.join(dir, 'state-3');

    // 2 MiB a PATCH: the first gets through and the second is held after 1.5 MiB, in API A, which has written
    // a batch of it (1 MiB) to its file by then.
    balancer.holdAfter(3.5 * MiB);
    const first = dock(folder, server, stations.one, stateDir, ['--retries', '0', '--chunk-size', '2']);
    const uploadId = await waitFor(async () => {
      const [row] = await q<{ id: string; offset: string }>('SELECT id, upload_offset AS "offset" FROM tus_uploads WHERE filename = $1', [name]);
      if (!row || Number(row.offset) !== 2 * MiB) return null;
      // The held PATCH has written past the recorded offset: A is mid-upload.
      return (await stat(uploadPath(env.dataDir, row.id))).size > 2 * MiB ? row.id : null;
    }, 'the upload to be half-way in API A');

    apiA.child.kill('SIGKILL');
    expect(await apiA.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const cut = await first;
    expect(cut.code).not.toBe(0);
    expect(cut.summary.files).toEqual([expect.objectContaining({ path: name, status: 'failed', recordingId: null })]);
    expect(await recordingIdOf(name)).toBeUndefined();

    // The proxy's health check takes A out; the station docks again, to the same URL.
    balancer.point(apiB.port);
    const again = await dock(folder, server, stations.one, stateDir, ['--chunk-size', '2']);
    expect(again.code).toBe(0);
    expect(again.summary.files).toEqual([expect.objectContaining({ path: name, status: 'uploaded', sha256: file.sha256 })]);
    // Resumed, not started over: B continued A's upload from the offset A recorded (the bytes past it are not
    // kept), so only the rest was sent, and no second upload was created.
    expect(again.summary.bytes.sent).toBe(file.bytes.length - 2 * MiB);
    expect(await q('SELECT id, completed_at IS NOT NULL AS done FROM tus_uploads WHERE filename = $1', [name])).toEqual([{ id: uploadId, done: true }]);
    const id = again.summary.files[0]!.recordingId!;
    expect(await recordingIdOf(name)).toBe(id);
    const [stored] = await q<{ sha256: string; object_key: string }>('SELECT sha256, object_key FROM recordings WHERE id = $1', [id]);
    expect(stored!.sha256).toBe(file.sha256);
    expect(await objectSha256(env.ctx.store, stored!.object_key)).toBe(file.sha256);

    await allProcessed(before + 1);
    await expectEachProcessedOnce(before + 1);
  });
}, 180_000);
