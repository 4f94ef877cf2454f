import os from 'node:os';
import path from 'node:path';
import type { Context } from '../../src/context';
import { createUser } from '../../src/directory/users';
import { startWorkerRole } from '../../workers/worker';
import { percentile, seedCatalog } from './cases';
import {
  LOAD_UNIT,
  makeRecorderFolders,
  prepareLoadBureau,
  prepareReviewCases,
  runLoad,
  probeCasePages,
  totalBytes,
  waitProcessed,
  type LoadReport,
  type ReviewSettings,
} from './load-driver';
import { cpuSeconds, fmt, MiB, peakRss } from './support';

export interface LoadBenchOptions {
  ctx: Context;
  /** The API process under load, on the same database. */
  api: { base: string; pid: number };
  /** Scratch folder of this run (removed afterwards). */
  dir: string;
  stations: number;
  reviewers: number;
  /** Clips each station docks per run. */
  files: number;
  clipSeconds: number;
  /** Catalog seeded with SQL when it has no cases yet (the cases benchmark may have seeded one already). */
  recordings: number;
  cases: number;
  /** Case pages timed with no load (after a tenth as many warm-up calls). */
  samples: number;
}

// The review lasts as long as the docking (minPasses 0): every figure is of the two at once.
const REVIEW: ReviewSettings = { pageSize: 20, pagesPerPass: 3, minPasses: 0, rangeBytes: 256 * 1024, originalEvery: 2 };
const REVIEW_CASES = 8;
const CLIP_SIZE = '1280x720';

/**
 * Issue 8, Load, at benchmark size: the load of test/load/docking-load.test.ts (the same driver) against the API
 * process on a seeded catalog, the worker role running in this process. Figures, each against a baseline of
 * the same run: the case page (GET /api/cases/{caseNo}) timed one call at a time with no load, then the same
 * calls during the load; docking throughput alone, then with the reviewers; the API's peak RSS.
 */
