import { createHash } from 'node:crypto';
import type { DockApi, UploadCall, UploadFile, UploadOutcome } from '../../src/dock/api';
import { DockError, httpError } from '../../src/dock/errors';
import { backoffDelay, eachLimited, runDock, type DockDeps, type DockSettings } from '../../src/dock/run';
import type { ScannedFile } from '../../src/dock/scan';
import { exitCodeOf, jsonSummary, renderSummary } from '../../src/dock/summary';
import type { DockEvent } from '../../src/dock/types';

const shaOf = (p: string): string => createHash('sha256').update(p).digest('hex');

function file(name: string, size = 1000): ScannedFile {
  return { path: `/rec/${name}`, realPath: `/rec/${name}`, relPath: name, name, size, mtimeMs: 1_700_000_000_000 };
}

function names(n: number): ScannedFile[] {
  return Array.from({ length: n }, (_, i) => file(`DSJ0001_100001_20250601083000_${String(i + 1).padStart(4, '0')}.MP4`));
}

const SETTINGS: DockSettings = {
  folder: '/rec',
  dockedAt: new Date('2025-06-01T10:00:00.000Z'),
  parallel: 2,
  dryRun: false,
  fileRetries: 3,
  retryBaseMs: 100,
  retryMaxMs: 350,
  lookupAttempts: 3,
  lookupBatchSize: 500,
  confirmDelaysMs: [10, 20],
};

type UploadImpl = (file: UploadFile, call: UploadCall) => Promise<UploadOutcome>;

interface Harness {
  deps: DockDeps;
  events: DockEvent[];
  sleeps: number[];
  lookups: string[][];
  uploads: { file: UploadFile; call: UploadCall }[];
  released: string[];
}

function harness(files: ScannedFile[], options: { known?: string[]; upload?: UploadImpl; lookup?: DockApi['lookup']; stat?: DockDeps['stat']; hash?: DockDeps['hash'] } = {}): Harness {
  const known = new Set(options.known ?? []);
  const h: Harness = { deps: undefined as unknown as DockDeps, events: [], sleeps: [], lookups: [], uploads: [], released: [] };
  const okUpload: UploadImpl = async (f, call) => {
    call.onProgress(f.size);
    known.add(f.sha256);
    return { serverSha256: f.sha256, recordingId: `rec-${f.path}`, duplicate: false };
  };
  let clock = 1_000_000;
  h.deps = {
    scan: async () => ({ files, ignored: [] }),
    hash: options.hash ?? (async (p, onProgress) => {
      onProgress(1);
      return shaOf(p);
    }),
    stat: options.stat ?? (async (p) => {
      const f = files.find((x) => x.path === p)!;
      return { size: f.size, mtimeMs: f.mtimeMs };
    }),
    api: {
      lookup: async (hashes, signal) => {
        h.lookups.push(hashes);
        if (options.lookup) return options.lookup(hashes, signal);
        return new Set(hashes.filter((x) => known.has(x)));
      },
      upload: (f, call) => {
        h.uploads.push({ file: f, call });
        return (options.upload ?? okUpload)(f, call);
      },
      release: async (f) => {
        h.released.push(f.path);
      },
    },
    sleep: async (ms) => {
      h.sleeps.push(ms);
      clock += ms;
    },
    now: () => (clock += 10),
  };
  return h;
}

async function run(h: Harness, settings: Partial<DockSettings> = {}, signal?: AbortSignal) {
  return runDock({ ...SETTINGS, ...settings }, h.deps, (e) => h.events.push(e), signal);
}

const tick = (ms = 2): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('uploads at most `parallel` files at once, and really that many', async () => {
  let active = 0;
  let most = 0;
  const started: string[] = [];
  const h = harness(names(7), {
    upload: async (f, call) => {
      started.push(f.path);
      active++;
      most = Math.max(most, active);
      await tick(5);
      active--;
      call.onProgress(f.size);
      return { serverSha256: f.sha256, duplicate: false };
    },
  });

  const result = await run(h, { parallel: 3 });

  expect(most).toBe(3);
  expect(started).toEqual(names(7).map((f) => f.path));
  expect(result.files.every((f) => f.status === 'uploaded')).toBe(true);
  expect(exitCodeOf(result)).toBe(0);
});

