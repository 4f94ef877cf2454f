import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { dockMain, type Tuning } from '../../src/dock/main';
import { FakeServer } from './fake-server';
import { listing, makeFiles, MiB, removeDirs, tempDir } from './helpers';

const TOKEN = 'station-token-0123456789';
const FAST: Partial<Tuning> = {
  tusRetryDelaysMs: [20, 50, 100],
  retryBaseMs: 20,
  retryMaxMs: 100,
  confirmDelaysMs: [20, 50],
  lookupAttempts: 3,
  progressIntervalMs: 60_000,
};

const A = 'DSJ0001_100001_20250601083000_0001.MP4';
const B = 'DSJ0001_100001_20250601084000_0002.MP4';
const C = '100MEDIA/DSJ0001_100001_20250601090000_0003_IMP.mp4';

let server: FakeServer;
let recorder: string;
let home: string;
let stateDir: string;

beforeEach(async () => {
  recorder = await tempDir('recorder');
  home = await tempDir('home');
  stateDir = path.join(home, 'state');
});

afterEach(async () => {
  await server?.close();
  await removeDirs(recorder, home);
});

interface DockRun {
  code: number;
  stdout: string;
  stderr: string;
  json: {
    exitCode: number;
    totals: Record<string, number>;
    files: { path: string; status: string; failure: string | null; reason: string | null; sha256: string | null; attempts: number; recordingId: string | null }[];
  };
}

async function dock(extra: string[] = [], options: { token?: string; signal?: AbortSignal; serverUrl?: string } = {}): Promise<DockRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await dockMain(
    {
      argv: ['--server', options.serverUrl ?? server.url, '--state-dir', stateDir, '--json', ...extra, recorder],
      env: { BCE_TOKEN: options.token ?? TOKEN },
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => err.push(s), isTTY: false },
      home,
      signal: options.signal,
    },
    FAST,
  );
  return { code, stdout: out.join(''), stderr: err.join(''), json: JSON.parse(out.join('')) as DockRun['json'] };
}

function statusOf(run: DockRun, rel: string): string | undefined {
  return run.json.files.find((f) => f.path === rel)?.status;
}

function postsFor(filename: string): number {
  return server.created.filter((name) => name === filename).length;
}

test('skips what the server stores, uploads and verifies the rest, and leaves the recorder untouched', async () => {
  const made = await makeFiles(recorder, { [A]: 3 * MiB, [B]: 2 * MiB, [C]: 1 * MiB + 17, 'notes.txt': 100, '.hidden.MP4': 1000 });
  server = await new FakeServer(TOKEN, [made[A].sha256]).start();
  const before = await listing(recorder);
  const startedAt = Date.now();

  const run = await dock();

  expect(run.code).toBe(0);
  expect(run.json.exitCode).toBe(0);
  expect(run.json.files.map((f) => f.path)).toEqual([C, A, B]);
  expect(statusOf(run, A)).toBe('already-stored');
  expect(statusOf(run, B)).toBe('uploaded');
  expect(statusOf(run, C)).toBe('uploaded');
  expect(run.json.totals).toMatchObject({ files: 3, uploaded: 2, alreadyStored: 1, failed: 0 });
  // Nothing was sent for the stored file, nor for the hidden or non-video ones.
  expect(postsFor(A)).toBe(0);
  expect([...server.uploads.values()].map((u) => u.metadata.filename).sort()).toEqual([path.basename(B), path.basename(C)].sort());
  for (const rel of [B, C]) {
    const stored = server.recordings.get(made[rel].sha256);
    expect(stored?.size).toBe(made[rel].bytes.length);
    expect(stored?.metadata.sha256).toBe(made[rel].sha256);
    expect(stored?.metadata.filename).toBe(path.basename(rel));
    // The server reads serial and badge from the name: the client does not send them unasked.
    expect(stored?.metadata).not.toHaveProperty('recorderSerial');
    expect(stored?.metadata).not.toHaveProperty('badgeNo');
    const dockedAt = Date.parse(stored!.metadata.dockedAt);
    expect(dockedAt).toBeGreaterThanOrEqual(startedAt - 1000);
    expect(dockedAt).toBeLessThanOrEqual(Date.now());
    expect(run.json.files.find((f) => f.path === rel)?.recordingId).toBe(stored?.id);
  }
  expect(await listing(recorder)).toEqual(before);
  // The state lives outside the recorder, and finished uploads leave nothing behind in it.
  expect(JSON.parse(await readFile(path.join(stateDir, 'uploads.json'), 'utf8'))).toEqual({});
  expect(run.stderr).toContain('found 3 video files');
});

