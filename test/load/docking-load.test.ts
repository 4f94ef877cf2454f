import path from 'node:path';
import {
  collectGarbage,
  makeRecorderFolders,
  prepareLoadBureau,
  prepareReviewCases,
  runLoad,
  sampleMemory,
  totalBytes,
  type ReviewSettings,
} from '../../scripts/bench/load-driver';
import { listen } from '../support/listen';
import { startWorkingSystem, type WorkingSystem } from '../support/working-system';

// Issue 8, Load: 32 docking stations upload at once (the real dock client, tus, on loopback) while 8 reviewers
// page through the cases and stream what the case page plays; the worker processes the new footage meanwhile,
// as in production. Bounded: one clip of about 600 KB a station. No timing is asserted; `npm run bench -- --only
// load` runs the same load (scripts/bench/load-driver.ts) larger and reports the case page's latency under it.
const STATIONS = 32;
const REVIEWERS = 8;
const REVIEW_CASES = 8;
/** One clip each: every station uploads at the same time; fewer, longer clips cost fewer ffmpeg runs to make. */
const FILES_PER_STATION = 1;
const MiB = 1024 * 1024;
/**
 * What the whole process (the API, the worker, 32 dock clients, 8 reviewers) may add to its resident size during
 * the load: about ten times the 20–30 MiB it adds, so it fails on runaway buffering (a stream without back-pressure)
 * rather than on a slow leak, which the heap check below is for. Measured from the process's size before the load,
 * because a Jest worker's size depends on the test files it ran before (CI once saw a 1,053 MiB peak on a 513 MiB heap).
 */
const RSS_GROWTH_CEILING = 256 * MiB;
/** Live heap after the load against before it, both after a full GC: what the load may leave behind. */
const HEAP_GROWTH_LIMIT = 16 * MiB;

const REVIEW: ReviewSettings = { pageSize: 5, pagesPerPass: 4, minPasses: 1, rangeBytes: 256 * 1024, originalEvery: 2 };

let sys: WorkingSystem;
let server: Awaited<ReturnType<typeof listen>>;

beforeAll(async () => {
  // The production pool size: the load is about the API as deployed.
  sys = await startWorkingSystem({ DATABASE_POOL_SIZE: '10', INTEGRITY_AUDIT_AT: 'off' });
  server = await listen(sys.env.app);
}, 60_000);
afterAll(async () => {
  await server?.close();
  await sys?.close();
}, 60_000);

