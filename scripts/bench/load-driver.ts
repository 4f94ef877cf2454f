import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { DateTime } from 'luxon';
import { issueToken } from '../../src/auth/tokens';
import { inTransaction, type Pool } from '../../src/db/pool';
import { dockMain, type Tuning } from '../../src/dock/main';
import { eachLimited } from '../../src/dock/run';
import { createOfficer } from '../../src/directory/officers';
import { assignRecorder, createRecorder } from '../../src/directory/recorders';
import { createUnit } from '../../src/directory/units';
import { createUser } from '../../src/directory/users';
import type { Role } from '../../src/auth/roles';
import { makeClip } from '../../test/fixtures/clips';

// The docking-and-review load of issue 8, shared by the bounded test (test/load/docking-load.test.ts) and the
// benchmark (scripts/bench/load.ts): docking stations run the real dock client (tus, the code stations run),
// reviewers do what the case page does, over HTTP on loopback. Nothing here asserts: it reports.

export const LOAD_UNIT = 'LOAD';

export interface Station {
  username: string;
  token: string;
  serial: string;
  badgeNo: string;
}

/** Who takes part in the load: a station account, recorder and officer per docking client; reviewers of the whole bureau. */
export interface LoadBureau {
  stations: Station[];
  reviewers: { username: string; token: string }[];
  /** The penalty-case system's account, which puts the cases the reviewers open. */
  integration: string;
}

/**
 * Adds the load's own unit, officers, recorders and accounts to the catalog (names that no other seed uses),
 * with tokens issued as an admin issues them (the login route is not under test here).
 */
export async function prepareLoadBureau(pool: Pool, o: { stations: number; reviewers: number; passwordMinLength: number }): Promise<LoadBureau> {
  const pad = (i: number) => String(i + 1).padStart(4, '0');
  const stations = Array.from({ length: o.stations }, (_, i) => ({ username: `load-station-${pad(i)}`, serial: `LDR${pad(i)}`, badgeNo: `L${pad(i)}` }));
  await inTransaction(pool, async (c) => {
    await createUnit(c, { code: LOAD_UNIT, name: '负载测试中队' });
    for (const s of stations) {
      await createOfficer(c, { badgeNo: s.badgeNo, name: `负载警员${s.badgeNo}`, unitCode: LOAD_UNIT, from: null });
      await createRecorder(c, { serial: s.serial });
      await assignRecorder(c, s.serial, { badgeNo: s.badgeNo, from: 'initial' });
    }
  });
  const account = async (username: string, role: Role, ttlMs: number | null) => {
    const user = await createUser(pool, { username, password: `${username} load password`, role }, o.passwordMinLength);
    return (await issueToken(pool, user.id, ttlMs === null ? 'api' : 'session', ttlMs)).token;
  };
  return {
    stations: await Promise.all(stations.map(async (s) => ({ ...s, token: await account(s.username, 'station', null) }))),
    reviewers: await Promise.all(Array.from({ length: o.reviewers }, async (_, i) => ({ username: `load-reviewer-${i + 1}`, token: await account(`load-reviewer-${i + 1}`, 'reviewer', 8 * 3600_000) }))),
    integration: await account('load-integration', 'integration', null),
  };
}

export interface ClipFile {
  path: string;
  name: string;
  size: number;
  sha256: string;
  /** The start time its name gives. */
  startedAt: Date;
}

/** A docked recorder: its folder and what is on it. */
export interface RecorderFolder {
  station: Station;
  folder: string;
  files: ClipFile[];
}

export interface ClipSettings {
  filesPerStation: number;
  seconds: number;
  /** ffmpeg frame size, e.g. 640x360 (larger frames, larger files). */
  size: string;
  /** Recording times: station i's files start at `day` + i hours + 10 min per file (bureau time). */
  day: string;
  bureauTz: string;
}

/**
 * One recorder folder per station with `filesPerStation` fresh clips named as the recorder names them; every
 * clip has content of its own (makeClip adds a random comment). Two ffmpeg runs at a time.
 */