test('--serial and --badge are sent with each file', async () => {
  await makeFiles(recorder, { 'VID_0001.MOV': 1 * MiB });
  server = await new FakeServer(TOKEN).start();

  const run = await dock(['--serial', 'DSJ0009', '--badge', '100009']);

  expect(run.code).toBe(0);
  const [upload] = [...server.uploads.values()];
  expect(upload.metadata).toMatchObject({ filename: 'VID_0001.MOV', recorderSerial: 'DSJ0009', badgeNo: '100009' });
});

test('a connection dropped mid-upload is resumed from the server offset, not restarted', async () => {
  const made = await makeFiles(recorder, { [A]: 4 * MiB });
  server = await new FakeServer(TOKEN).start();
  server.faults.dropOnceAtBytes = 1.5 * MiB;
  const before = await listing(recorder);

  const run = await dock();

  expect(run.code).toBe(0);
  expect(statusOf(run, A)).toBe('uploaded');
  const patches = server.patches();
  expect(patches[0].uploadOffset).toBe(0);
  expect(patches.length).toBeGreaterThanOrEqual(2);
  expect(patches[1].uploadOffset).toBeGreaterThan(0);
  expect(postsFor(A)).toBe(1);
  expect(server.recordings.get(made[A].sha256)?.size).toBe(4 * MiB);
  expect(run.stderr).toMatch(/resuming .*0001\.MP4 at 1\.\d MiB/);
  expect(await listing(recorder)).toEqual(before);
});

test('a client stopped mid-upload resumes in its next run from the state file', async () => {
  const made = await makeFiles(recorder, { [A]: 4 * MiB });
  server = await new FakeServer(TOKEN).start();
  const stop = new AbortController();
  server.faults.onBytes = (upload) => {
    if (upload.offset >= 1 * MiB) stop.abort();
  };

  const first = await dock([], { signal: stop.signal });

  expect(first.code).toBe(130);
  expect(statusOf(first, A)).toBe('failed');
  expect(postsFor(A)).toBe(1);
  const [upload] = [...server.uploads.values()];
  expect(upload.done).toBe(false);
  const stoppedAt = upload.offset;
  expect(stoppedAt).toBeGreaterThan(0);
  server.faults.onBytes = undefined;
  const firstRunRequests = server.requests.length;

  const second = await dock();

  expect(second.code).toBe(0);
  expect(statusOf(second, A)).toBe('uploaded');
  expect(postsFor(A)).toBe(1);
  const later = server.requests.slice(firstRunRequests).filter((r) => r.path.startsWith('/api/uploads'));
  expect(later[0].method).toBe('HEAD');
  // Bytes in flight when the client stopped may still have reached the server: it resumes from the server's count.
  expect(later[1].method).toBe('PATCH');
  expect(later[1].uploadOffset).toBeGreaterThanOrEqual(stoppedAt);
  expect(later[1].uploadOffset).toBeLessThan(4 * MiB);
  expect(server.recordings.get(made[A].sha256)?.size).toBe(4 * MiB);
});

/** The requests after the PATCH that carried the file (one PATCH from offset 0: the files are smaller than a chunk). */
function requestsAfterLastDataPatch(): string[] {
  const lastData = server.requests.map((r) => r.method === 'PATCH' && r.uploadOffset === 0).lastIndexOf(true);
  return server.requests.slice(lastData + 1).map((r) => `${r.method} ${r.path.replace(/[0-9a-f-]{36}/, 'ID')}${r.uploadOffset === undefined ? '' : ` @${r.uploadOffset}`} ${r.status ?? '-'}`);
}

test('when the final answer is lost, the answer to a HEAD tells which recording the upload became', async () => {
  const made = await makeFiles(recorder, { [A]: 1 * MiB });
  server = await new FakeServer(TOKEN).start();
  server.faults.dropFinalAnswerOnce = true;

  const run = await dock();

  expect(run.code).toBe(0);
  expect(requestsAfterLastDataPatch()).toEqual(['HEAD /api/uploads/ID 200']);
  expect(run.json.files[0]).toMatchObject({ status: 'uploaded', recordingId: server.recordings.get(made[A].sha256)?.id });
});