test('eachLimited never runs more than the limit, even when work finishes out of order', async () => {
  let active = 0;
  let most = 0;
  const done: number[] = [];
  await eachLimited([30, 5, 20, 1, 8, 2], 2, async (ms) => {
    active++;
    most = Math.max(most, active);
    await tick(ms);
    active--;
    done.push(ms);
  });
  expect(most).toBe(2);
  expect(done.sort((a, b) => a - b)).toEqual([1, 2, 5, 8, 20, 30]);
});

test('retries a file after network errors, 5xx, 423 and 409, with exponential backoff', async () => {
  const failures: Record<string, DockError[]> = {
    '/rec/a.MP4': [new DockError('network', 'PATCH: ECONNRESET'), httpError(503, '{"code":"storage_unavailable"}', true, 'PATCH')],
    '/rec/b.MP4': [httpError(423, '', true, 'HEAD'), httpError(409, '', true, 'PATCH')],
  };
  const h = harness([file('a.MP4'), file('b.MP4')], {
    upload: async (f, call) => {
      const next = failures[f.path].shift();
      if (next) throw next;
      call.onProgress(f.size);
      return { serverSha256: f.sha256, duplicate: false };
    },
  });

  const result = await run(h, { parallel: 1 });

  expect(result.files.map((f) => [f.name, f.status, f.attempts])).toEqual([
    ['a.MP4', 'uploaded', 3],
    ['b.MP4', 'uploaded', 3],
  ]);
  expect(h.sleeps).toEqual([100, 200, 100, 200]);
  const retries = h.events.filter((e) => e.type === 'upload-retry');
  expect(retries[0]).toMatchObject({ index: 0, attempt: 2, maxAttempts: 4, delayMs: 100, reason: 'PATCH: ECONNRESET' });
  expect(retries).toHaveLength(4);
});

test('gives up after the allowed retries, backing off up to the cap', async () => {
  const h = harness([file('a.MP4')], {
    upload: async () => {
      throw new DockError('network', 'PATCH: ECONNREFUSED');
    },
  });

  const result = await run(h);

  expect(result.files[0]).toMatchObject({ status: 'failed', failure: 'network', attempts: 4, reason: 'PATCH: ECONNREFUSED' });
  expect(h.sleeps).toEqual([100, 200, 350]);
  // Only network failures: the server could not be used, which is exit 3, not a file's fault.
  expect(exitCodeOf(result)).toBe(3);
});

test.each([400, 413, 415, 422])('does not retry a %i', async (status) => {
  const h = harness([file('a.MP4'), file('b.MP4')], {
    upload: async (f, call) => {
      if (f.path === '/rec/a.MP4') throw httpError(status, JSON.stringify({ code: 'refused', detail: 'no' }), true, 'PATCH');
      call.onProgress(f.size);
      return { serverSha256: f.sha256, duplicate: false };
    },
  });

  const result = await run(h);

  expect(result.files[0]).toMatchObject({ status: 'failed', failure: 'rejected', attempts: 1, reason: `PATCH: ${status} refused: no` });
  expect(result.files[1].status).toBe('uploaded');
  expect(h.sleeps).toEqual([]);
  expect(exitCodeOf(result)).toBe(1);
});

test('a refused token stops every upload and the run ends with exit 3', async () => {
  const h = harness(names(5), {
    upload: (f, call) =>
      new Promise((resolve, reject) => {
        if (f.path.endsWith('0001.MP4')) {
          setTimeout(() => reject(httpError(401, '{"code":"unauthenticated"}', true, 'POST')), 5);
          return;
        }
        // The others wait until they are stopped, as a real upload does.
        call.signal.addEventListener('abort', () => reject(new DockError('aborted', 'stopped')));
        void resolve;
      }),
  });

  const result = await run(h);

  expect(h.uploads).toHaveLength(2);
  expect(result.fatal?.kind).toBe('auth');
  expect(result.files.map((f) => f.status)).toEqual(['failed', 'failed', 'failed', 'failed', 'failed']);
  expect(result.files[0].failure).toBe('auth');
  expect(result.files[1].reason).toMatch(/^not uploaded: the server refused the token/);
  expect(result.files[4].attempts).toBe(0);
  expect(exitCodeOf(result)).toBe(3);
  expect(h.events.filter((e) => e.type === 'fatal')).toHaveLength(1);
});