export async function makeRecorderFolders(dir: string, stations: Station[], s: ClipSettings): Promise<RecorderFolder[]> {
  const day = DateTime.fromISO(s.day, { zone: s.bureauTz });
  if (!day.isValid) throw new Error(`not a day: ${s.day}`);
  const folders = await Promise.all(
    stations.map(async (station, i) => {
      const folder = path.join(dir, `${station.serial}-${s.day}`);
      await mkdir(folder, { recursive: true });
      const names = Array.from({ length: s.filesPerStation }, (_, j) => {
        const at = day.plus({ hours: i, minutes: 10 * j });
        return { name: `${station.serial}_${station.badgeNo}_${at.toFormat('yyyyMMddHHmmss')}_${String(j + 1).padStart(4, '0')}.MP4`, at: at.toJSDate() };
      });
      return { station, folder, names, files: [] as ClipFile[] };
    }),
  );
  const jobs = folders.flatMap((f) => f.names.map((n) => ({ f, ...n })));
  await eachLimited(jobs, 2, async ({ f, name, at }) => {
    const file = await makeClip(f.folder, name, { seconds: s.seconds, size: s.size });
    const bytes = await readFile(file);
    f.files.push({ path: file, name, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), startedAt: at });
  });
  return folders.map(({ station, folder, files }) => ({ station, folder, files: files.sort((a, b) => a.name.localeCompare(b.name)) }));
}

export const totalBytes = (folders: RecorderFolder[]) => folders.reduce((n, f) => n + f.files.reduce((m, c) => m + c.size, 0), 0);

/** The dock client's --json summary, as far as the load reads it. */
export interface DockSummary {
  exitCode: number;
  totals: Record<string, number>;
  bytes: { total: number; sent: number };
  error: { kind: string; message: string } | null;
  files: { path: string; size: number; sha256: string | null; status: string; recordingId: string | null; reason: string | null; attempts: number }[];
}

export interface DockOutcome {
  station: string;
  code: number;
  summary: DockSummary;
  /** The end of what the client printed while it ran, for a report of what went wrong. */
  stderrTail: string;
}

/**
 * The client fails loudly here: no retries inside an upload or of a whole file, one attempt at each lookup.
 * A station would retry; under test a retry would hide the very error the load is looking for. Hence also one
 * file at a time per station (--parallel 1): N stations are N uploads at once, and one API process writes at
 * most 32 at once (src/ingest/tus.ts, maxConcurrentPatches); beyond that it answers 503 uploads_busy with
 * Retry-After, which a station's client (default --parallel 2) rides out by retrying.
 */
const NO_RETRIES: Partial<Tuning> = { tusRetryDelaysMs: [], lookupAttempts: 1, progressIntervalMs: 3600_000 };

/** Runs the dock client (what a docking station runs) on one recorder folder, in this process. */
export async function dockFolder(base: string, f: RecorderFolder, stateDir: string): Promise<DockOutcome> {
  let out = '';
  let err = '';
  const code = await dockMain(
    {
      argv: [f.folder, '--json', '--retries', '0', '--parallel', '1', '--state-dir', path.join(stateDir, f.station.serial)],
      env: { BCE_SERVER: base, BCE_TOKEN: f.station.token },
      stdout: { write: (t: string) => (out += t) },
      stderr: { write: (t: string) => ((err = (err + t).slice(-2000)), true), isTTY: false, columns: 100 } as never,
    },
    NO_RETRIES,
  );
  return { station: f.station.username, code, summary: JSON.parse(out) as DockSummary, stderrTail: err };
}