test('32 stations dock while 8 reviewers page through cases and stream: nothing fails, nothing is lost, memory stays bounded', async () => {
  const { env, dir } = sys;
  const { pool } = env.ctx;
  const bureau = await prepareLoadBureau(pool, { stations: STATIONS, reviewers: REVIEWERS, passwordMinLength: env.config.auth.passwordMinLength });
  const clips = { seconds: 4, size: '640x360', bureauTz: env.config.bureauTz };
  const reviewFolders = await makeRecorderFolders(path.join(dir, 'review'), bureau.stations.slice(0, REVIEW_CASES), { ...clips, filesPerStation: 1, day: '2026-06-01' });
  const loadFolders = await makeRecorderFolders(path.join(dir, 'load'), bureau.stations, { ...clips, filesPerStation: FILES_PER_STATION, day: '2026-06-02' });
  const stateDir = path.join(dir, 'dock-state');
  // The bound means something only if a leak of the uploaded bytes alone would break it.
  expect(totalBytes(loadFolders)).toBeGreaterThan(HEAP_GROWTH_LIMIT);

  // Warm-up, which also makes what the reviewers open: docking, processing and case matching have each run,
  // and one reviewer has been through every page, before the heap is measured.
  const caseNos = await prepareReviewCases(pool, server.base, bureau, reviewFolders, stateDir, 90_000);
  const warm = await runLoad({ base: server.base, folders: [], reviewers: bureau.reviewers.slice(0, 1), stateDir, review: REVIEW });
  expect(warm.review.failures).toEqual([]);
  expect(warm.review.casesOpened).toBe(REVIEW_CASES);

  const gc = collectGarbage();
  gc();
  const { heapUsed: heapBefore, rss: rssBefore } = process.memoryUsage();
  const memory = sampleMemory();
  const load = await runLoad({ base: server.base, folders: loadFolders, reviewers: bureau.reviewers, stateDir, review: REVIEW });
  const peaks = memory.stop();
  gc();
  const heapAfter = process.memoryUsage().heapUsed;

  // Every docking: exit 0, every file uploaded at the first attempt (the client runs without retries here).
  const problems = load.docks.flatMap((d) =>
    d.code === 0 && d.summary.files.length === FILES_PER_STATION && d.summary.files.every((f) => f.status === 'uploaded' && f.attempts === 1)
      ? []
      : [`${d.station}: exit ${d.code} ${JSON.stringify(d.summary.files)} ${d.summary.error?.message ?? ''} ${d.stderrTail}`],
  );
  expect(problems).toEqual([]);

  // Every clip is on record once, under the id the client was given, with the SHA-256 of the file on the recorder.
  const clipsByName = new Map(loadFolders.flatMap((f) => f.files.map((c) => [c.name, c] as const)));
  const ids = load.docks.flatMap((d) => d.summary.files.map((f) => f.recordingId!));
  const { rows } = await pool.query<{ id: string; filename: string; sha256: string; size: string; upload_method: string }>(
    'SELECT id, filename, sha256, size, upload_method FROM recordings WHERE id = ANY($1)',
    [ids],
  );
  expect(rows).toHaveLength(STATIONS * FILES_PER_STATION);
  for (const row of rows) {
    const clip = clipsByName.get(row.filename);
    expect({ filename: row.filename, sha256: row.sha256, size: Number(row.size), method: row.upload_method }).toEqual({
      filename: clip?.name,
      sha256: clip?.sha256,
      size: clip?.size,
      method: 'tus',
    });
  }
  const { rows: count } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM recordings');
  expect(count[0]!.n).toBe(REVIEW_CASES + STATIONS * FILES_PER_STATION);

  // Every reviewer request answered 200 (206 for each Range), and each reviewer went through every case at least once.
  const { review } = load;
  expect(review.failures).toEqual([]);
  expect(review.passes).toHaveLength(REVIEWERS);
  expect(Math.min(...review.passes)).toBeGreaterThanOrEqual(1);
  expect(review.casesOpened).toBeGreaterThanOrEqual(REVIEWERS * caseNos.length);
  expect(review.proxiesStreamed).toBeGreaterThanOrEqual(REVIEWERS * caseNos.length);
  expect(review.originalsStreamed).toBeGreaterThanOrEqual((REVIEWERS * caseNos.length) / REVIEW.originalEvery);
  expect(review.originalsVerified).toBe(review.originalsStreamed);

  // Memory: bounded during the run, and what stays live afterwards is not what went through.
  const mb = (n: number) => (n / MiB).toFixed(0);
  console.info(
    `load: ${STATIONS} stations docked ${ids.length} files (${mb(totalBytes(loadFolders))} MiB) in ${load.dockSeconds.toFixed(1)} s; ` +
      `${REVIEWERS} reviewers made ${review.requests} requests (${load.requestsWhileDocking} while docking, ${review.passes.join('/')} passes, ${mb(review.bytesStreamed)} MiB streamed); ` +
      `RSS ${mb(rssBefore)} → peak ${mb(peaks.peakRss)} MiB, heap ${mb(heapBefore)} → ${mb(heapAfter)} MiB after GC (peak ${mb(peaks.peakHeapUsed)} MiB)`,
  );
  expect(peaks.samples).toBeGreaterThan(1);
  expect(peaks.peakRss - rssBefore).toBeLessThan(RSS_GROWTH_CEILING);
  expect(heapAfter - heapBefore).toBeLessThan(HEAP_GROWTH_LIMIT);
}, 150_000);