test('asks in batches of at most 500 and skips what the server already stores', async () => {
  const files = names(1203);
  const known = [shaOf(files[0].path), shaOf(files[700].path), shaOf(files[1202].path)];
  const h = harness(files, { known });

  const result = await run(h, { dryRun: true });

  expect(h.lookups.map((b) => b.length)).toEqual([500, 500, 203]);
  expect(new Set(h.lookups.flat()).size).toBe(1203);
  expect(h.lookups.flat().every((x) => /^[0-9a-f]{64}$/.test(x))).toBe(true);
  expect(result.files.filter((f) => f.status === 'already-stored').map((f) => f.relPath)).toEqual([files[0].relPath, files[700].relPath, files[1202].relPath]);
  expect(result.files.filter((f) => f.status === 'would-upload')).toHaveLength(1200);
  expect(h.uploads).toHaveLength(0);
  expect(exitCodeOf(result)).toBe(0);
});

test('a lookup that keeps failing stops the run before any upload, exit 3', async () => {
  const h = harness(names(2), {
    lookup: async () => {
      throw httpError(502, '', false, 'lookup');
    },
  });

  const result = await run(h);

  expect(h.lookups).toHaveLength(3);
  expect(h.sleeps).toEqual([100, 200]);
  expect(h.uploads).toHaveLength(0);
  expect(result.fatal?.message).toMatch(/could not be asked.*502/);
  expect(result.files.every((f) => f.status === 'failed' && f.failure === 'server')).toBe(true);
  expect(exitCodeOf(result)).toBe(3);
});

test('a lookup refused for the token is not retried', async () => {
  const h = harness(names(1), {
    lookup: async () => {
      throw httpError(403, '{"code":"forbidden"}', false, 'lookup');
    },
  });
  const result = await run(h);
  expect(h.lookups).toHaveLength(1);
  expect(result.fatal?.kind).toBe('auth');
  expect(exitCodeOf(result)).toBe(3);
});

test('verifies the server hash: a mismatch fails the file without retrying', async () => {
  const h = harness([file('a.MP4')], {
    upload: async () => ({ serverSha256: 'f'.repeat(64), recordingId: 'r1', duplicate: false }),
  });

  const result = await run(h);

  expect(result.files[0]).toMatchObject({ status: 'failed', failure: 'verify', attempts: 1 });
  expect(result.files[0].reason).toContain('f'.repeat(64));
  expect(h.uploads).toHaveLength(1);
  expect(exitCodeOf(result)).toBe(1);
});

test('without a hash in the answer, confirms with the lookup, waiting for the server to commit', async () => {
  let asked = 0;
  const sha = shaOf('/rec/a.MP4');
  const h = harness([file('a.MP4')], {
    upload: async () => ({ duplicate: false }),
    lookup: async (hashes) => {
      asked++;
      // Unknown at the first lookup (before the upload) and at the first confirmation.
      return new Set(asked >= 3 ? hashes : []);
    },
  });

  const result = await run(h);

  expect(result.files[0]).toMatchObject({ status: 'uploaded', sha256: sha });
  expect(h.lookups.slice(1)).toEqual([[sha], [sha]]);
  expect(h.sleeps).toEqual([10]);
});

test('an upload the server still does not know after confirming fails the file', async () => {
  const h = harness([file('a.MP4')], { upload: async () => ({ duplicate: false }), lookup: async () => new Set() });
  const result = await run(h);
  expect(result.files[0]).toMatchObject({ status: 'failed', failure: 'verify' });
  expect(h.lookups).toHaveLength(4);
  expect(h.sleeps).toEqual([10, 20]);
});