test('when a HEAD names no recording, an empty PATCH at the full offset asks for it', async () => {
  const made = await makeFiles(recorder, { [A]: 1 * MiB });
  server = await new FakeServer(TOKEN).start();
  server.faults.dropFinalAnswerOnce = true;
  server.faults.headWithoutRecording = true;

  const run = await dock();

  expect(run.code).toBe(0);
  expect(requestsAfterLastDataPatch()).toEqual(['HEAD /api/uploads/ID 200', `PATCH /api/uploads/ID @${MiB} 204`]);
  expect(run.json.files[0]).toMatchObject({ status: 'uploaded', recordingId: server.recordings.get(made[A].sha256)?.id });
});

test('a recording the server failed to make after taking every byte is finished without sending them again', async () => {
  const made = await makeFiles(recorder, { [A]: 2 * MiB });
  server = await new FakeServer(TOKEN).start();
  server.faults.failIngestOnce = 503;

  const run = await dock();

  expect(run.code).toBe(0);
  expect(statusOf(run, A)).toBe('uploaded');
  expect(server.patches().map((p) => [p.uploadOffset, p.status])).toEqual([
    [0, 503],
    [2 * MiB, 204],
  ]);
  const [upload] = [...server.uploads.values()];
  expect(Buffer.concat(upload.chunks).length).toBe(2 * MiB);
  expect(server.recordings.has(made[A].sha256)).toBe(true);
  expect(JSON.parse(await readFile(path.join(stateDir, 'uploads.json'), 'utf8'))).toEqual({});
});

test('a server hash that differs from the file fails that file with exit code 1', async () => {
  const made = await makeFiles(recorder, { [A]: 1 * MiB, [B]: 1 * MiB });
  server = await new FakeServer(TOKEN).start();
  server.faults.wrongHashFor = [B];

  const run = await dock();

  expect(run.code).toBe(1);
  expect(statusOf(run, A)).toBe('uploaded');
  const failed = run.json.files.find((f) => f.path === B)!;
  expect(failed).toMatchObject({ status: 'failed', failure: 'verify', sha256: made[B].sha256 });
  expect(failed.reason).toContain('differs');
  expect(failed.attempts).toBe(1);
});

test('content the server refuses (422) is reported, not retried', async () => {
  await makeFiles(recorder, { [A]: 1 * MiB, [B]: 1 * MiB });
  server = await new FakeServer(TOKEN).start();
  server.faults.rejectFinal = { filenames: [A], status: 422, code: 'unknown_officer' };

  const run = await dock();

  expect(run.code).toBe(1);
  const failed = run.json.files.find((f) => f.path === A)!;
  expect(failed).toMatchObject({ status: 'failed', failure: 'rejected', attempts: 1 });
  expect(failed.reason).toContain('422 unknown_officer');
  expect(postsFor(A)).toBe(1);
  expect(statusOf(run, B)).toBe('uploaded');
  // Nothing is kept to resume for a refused file.
  expect(JSON.parse(await readFile(path.join(stateDir, 'uploads.json'), 'utf8'))).toEqual({});
});

test('a refused token gives exit code 3 and uploads nothing', async () => {
  await makeFiles(recorder, { [A]: 1 * MiB });
  server = await new FakeServer(TOKEN).start();

  const run = await dock([], { token: 'revoked-token' });

  expect(run.code).toBe(3);
  expect(run.json.files[0]).toMatchObject({ status: 'failed', failure: 'auth' });
  expect(server.requests.every((r) => r.path === '/api/recordings/lookup')).toBe(true);
  expect(server.requests).toHaveLength(1);
});

test('a server that cannot be reached gives exit code 3', async () => {
  await makeFiles(recorder, { [A]: 1 * MiB });
  server = await new FakeServer(TOKEN).start();
  const deadUrl = server.url;
  await server.close();
  server = await new FakeServer(TOKEN).start();

  const run = await dock([], { serverUrl: deadUrl });

  expect(run.code).toBe(3);
  expect(run.json.files[0]).toMatchObject({ status: 'failed', failure: 'network' });
  expect(run.stderr).toContain('ECONNREFUSED');
});

test('--dry-run hashes and asks, and sends nothing', async () => {
  const made = await makeFiles(recorder, { [A]: 1 * MiB, [B]: 1 * MiB });
  server = await new FakeServer(TOKEN, [made[A].sha256]).start();

  const run = await dock(['--dry-run']);

  expect(run.code).toBe(0);
  expect(statusOf(run, A)).toBe('already-stored');
  expect(statusOf(run, B)).toBe('would-upload');
  expect(server.uploads.size).toBe(0);
  expect(await readdir(stateDir)).toEqual([]);
  expect(createHash('sha256').update(made[B].bytes).digest('hex')).toBe(run.json.files.find((f) => f.path === B)?.sha256);
});