/** Polls `check` until it holds; throws with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Until every one of these recordings has been processed (ready or unplayable): the worker is idle for them. */
export async function waitProcessed(pool: Pool, ids: string[], timeoutMs: number): Promise<void> {
  await waitFor(
    `${ids.length} recordings to be processed`,
    async () => {
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM recordings WHERE id = ANY($1) AND status NOT IN ('received', 'processing')`,
        [ids],
      );
      return rows[0]!.n === ids.length;
    },
    timeoutMs,
  );
}

/**
 * Docks one clip per folder, waits until each is playable, and puts one case per clip (its officer and the next,
 * an activity around the clip) through the API; returns the case numbers once every case shows its footage.
 * What the reviewers will open: cases with playable footage linked by matching, as in production.
 */
export async function prepareReviewCases(pool: Pool, base: string, bureau: LoadBureau, folders: RecorderFolder[], stateDir: string, timeoutMs: number): Promise<string[]> {
  const docked = await Promise.all(folders.map((f) => dockFolder(base, f, stateDir)));
  const bad = docked.find((d) => d.code !== 0);
  if (bad) throw new Error(`docking the review footage failed for ${bad.station}: ${JSON.stringify(bad.summary.files)} ${bad.stderrTail}`);
  const ids = docked.flatMap((d) => d.summary.files.map((f) => f.recordingId!));
  await waitProcessed(pool, ids, timeoutMs);
  const caseNos: string[] = [];
  for (const [i, f] of folders.entries()) {
    const clip = f.files[0]!;
    const partner = bureau.stations[(bureau.stations.indexOf(f.station) + 1) % bureau.stations.length]!;
    const caseNo = `某交执罚〔${clip.startedAt.getUTCFullYear()}〕L${i + 1}号`;
    const at = (minutes: number) => new Date(clip.startedAt.getTime() + minutes * 60_000).toISOString();
    const res = await fetch(`${base}/api/cases/${encodeURIComponent(caseNo)}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${bureau.integration}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        title: `负载测试案件 ${i + 1}`,
        kind: 'penalty',
        status: 'open',
        unitCode: LOAD_UNIT,
        activities: [{ key: 'A1', type: 'inspection', badgeNos: [f.station.badgeNo, partner.badgeNo], startedAt: at(-2), endedAt: at(5), location: '某某路 1 号' }],
      }),
    });
    if (res.status !== 201) throw new Error(`PUT case ${caseNo}: ${res.status} ${await res.text()}`);
    caseNos.push(caseNo);
  }
  await waitFor(
    'the review cases to be linked to their footage',
    async () => {
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(DISTINCT c.id)::int AS n FROM cases c JOIN case_links l ON l.case_id = c.id WHERE c.case_no = ANY($1) AND l.recording_id = ANY($2)`,
        [caseNos, ids],
      );
      return rows[0]!.n === caseNos.length;
    },
    timeoutMs,
  );
  return caseNos;
}

export interface ReviewSettings {
  /** Cases per list page. */
  pageSize: number;
  /** How deep a reviewer pages before starting again from the top. */
  pagesPerPass: number;
  /**
   * Whole passes each reviewer makes even when the docking finishes first. Past them a reviewer stops at the
   * first case after the docking has finished (0: the review lasts exactly as long as the docking).
   */
  minPasses: number;
  /** Bytes asked for per Range request when streaming. */
  rangeBytes: number;
  /** Every this many visits with playable footage, the original is streamed too and checked against its SHA-256. */
  originalEvery: number;
}

export interface ReviewReport {
  requests: number;
  /** One line per request that did not answer as it should (status, or bytes that do not add up). */
  failures: string[];
  passes: number[];
  casesOpened: number;
  /** Wall time of each GET /api/cases/{caseNo} the reviewers made. */
  casePageMs: number[];
  proxiesStreamed: number;
  originalsStreamed: number;
  /** Originals whose streamed bytes hashed to the X-Content-SHA256 the server sent. */
  originalsVerified: number;
  bytesStreamed: number;
}

export interface LoadReport {
  docks: DockOutcome[];
  review: ReviewReport;
  /** From the first docking's start to the last one's end. */
  dockSeconds: number;
  /** Reviewer requests made before the last docking ended: the share of the review that was under load. */
  requestsWhileDocking: number;
  seconds: number;
}

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+)$/;

interface CaseJson {
  recordings: { id: string; status: string }[];
}
interface RecordingJson {
  playback: { proxy: unknown; poster: boolean } | null;
}

/** One reviewer's HTTP client: every request is counted, every unexpected answer is a failure line. */
class Reviewer {
  constructor(
    private readonly base: string,
    private readonly name: string,
    private readonly token: string,
    private readonly report: ReviewReport,
  ) {}

  async call(pathname: string, expect: number, headers: Record<string, string> = {}): Promise<{ res: Response; body: Buffer } | null> {
    this.report.requests++;
    try {
      const res = await fetch(`${this.base}${pathname}`, { headers: { authorization: `Bearer ${this.token}`, ...headers } });
      const body = Buffer.from(await res.arrayBuffer());
      if (res.status !== expect) {
        this.report.failures.push(`${this.name} GET ${pathname}${headers.range ? ` (${headers.range})` : ''}: ${res.status}, expected ${expect}: ${body.toString('utf8', 0, 300)}`);
        return null;
      }
      return { res, body };
    } catch (err) {
      this.report.failures.push(`${this.name} GET ${pathname}: ${(err as Error).message} ${String((err as { cause?: unknown }).cause ?? '')}`);
      return null;
    }
  }

  async json<T>(pathname: string): Promise<T | null> {
    const got = await this.call(pathname, 200);
    return got ? (JSON.parse(got.body.toString('utf8')) as T) : null;
  }

  /** Reads an object to its end in Range requests, as a player does; returns its bytes' SHA-256 and the header's. */
  async stream(pathname: string, rangeBytes: number): Promise<{ sha256: string; claimed: string | null } | null> {
    const hash = createHash('sha256');
    let claimed: string | null = null;
    let at = 0;
    let size = Infinity;
    while (at < size) {
      const range = `bytes=${at}-${at + rangeBytes - 1}`;
      const got = await this.call(pathname, 206, { range });
      if (!got) return null;
      const m = CONTENT_RANGE.exec(got.res.headers.get('content-range') ?? '');
      if (!m || Number(m[1]) !== at || got.body.length !== Number(m[2]) - at + 1) {
        this.report.failures.push(`${this.name} GET ${pathname} (${range}): Content-Range ${got.res.headers.get('content-range')} with ${got.body.length} bytes`);
        return null;
      }
      size = Number(m[3]);
      claimed ??= got.res.headers.get('x-content-sha256');
      hash.update(got.body);
      at += got.body.length;
      this.report.bytesStreamed += got.body.length;
    }
    return { sha256: hash.digest('hex'), claimed };
  }
}

/** What the case page asks for: the case, its first recording and that recording's custody, the poster, the video. */
async function visitCase(r: Reviewer, caseNo: string, s: ReviewSettings, report: ReviewReport, playable: { n: number }): Promise<void> {
  const t0 = performance.now();
  const c = await r.json<CaseJson>(`/api/cases/${encodeURIComponent(caseNo)}`);
  report.casePageMs.push(performance.now() - t0);
  report.casesOpened++;
  const first = c?.recordings[0];
  if (!first) return;
  const id = encodeURIComponent(first.id);
  const rec = await r.json<RecordingJson>(`/api/recordings/${id}`);
  await r.json(`/api/custody?recordingId=${id}`);
  if (rec?.playback?.poster) await r.call(`/api/recordings/${id}/thumbnail`, 200);
  if (!rec?.playback?.proxy) return;
  if (await r.stream(`/api/recordings/${id}/proxy`, s.rangeBytes)) report.proxiesStreamed++;
  if (++playable.n % s.originalEvery !== 0) return;
  const original = await r.stream(`/api/recordings/${id}/original`, s.rangeBytes);
  if (!original) return;
  report.originalsStreamed++;
  if (original.sha256 === original.claimed) report.originalsVerified++;
  else report.failures.push(`original of ${first.id}: streamed bytes hash to ${original.sha256}, the server says ${original.claimed}`);
}

/** Pages through the case list from the top and opens every case on the way, until told to stop; returns its whole passes. */
async function review(base: string, who: { username: string; token: string }, s: ReviewSettings, report: ReviewReport, docking: () => boolean): Promise<number> {
  const r = new Reviewer(base, who.username, who.token, report);
  const playable = { n: 0 };
  const more = (passes: number) => (docking() || passes < s.minPasses) && report.failures.length <= 1000;
  let passes = 0;
  // Bounded failures: a reviewer whose every request fails would otherwise spin as fast as the failures come.
  while (more(passes)) {
    let cursor: string | undefined;
    for (let page = 0; page < s.pagesPerPass; page++) {
      const list = await r.json<{ items: { caseNo: string }[]; nextCursor: string | null }>(
        `/api/cases?limit=${s.pageSize}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      if (!list) break;
      for (const item of list.items) {
        if (!more(passes)) return passes;
        await visitCase(r, item.caseNo, s, report, playable);
      }
      if (!list.nextCursor) break;
      cursor = list.nextCursor;
    }
    passes++;
  }
  return passes;
}