export async function benchLoad(o: LoadBenchOptions): Promise<void> {
  const { pool, config } = o.ctx;
  const { rows: existing } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM cases');
  let catalog: string;
  if (existing[0]!.n === 0) {
    const seeder = await createUser(pool, { username: 'bench-load-seeder', password: 'bench load seeder password', role: 'station' }, config.auth.passwordMinLength);
    const t0 = performance.now();
    catalog = await seedCatalog(pool, { recordings: o.recordings, cases: o.cases, bufferMs: config.linkBufferMs, uploadedBy: seeder.id, retention: config.retention });
    console.log(`load: seeded in ${fmt((performance.now() - t0) / 1000, 1)} s: ${catalog}`);
  } else {
    catalog = `the catalog seeded before (${existing[0]!.n} cases)`;
  }
  // Earlier benchmarks leave jobs of their random-byte files in the outbox: not this benchmark's work.
  await pool.query('UPDATE outbox SET relayed_at = now() WHERE relayed_at IS NULL');

  // One reviewer more than the load's: the one whose case pages are timed.
  const bureau = await prepareLoadBureau(pool, { stations: o.stations, reviewers: o.reviewers + 1, passwordMinLength: config.auth.passwordMinLength });
  const timer = bureau.reviewers.pop()!;
  const clips = { filesPerStation: o.files, seconds: o.clipSeconds, size: CLIP_SIZE, bureauTz: config.bureauTz };
  const t0 = performance.now();
  const reviewFolders = await makeRecorderFolders(path.join(o.dir, 'load-review'), bureau.stations.slice(0, REVIEW_CASES), { ...clips, filesPerStation: 1, day: '2026-06-01' });
  const aloneFolders = await makeRecorderFolders(path.join(o.dir, 'load-alone'), bureau.stations, { ...clips, day: '2026-06-02' });
  const loadedFolders = await makeRecorderFolders(path.join(o.dir, 'load-loaded'), bureau.stations, { ...clips, day: '2026-06-03' });
  const setMiB = totalBytes(loadedFolders) / MiB;
  console.log(`load: ${2 * o.stations * o.files + REVIEW_CASES} clips of ${o.clipSeconds} s ${CLIP_SIZE} made in ${fmt((performance.now() - t0) / 1000, 1)} s`);

  const role = startWorkerRole(o.ctx);
  try {
    const stateDir = path.join(o.dir, 'load-dock-state');
    const caseNos = await prepareReviewCases(pool, o.api.base, bureau, reviewFolders, stateDir, 300_000);

    // Baseline: no docking, no reviewers, the worker idle.
    const warm = Math.max(1, Math.ceil(o.samples / 10));
    const { rows } = await pool.query<{ case_no: string }>(
      `SELECT c.case_no FROM cases c JOIN units u ON u.id = c.unit_id WHERE u.code <> $1 ORDER BY random() LIMIT $2`,
      [LOAD_UNIT, o.samples + warm],
    );
    const sample = rows.map((r) => r.case_no);
    const baseline = (await probeCasePages(o.api.base, timer.token, sample)).slice(warm);

    // Docking alone, for the throughput baseline; then the worker finishes its footage before the loaded run.
    const alone = await runLoad({ base: o.api.base, folders: aloneFolders, reviewers: [], stateDir, review: REVIEW });
    await waitProcessed(pool, recordingIds(alone), 600_000);

    // The load, with the same case pages timed one call at a time alongside it while the docking lasts.
    let docked!: () => void;
    const dockingOver = new Promise<void>((resolve) => (docked = resolve));
    const apiCpu0 = await cpuSeconds(o.api.pid);
    const ownCpu0 = process.cpuUsage();
    const { result, peakMb, startMb } = await peakRss(o.api.pid, async () => {
      const probe = probeCasePages(o.api.base, timer.token, sample, dockingOver);
      const load = await runLoad({ base: o.api.base, folders: loadedFolders, reviewers: bureau.reviewers, stateDir, review: REVIEW, onDocked: docked }).finally(docked);
      return { load, probe: await probe };
    });
    const { load, probe } = result;
    const apiCpu = (await cpuSeconds(o.api.pid)) - apiCpu0;
    const ownCpu = process.cpuUsage(ownCpu0);
    const loadAverage = os.loadavg()[0]!;

    console.log(
      `load: ${o.stations} docking clients × ${o.files} clips (${fmt(setMiB, 0)} MiB a run) while ${o.reviewers} reviewers page through cases ` +
        `(${REVIEW.pageSize} a page, ${REVIEW.pagesPerPass} pages a pass; the ${caseNos.length} newest with playable footage) and stream in Range requests of ${REVIEW.rangeBytes / 1024} KiB; ${catalog}`,
    );
    console.log(`  ${'case page, GET /api/cases/{caseNo} (ms)'.padEnd(48)}${['n', 'p50', 'p95', 'p99', 'max'].map((h) => h.padStart(8)).join('')}   p95/baseline`);
    const sorted = (times: number[]) => [...times].sort((a, b) => a - b);
    const p95Base = percentile(sorted(baseline), 0.95);
    for (const [name, times] of [
      ['no load, one at a time (baseline)', sorted(baseline)],
      ['under load, the same calls one at a time', sorted(probe)],
      ["under load, the reviewers' visits [client side]", sorted(load.review.casePageMs)],
    ] as const) {
      if (!times.length) {
        console.log(`  ${name.padEnd(48)}${'0'.padStart(8)}`);
        continue;
      }
      const cells = [percentile(times, 0.5), percentile(times, 0.95), percentile(times, 0.99), times[times.length - 1]!].map((v) => fmt(v).padStart(8)).join('');
      console.log(`  ${name.padEnd(48)}${String(times.length).padStart(8)}${cells}   ${fmt(percentile(times, 0.95) / p95Base)}`);
    }
    console.log(`  the one-at-a-time calls run in a thread of their own; [client side]: timed on this process's event loop, shared with the ${o.stations} dock clients`);
    const aloneMbs = setMiB / alone.dockSeconds;
    const loadedMbs = setMiB / load.dockSeconds;
    console.log(
      `  docking (${o.stations} stations at once, ${o.files} files each, one after the other): alone ${fmt(aloneMbs, 1)} MiB/s (${fmt(alone.dockSeconds, 1)} s), with the reviewers ` +
        `${fmt(loadedMbs, 1)} MiB/s (${fmt(load.dockSeconds, 1)} s, ${fmt((o.stations * o.files) / load.dockSeconds, 1)} files/s); ratio ${fmt(loadedMbs / aloneMbs)}`,
    );
    const r = load.review;
    console.log(
      `  reviewers: ${r.requests} requests (${load.requestsWhileDocking} while docking), ${r.casesOpened} case pages, ${r.proxiesStreamed} proxies and ` +
        `${r.originalsStreamed} originals streamed (${fmt(r.bytesStreamed / MiB, 0)} MiB; ${r.originalsVerified} originals matched their SHA-256)`,
    );
    console.log(`  API process RSS: ${fmt(startMb, 0)} MB before the loaded run, peak ${fmt(peakMb, 0)} MB during it`);
    console.log(
      `  CPU in the loaded run (${fmt(load.seconds, 1)} s): API ${fmt(apiCpu, 1)} s, this process (clients, reviewers, worker) ` +
        `${fmt((ownCpu.user + ownCpu.system) / 1e6, 1)} s (ffmpeg children not counted); 1-min load average ${fmt(loadAverage, 1)} on ${os.cpus().length} cores`,
    );
    const failures = [...dockFailures(alone), ...dockFailures(load), ...r.failures];
    console.log(`  errors: ${failures.length}${failures.length ? ` — ${failures.slice(0, 5).join(' | ')}` : ' (every upload verified, every request 200/206)'}`);
  } finally {
    await role.close();
  }
}

const recordingIds = (load: LoadReport) => load.docks.flatMap((d) => d.summary.files.flatMap((f) => (f.recordingId ? [f.recordingId] : [])));

function dockFailures(load: LoadReport): string[] {
  return load.docks.flatMap((d) =>
    d.code === 0 ? [] : [`${d.station}: exit ${d.code} ${d.summary.files.filter((f) => f.status !== 'uploaded').map((f) => `${f.path} ${f.status} ${f.reason}`).join(', ')}`],
  );
}

