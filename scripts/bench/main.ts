import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/schema';
import { issueToken } from '../../src/auth/tokens';
import { closeContext, createContext, type Context } from '../../src/context';
import { inTransaction } from '../../src/db/pool';
import { createOfficer } from '../../src/directory/officers';
import { assignRecorder, createRecorder } from '../../src/directory/recorders';
import { createUnit } from '../../src/directory/units';
import { createUser } from '../../src/directory/users';
import { createLogger } from '../../src/logger';
import { projectRoot } from '../../src/paths';
import { benchCases } from './cases';
import { benchCompliance } from './compliance';
import { benchLoad } from './load';
import { timeApiUpload, timeDirectPut } from './ingest';
import { benchMedia, deleteRedisPrefix } from './media';
import { createScratchDatabase } from '../scratch';
import { cpuSeconds, flushDisks, fmt, footageFile, MiB, peakRss, startApi, variant } from './support';

// npm run bench [-- --only ingest|media|cases|compliance|load|all --storage filesystem|minio --file-mb 1024 --big-mb 4096 --parallel 16 --parallel-mb 128
//                  --rounds 3 --media-minutes 10 --transcode-seconds 60 --media-threads 0,1,2
//                  --recordings 1000000 --cases 100000 --samples 2000
//                  --year-recordings 500000 --year-cases 3700 --year-activities 4000 --compliance-rounds 5
//                  --load-stations 32 --load-reviewers 8 --load-files 2 --load-clip-seconds 8
//                  --load-recordings 20000 --load-cases 3000 --load-samples 500]
// Every figure is a ratio against a baseline measured in the same run on the same machine; no timing is a
// pass/fail test. Budgets are DESIGN.md's.
const { values } = parseArgs({
  options: {
    storage: { type: 'string', default: 'filesystem' },
    'file-mb': { type: 'string', default: '1024' },
    'big-mb': { type: 'string', default: '4096' },
    parallel: { type: 'string', default: '16' },
    'parallel-mb': { type: 'string', default: '128' },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string', default: 'all' },
    'media-minutes': { type: 'string', default: '10' },
    'transcode-seconds': { type: 'string', default: '60' },
    'media-threads': { type: 'string', default: '0,1,2' },
    recordings: { type: 'string', default: '1000000' },
    cases: { type: 'string', default: '100000' },
    samples: { type: 'string', default: '2000' },
    'year-recordings': { type: 'string', default: '500000' },
    'year-cases': { type: 'string', default: '3700' },
    'year-activities': { type: 'string', default: '4000' },
    'compliance-rounds': { type: 'string', default: '5' },
    'load-stations': { type: 'string', default: '32' },
    'load-reviewers': { type: 'string', default: '8' },
    'load-files': { type: 'string', default: '2' },
    'load-clip-seconds': { type: 'string', default: '8' },
    'load-recordings': { type: 'string', default: '20000' },
    'load-cases': { type: 'string', default: '3000' },
    'load-samples': { type: 'string', default: '500' },
  },
});
const num = (k: keyof typeof values) => {
  const n = Number(values[k]);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${k} must be a positive whole number`);
  return n;
};

async function main() {
  const fileMb = num('file-mb');
  const bigMb = num('big-mb');
  const parallel = num('parallel');
  const parallelMb = num('parallel-mb');
  const rounds = num('rounds');
  const only = values.only;
  if (only !== 'ingest' && only !== 'media' && only !== 'cases' && only !== 'compliance' && only !== 'load' && only !== 'all') throw new Error('--only is ingest, media, cases, compliance, load or all');
  const mediaThreads = values['media-threads']!.split(',').map(Number);
  if (!mediaThreads.length || mediaThreads.some((t) => !Number.isInteger(t) || t < 0)) throw new Error('--media-threads is a list of whole numbers, e.g. 0,1,2');
  const started = performance.now();
  const root = projectRoot();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bce-bench-'));
  const db = await createScratchDatabase('bce_bench');
  const cleanups: (() => Promise<unknown>)[] = [() => rm(dir, { recursive: true, force: true }), () => db.drop()];
  try {
    const env: Record<string, string> = { DATABASE_URL: db.url, DATA_DIR: path.join(dir, 'data'), REDIS_PREFIX: `bcebench${process.pid}`, UPLOAD_MAX_BYTES: String(16 * 1024 * MiB) };
    if (values.storage === 'minio') {
      // s3rver: a real S3 protocol server, in this process; MinIO itself does not run here.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const S3rver = require('s3rver') as new (o: object) => { run(): Promise<{ port: number }>; close(): Promise<void> };
      const s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: path.join(dir, 's3') });
      const { port } = await s3.run();
      cleanups.unshift(() => s3.close());
      Object.assign(env, { STORAGE_DRIVER: 'minio', MINIO_ENDPOINT: `http://127.0.0.1:${port}`, MINIO_ACCESS_KEY: 'S3RVER', MINIO_SECRET_KEY: 'S3RVER' });
    } else if (values.storage !== 'filesystem') {
      throw new Error('--storage is filesystem or minio');
    }
    const config = loadConfig(env);
    const ctx = await createContext(config, 'bench', createLogger('warn'));
    cleanups.unshift(() => closeContext(ctx));
    // Runs after the API and the workers have stopped: the bench's queues leave nothing in Redis.
    cleanups.unshift(() => deleteRedisPrefix(ctx, config.redis.prefix));
    const token = await inTransaction(ctx.pool, async (c) => {
      await createUnit(c, { code: 'ZF1', name: '执法一股' });
      await createOfficer(c, { badgeNo: '100001', name: '张三', unitCode: 'ZF1', from: null });
      await createRecorder(c, { serial: 'DSJ0001' });
      await assignRecorder(c, 'DSJ0001', { badgeNo: '100001', from: 'initial' });
      const user = await createUser(c, { username: 'bench-station', password: 'bench station password', role: 'station' }, 10);
      return (await issueToken(c, user.id, 'api', null)).token;
    });
    const api = await startApi(root, env);
    cleanups.unshift(() => api.stop());
    const name = 'DSJ0001_100001_20260301080000_0001.MP4';
    console.log(`bench: storage ${values.storage}, ${os.cpus().length} cores, node ${process.version}`);

    if (only === 'ingest' || only === 'all') await benchIngest(ctx, api, token, name);
    if (only === 'media' || only === 'all') {
      await benchMedia({
        ctx,
        api: { base: api.base, token },
        dir,
        cacheDir: path.join(root, '.bench-cache'),
        rounds,
        minutes: num('media-minutes'),
        transcodeSeconds: num('transcode-seconds'),
        threads: mediaThreads,
        onCleanup: (fn) => cleanups.unshift(fn),
      });
    }
    if (only === 'cases' || only === 'all') {
      await benchCases({ ctx, apiBase: api.base, recordings: num('recordings'), cases: num('cases'), samples: num('samples') });
    }
    if (only === 'compliance' || only === 'all') {
      await benchCompliance({
        ctx,
        apiBase: api.base,
        recordings: num('year-recordings'),
        cases: num('year-cases'),
        activities: num('year-activities'),
        rounds: num('compliance-rounds'),
      });
    }
    if (only === 'load' || only === 'all') {
      await benchLoad({
        ctx,
        api: { base: api.base, pid: api.child.pid! },
        dir,
        stations: num('load-stations'),
        reviewers: num('load-reviewers'),
        files: num('load-files'),
        clipSeconds: num('load-clip-seconds'),
        recordings: num('load-recordings'),
        cases: num('load-cases'),
        samples: num('load-samples'),
      });
    }
    console.log(`bench: done in ${fmt((performance.now() - started) / 1000, 0)} s`);
  } finally {
    for (const cleanup of cleanups) await cleanup().catch((err) => console.error('cleanup:', (err as Error).message));
  }

  async function benchIngest(ctx: Context, api: Awaited<ReturnType<typeof startApi>>, token: string, name: string) {
    // 1. Ingest throughput vs a direct put of the same bytes through the same adapter, alternating runs.
    const base = await footageFile(dir, 'base.mp4', fileMb * MiB);
    const direct: number[] = [];
    const viaApi: number[] = [];
    const apiCpu: number[] = [];
    const clientCpu: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const file = await variant(base, path.join(dir, `round${i}.mp4`));
      // Each timed run starts with no other file's dirty pages waiting for the disk: its fsync flushes its own.
      await flushDisks();
      direct.push(await timeDirectPut(ctx.store, base));
      await flushDisks();
      const cpu0 = await cpuSeconds(api.child.pid!);
      const self0 = process.cpuUsage();
      viaApi.push(await timeApiUpload(api.base, token, file, name));
      apiCpu.push(await cpuSeconds(api.child.pid!) - cpu0);
      const self = process.cpuUsage(self0);
      clientCpu.push((self.user + self.system) / 1e6);
      await rm(file);
    }
    const best = (xs: number[]) => Math.min(...xs);
    const directMbs = fileMb / best(direct);
    const apiMbs = fileMb / best(viaApi);
    console.log(`ingest ${fileMb} MiB: direct put ${fmt(directMbs, 0)} MiB/s, through the API (hashing included) ${fmt(apiMbs, 0)} MiB/s`);
    console.log(`  ratio api/direct ${fmt(apiMbs / directMbs)} (budget >= 0.90; best of ${rounds} each, runs alternated)`);
    const at = viaApi.indexOf(best(viaApi));
    console.log(`  in that API run: API process ${fmt(apiCpu[at]!)} s CPU, uploading client ${fmt(clientCpu[at]!)} s CPU, ${fmt(best(viaApi))} s wall`);

    // 2. Peak memory of the API while it ingests one large file.
    const big = await variant(await footageFile(dir, 'big.mp4', bigMb * MiB), path.join(dir, 'big-v.mp4'));
    await rm(path.join(dir, 'big.mp4'));
    await flushDisks();
    const { result: bigSeconds, peakMb, startMb } = await peakRss(api.child.pid!, () => timeApiUpload(api.base, token, big, name));
    await rm(big);
    console.log(`ingest ${bigMb} MiB: API RSS ${fmt(startMb, 0)} MB before, peak ${fmt(peakMb, 0)} MB (budget <= 200 MB); ${fmt(bigMb / bigSeconds, 0)} MiB/s`);

    // 3. Many docking stations at once.
    const small = await footageFile(dir, 'small.mp4', parallelMb * MiB);
    const files = [];
    for (let i = 0; i < parallel; i++) files.push(await variant(small, path.join(dir, `p${i}.mp4`)));
    await flushDisks();
    let t0 = performance.now();
    await Promise.all(files.map((f) => timeDirectPut(ctx.store, f)));
    const directAggregate = (parallel * parallelMb) / ((performance.now() - t0) / 1000);
    await flushDisks();
    t0 = performance.now();
    await Promise.all(files.map((f) => timeApiUpload(api.base, token, f, name)));
    const apiAggregate = (parallel * parallelMb) / ((performance.now() - t0) / 1000);
    console.log(`${parallel} concurrent uploads of ${parallelMb} MiB: ${fmt(apiAggregate, 0)} MiB/s aggregate through the API, ${fmt(directAggregate, 0)} MiB/s direct`);
    console.log(`  ratio api/direct ${fmt(apiAggregate / directAggregate)}`);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