export interface LoadPlan {
  base: string;
  /** One per docking client, all docked at once. */
  folders: RecorderFolder[];
  reviewers: LoadBureau['reviewers'];
  /** The dock clients' state folders go under it. */
  stateDir: string;
  review: ReviewSettings;
  /** Called when the last docking has finished. */
  onDocked?: () => void;
}

/**
 * The load: every folder docked at once by its station's client while the reviewers page through the cases and
 * stream what the case page plays. Resolves when every docking has finished and every reviewer has made its passes.
 */
export async function runLoad(p: LoadPlan): Promise<LoadReport> {
  const { base, review: s } = p;
  const report: ReviewReport = { requests: 0, failures: [], passes: [], casesOpened: 0, casePageMs: [], proxiesStreamed: 0, originalsStreamed: 0, originalsVerified: 0, bytesStreamed: 0 };
  let docking = true;
  const t0 = performance.now();
  const dockings = Promise.all(p.folders.map((f) => dockFolder(base, f, p.stateDir))).finally(() => {
    docking = false;
    p.onDocked?.();
  });
  const reviews = Promise.all(p.reviewers.map((who) => review(base, who, s, report, () => docking)));
  const docks = await dockings;
  const dockSeconds = (performance.now() - t0) / 1000;
  const requestsWhileDocking = report.requests;
  report.passes = await reviews;
  return { docks, review: report, dockSeconds, requestsWhileDocking, seconds: (performance.now() - t0) / 1000 };
}