test('sends the metadata the server needs, serial and badge only when given', async () => {
  const h = harness([file('DSJ0001_100001_20250601083000_0001_IMP.MP4')]);
  const plain = await run(h);
  expect(h.uploads[0].call.metadata).toEqual({
    filename: 'DSJ0001_100001_20250601083000_0001_IMP.MP4',
    sha256: shaOf('/rec/DSJ0001_100001_20250601083000_0001_IMP.MP4'),
    dockedAt: '2025-06-01T10:00:00.000Z',
  });
  expect(plain.files[0]).toMatchObject({ recorderSerial: 'DSJ0001', badgeNo: '100001', recordingId: 'rec-/rec/DSJ0001_100001_20250601083000_0001_IMP.MP4' });

  const h2 = harness([file('VID_0001.MOV')]);
  const flagged = await run(h2, { serial: 'DSJ0009', badge: '100009' });
  expect(h2.uploads[0].call.metadata).toMatchObject({ filename: 'VID_0001.MOV', recorderSerial: 'DSJ0009', badgeNo: '100009' });
  expect(flagged.files[0]).toMatchObject({ recorderSerial: 'DSJ0009', badgeNo: '100009' });
});

test('empty files are skipped, unreadable and changed files fail, the rest goes on', async () => {
  const files = [file('a.MP4'), file('empty.MP4', 0), file('unreadable.MP4'), file('changed.MP4')];
  const h = harness(files, {
    hash: async (p) => {
      if (p.includes('unreadable')) throw Object.assign(new Error('i/o error'), { code: 'EIO' });
      return shaOf(p);
    },
    stat: async (p) => {
      const f = files.find((x) => x.path === p)!;
      return { size: f.size, mtimeMs: p.includes('changed') ? f.mtimeMs + 5000 : f.mtimeMs };
    },
  });

  const result = await run(h);

  expect(result.files.map((f) => [f.name, f.status, f.failure])).toEqual([
    ['a.MP4', 'uploaded', undefined],
    ['empty.MP4', 'empty', undefined],
    ['unreadable.MP4', 'failed', 'read'],
    ['changed.MP4', 'failed', 'changed'],
  ]);
  expect(result.files[2].reason).toContain('EIO');
  expect(h.lookups[0]).toHaveLength(2);
  expect(h.uploads.map((u) => u.file.path)).toEqual(['/rec/a.MP4']);
  expect(exitCodeOf(result)).toBe(1);
});

test('a duplicate answer is reported as such', async () => {
  const h = harness([file('a.MP4')], { upload: async (f) => ({ serverSha256: f.sha256, recordingId: 'old', duplicate: true }) });
  const result = await run(h);
  expect(result.files[0]).toMatchObject({ status: 'duplicate', recordingId: 'old' });
  expect(exitCodeOf(result)).toBe(0);
});

test('counts bytes sent, not bytes skipped by resuming', async () => {
  const h = harness([file('a.MP4', 1000)], {
    upload: async (f, call) => {
      call.onResume?.(600);
      call.onProgress(600);
      call.onProgress(800);
      call.onProgress(1000);
      return { serverSha256: f.sha256, duplicate: false };
    },
  });
  const result = await run(h);
  expect(result.bytesSent).toBe(400);
  expect(h.events.filter((e) => e.type === 'upload-progress').map((e) => (e as { sent: number }).sent)).toEqual([0, 200, 200]);
});

test('bytes the server took beyond the last progress report count as sent, those of an earlier run do not', async () => {
  let attempt = 0;
  const h = harness([file('a.MP4', 1000)], {
    upload: async (f, call) => {
      attempt++;
      if (attempt === 1) {
        call.onResume?.(300); // left by an earlier run
        call.onProgress(400);
        throw new DockError('server', 'PATCH: 503'); // after the server took everything, unreported
      }
      call.onResume?.(1000);
      return { serverSha256: f.sha256, duplicate: false };
    },
  });
  const result = await run(h);
  expect(result.bytesSent).toBe(700);
});

test('an interrupt stops the uploads where they are, exit 130', async () => {
  const interrupt = new AbortController();
  const h = harness(names(3), {
    upload: (_f, call) =>
      new Promise((_resolve, reject) => {
        call.signal.addEventListener('abort', () => reject(new DockError('aborted', 'stopped')));
        setTimeout(() => interrupt.abort(), 5);
      }),
  });

  const result = await run(h, {}, interrupt.signal);

  expect(result.interrupted).toBe(true);
  expect(result.files.every((f) => f.status === 'failed' && f.reason === 'interrupted; run again to resume')).toBe(true);
  expect(exitCodeOf(result)).toBe(130);
});