/**
 * The probe thread's body, sent to it as source: it stands alone (globals only, not even this module's imports).
 * Times GET /api/cases/{caseNo} for each case in turn, one call at a time: once through the list, or round and
 * round until the parent says stop.
 */
function casePageProbe(): void {
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const { base, token, caseNos, once } = workerData as { base: string; token: string; caseNos: string[]; once: boolean };
  let stop = false;
  parentPort!.on('message', () => (stop = true));
  void (async () => {
    const times: number[] = [];
    try {
      for (let i = 0; once ? i < caseNos.length : !stop; i++) {
        const caseNo = caseNos[i % caseNos.length]!;
        const t = globalThis.performance.now();
        const res = await fetch(`${base}/api/cases/${encodeURIComponent(caseNo)}`, { headers: { authorization: `Bearer ${token}` } });
        const body = await res.text();
        if (res.status !== 200) throw new Error(`GET case ${caseNo}: ${res.status} ${body.slice(0, 300)}`);
        times.push(globalThis.performance.now() - t);
      }
      parentPort!.postMessage({ times });
    } catch (err) {
      parentPort!.postMessage({ error: (err as Error).message });
    }
    parentPort!.close();
  })();
}

/**
 * Case page latency as a client of its own sees it: the calls run in a thread of their own, so the dock clients
 * and reviewers sharing this process's event loop do not add their delays to the figures (they still share the
 * CPU, as clients on the same machine do). Once through `caseNos`, or round and round until `until` resolves.
 */
export function probeCasePages(base: string, token: string, caseNos: string[], until?: Promise<unknown>): Promise<number[]> {
  const thread = new Worker(`(${casePageProbe.toString()})()`, { eval: true, workerData: { base, token, caseNos, once: !until } });
  void until?.then(() => thread.postMessage('stop'));
  return new Promise((resolve, reject) => {
    thread.once('message', (m: { times?: number[]; error?: string }) => (m.times ? resolve(m.times) : reject(new Error(m.error))));
    thread.once('error', reject);
    thread.once('exit', (code) => reject(new Error(`the case page probe ended (exit ${code}) without an answer`)));
  });
}

/**
 * The garbage collector, for a heap figure that is what is live and not what has not been collected yet:
 * `global.gc` under --expose-gc, else the same function obtained by setting the flag at run time.
 */
export function collectGarbage(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Samples this process's memory every `everyMs` until stopped; returns the peaks. */
export function sampleMemory(everyMs = 100): { stop(): { peakRss: number; peakHeapUsed: number; samples: number } } {
  let peakRss = 0;
  let peakHeapUsed = 0;
  let samples = 0;
  const take = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeapUsed = Math.max(peakHeapUsed, m.heapUsed);
    samples++;
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return { peakRss, peakHeapUsed, samples };
    },
  };
}