test('the summary counts, sums and explains', async () => {
  const files = [file('a.MP4', 3 * 1024 * 1024), file('b.MP4', 1024), file('c.MP4', 2048), file('d.MP4', 0)];
  const h = harness(files, {
    known: [shaOf('/rec/b.MP4')],
    upload: async (f, call) => {
      if (f.path === '/rec/c.MP4') throw httpError(415, '{"code":"not_media","detail":"not audio/video"}', true, 'PATCH');
      call.onProgress(f.size);
      return { serverSha256: f.sha256, recordingId: 'r-a', duplicate: false };
    },
  });
  const result = await run(h);
  const ctx = { folder: '/rec', server: 'http://127.0.0.1:8080', dockedAt: SETTINGS.dockedAt, dryRun: false };

  const json = jsonSummary(result, ctx);
  expect(json.exitCode).toBe(1);
  expect(json.totals).toEqual({ files: 4, uploaded: 1, duplicate: 0, alreadyStored: 1, wouldUpload: 0, empty: 1, failed: 1 });
  expect(json.bytes).toEqual({ total: 3 * 1024 * 1024 + 3072, hashed: 3 * 1024 * 1024 + 3072, sent: 3 * 1024 * 1024, stored: 3 * 1024 * 1024 + 1024 });
  expect(json.files[2]).toMatchObject({ path: 'c.MP4', status: 'failed', failure: 'rejected', reason: 'PATCH: 415 not_media: not audio/video' });

  const text = renderSummary(result, ctx);
  expect(text[0]).toBe('docked /rec at 2025-06-01T10:00:00.000Z to http://127.0.0.1:8080');
  expect(text).toContain('  uploaded        a.MP4     3.0 MiB  recording r-a');
  expect(text).toContain('  already stored  b.MP4     1.0 KiB');
  expect(text).toContain('  FAILED          c.MP4     2.0 KiB  PATCH: 415 not_media: not audio/video');
  expect(text).toContain('4 files: 1 uploaded, 1 already stored, 1 empty, 1 failed');
  expect(text.at(-2)).toMatch(/^3\.0 MiB sent of 3\.0 MiB in all, in \d+s \(uploads at .* on average\)$/);
  expect(text.at(-1)).toMatch(/^exit 1: some files failed/);
});

test('forgets an upload once verified or refused for good, keeps it when it may resume later', async () => {
  const files = ['ok', 'refused', 'mismatch', 'changed', 'flaky', 'gone'].map((n) => file(`${n}.MP4`));
  const h = harness(files, {
    stat: async (p) => ({ size: 1000, mtimeMs: p.includes('changed') ? 1 : 1_700_000_000_000 }),
    hash: async (p) => (p.includes('gone') ? Promise.reject(Object.assign(new Error('gone'), { code: 'ENOENT' })) : shaOf(p)),
    upload: async (f) => {
      if (f.path.includes('refused')) throw httpError(422, '', true, 'PATCH');
      if (f.path.includes('mismatch')) return { serverSha256: '0'.repeat(64), duplicate: false };
      if (f.path.includes('flaky')) throw new DockError('network', 'ECONNRESET');
      return { serverSha256: f.sha256, duplicate: false };
    },
  });

  const result = await run(h, { fileRetries: 1 });

  expect(result.files.map((f) => f.status)).toEqual(['uploaded', 'failed', 'failed', 'failed', 'failed', 'failed']);
  expect(h.released.sort()).toEqual(['/rec/changed.MP4', '/rec/mismatch.MP4', '/rec/ok.MP4', '/rec/refused.MP4']);
});

test('a folder that cannot be listed is the one thing that throws', async () => {
  const h = harness([]);
  h.deps.scan = async () => {
    throw Object.assign(new Error('permission denied'), { code: 'EACCES' });
  };
  await expect(run(h)).rejects.toMatchObject({ kind: 'read', message: 'cannot read the folder /rec: EACCES permission denied' });
});

test('backoff doubles up to its cap', () => {
  expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, 1000, 10_000))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
});
