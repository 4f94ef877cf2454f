import { DockError } from '../../src/dock/errors';
import { formatBytes, formatDuration, formatEta, formatPercent, formatSpeed, printable, truncateMiddle } from '../../src/dock/format';
import { eventLine, ProgressTracker, ProgressView, renderBar, renderLines, renderRow, renderStatusLine, SpeedMeter } from '../../src/dock/progress';
import type { ScannedFile } from '../../src/dock/scan';
import type { DockEvent } from '../../src/dock/types';

const MiB = 1024 * 1024;
const file = (name: string, size: number): ScannedFile => ({ path: `/rec/${name}`, realPath: `/rec/${name}`, relPath: name, name, size, mtimeMs: 0 });

test('formats bytes in binary units', () => {
  expect(formatBytes(0)).toBe('0 B');
  expect(formatBytes(1023)).toBe('1023 B');
  expect(formatBytes(1024)).toBe('1.0 KiB');
  expect(formatBytes(1536)).toBe('1.5 KiB');
  expect(formatBytes(4 * 1024 * MiB - 1)).toBe('4.0 GiB');
  expect(formatBytes(3.25 * 1024 * 1024 * MiB)).toBe('3.3 TiB');
  expect(formatBytes(Number.NaN)).toBe('?');
});

test('formats speed, durations and time left', () => {
  expect(formatSpeed(85.2 * MiB)).toBe('85.2 MiB/s');
  expect(formatSpeed(0)).toBe('--');
  expect(formatSpeed(Number.NaN)).toBe('--');
  expect(formatDuration(0)).toBe('0s');
  expect(formatDuration(42_400)).toBe('42s');
  expect(formatDuration(59_600)).toBe('1m00s');
  expect(formatDuration(185_000)).toBe('3m05s');
  expect(formatDuration(3_720_000)).toBe('1h02m');
  expect(formatDuration(400 * 3_600_000)).toBe('>99h');
  expect(formatDuration(-1)).toBe('--');
  expect(formatEta(100 * MiB, 10 * MiB)).toBe('10s');
  expect(formatEta(0, Number.NaN)).toBe('0s');
  expect(formatEta(100, 0)).toBe('--');
  expect(formatPercent(1, 3)).toBe('33%');
  expect(formatPercent(5, 0)).toBe('100%');
  expect(formatPercent(7, 5)).toBe('100%');
});

test('truncates in the middle, keeping both ends', () => {
  expect(truncateMiddle('DSJ0001_100001_20250601083000_0001.MP4', 20)).toBe('DSJ0001_1…0_0001.MP4');
  expect([...truncateMiddle('DSJ0001_100001_20250601083000_0001.MP4', 20)]).toHaveLength(20);
  expect(truncateMiddle('short', 20)).toBe('short');
});

test('draws bars of exactly the asked width', () => {
  expect(renderBar(0, 100, 12)).toBe('[>         ]');
  expect(renderBar(50, 100, 12)).toBe('[=====>    ]');
  expect(renderBar(99, 100, 12)).toBe('[=========>]');
  expect(renderBar(100, 100, 12)).toBe('[==========]');
  expect(renderBar(5, 0, 6)).toBe('[====]');
  for (const w of [3, 10, 30]) for (const d of [0, 1, 33, 99, 100]) expect(renderBar(d, 100, w)).toHaveLength(w);
});

test('measures speed over a sliding window', () => {
  const m = new SpeedMeter(5000);
  m.start(0);
  m.add(500, 10 * MiB);
  expect(m.rate(500)).toBeNaN();
  m.add(1000, 10 * MiB);
  expect(m.rate(1000)).toBe(20 * MiB);
  for (let t = 2000; t <= 10_000; t += 1000) m.add(t, 1 * MiB);
  // The fast start has left the window: only the last seconds count.
  expect(m.rate(10_000)).toBe(1 * MiB);
});

test('rows fit the terminal width, the name giving way first', () => {
  for (const width of [40, 60, 80, 120, 200]) {
    const row = renderRow('uploading', 'DSJ0001_100001_20250601083000_0001_IMP.MP4', 1.5 * 1024 * MiB, 3.9 * 1024 * MiB, 85 * MiB, width);
    expect([...row].length).toBeLessThanOrEqual(width - 1);
    expect(row.startsWith('uploading ')).toBe(true);
  }
  const wide = renderRow('uploading', 'DSJ0001_100001_20250601083000_0001.MP4', 1536 * MiB, 4096 * MiB, 80 * MiB, 120);
  expect(wide).toContain('DSJ0001_100001_20250601083000_0001.MP4');
  expect(wide).toMatch(/\[=+> *\] +37% +1\.5 GiB \/ 4\.0 GiB +80\.0 MiB\/s +32s left$/);
  // Narrow: no room for a bar, but the figures stay.
  expect(renderRow('uploading', 'x.MP4', 1, 2, 1, 60)).not.toContain('[');
});

function tracked(events: DockEvent[], at: number[]): ProgressTracker {
  const t = new ProgressTracker();
  events.forEach((e, i) => t.apply(e, at[i]));
  return t;
}

test('tracks hashing and uploading into per-file and overall rows', () => {
  const files = [file('a.MP4', 100 * MiB), file('b.MP4', 300 * MiB), file('empty.MP4', 0)];
  const t = tracked(
    [
      { type: 'scanned', files, ignored: [] },
      { type: 'hash-start', index: 0 },
      { type: 'hash-progress', index: 0, bytes: 100 * MiB },
      { type: 'hash-done', index: 0, sha256: 'a' },
      { type: 'hash-start', index: 1 },
      { type: 'hash-progress', index: 1, bytes: 100 * MiB },
    ],
    [0, 0, 1000, 1000, 1000, 2000],
  );
  const hashing = t.snapshot(2000);
  expect(hashing.phase).toBe('hash');
  expect(hashing.active).toEqual([{ action: 'hashing', name: 'b.MP4', bytes: 100 * MiB, size: 300 * MiB, speed: 100 * MiB }]);
  expect(hashing.overall).toEqual({ filesDone: 1, filesTotal: 2, bytesDone: 200 * MiB, bytesTotal: 400 * MiB, speed: 100 * MiB });

  t.apply({ type: 'hash-done', index: 1, sha256: 'b' }, 3000);
  t.apply({ type: 'lookup-start', hashes: 2 }, 3000);
  expect(renderLines(t.snapshot(3000), 80)).toEqual(['asking the server which files it already stores…']);
  t.apply({ type: 'lookup-done', known: 0, toUpload: [1] }, 3000);
  t.apply({ type: 'upload-start', index: 1, attempt: 1 }, 3000);
  t.apply({ type: 'upload-resume', index: 1, offset: 200 * MiB }, 3100);
  t.apply({ type: 'upload-progress', index: 1, bytes: 220 * MiB, sent: 20 * MiB }, 5000);
  const uploading = t.snapshot(5000);
  expect(uploading.active[0]).toEqual({ action: 'uploading', name: 'b.MP4', bytes: 220 * MiB, size: 300 * MiB, speed: 10 * MiB });
  expect(uploading.overall).toMatchObject({ filesDone: 0, filesTotal: 1, bytesDone: 220 * MiB, bytesTotal: 300 * MiB, speed: 10 * MiB });

  const lines = renderLines(uploading, 100);
  expect(lines).toHaveLength(2);
  // Bars line up whatever the names.
  expect(lines[0].indexOf('[')).toBe(lines[1].indexOf('['));
  expect(lines[0].indexOf(']')).toBe(lines[1].indexOf(']'));
  expect(lines[0]).toMatch(/^uploading  b\.MP4 +\[.*\] +73% +220\.0 MiB \/ 300\.0 MiB +10\.0 MiB\/s +8s left$/);
  expect(lines[0].length).toBe(lines[1].length);
  expect(lines[1]).toMatch(/^overall    upload 0\/1 files +\[.*\]   73%/);
  expect(renderStatusLine(uploading, Date.UTC(2025, 5, 1, 10, 0, 5))).toBe(
    '2025-06-01T10:00:05Z uploading 0/1 files, 220.0 MiB of 300.0 MiB (73%), 10.0 MiB/s, 8s left; b.MP4 73%',
  );
});

test('event lines say what happened', () => {
  const files = [file('a.MP4', 4 * MiB), file('b.MP4', MiB)];
  expect(eventLine({ type: 'scanned', files, ignored: [{ relPath: 'x.mp4', reason: 'symlink leaves the folder' }] }, files)).toBe(
    'found 2 video files, 5.0 MiB; ignored x.mp4 (symlink leaves the folder)',
  );
  expect(eventLine({ type: 'lookup-done', known: 1, toUpload: [0] }, files)).toBe('1 to upload (4.0 MiB), 1 already stored');
  expect(eventLine({ type: 'upload-resume', index: 0, offset: 0 }, files)).toBeNull();
  expect(eventLine({ type: 'upload-resume', index: 0, offset: MiB }, files)).toBe('resuming a.MP4 at 1.0 MiB (25%)');
  expect(eventLine({ type: 'upload-retry', index: 0, attempt: 2, maxAttempts: 4, delayMs: 2000, reason: 'PATCH: ECONNRESET' }, files)).toBe(
    'retrying a.MP4 (attempt 2 of 4) in 2 s: PATCH: ECONNRESET',
  );
  expect(eventLine({ type: 'file-done', index: 0, result: { relPath: 'a.MP4', name: 'a.MP4', size: 4 * MiB, status: 'uploaded', attempts: 1, recordingId: 'r1' } }, files)).toBe(
    'uploaded a.MP4 (4.0 MiB), recording r1',
  );
  expect(eventLine({ type: 'file-done', index: 1, result: { relPath: 'b.MP4', name: 'b.MP4', size: MiB, status: 'failed', attempts: 1, reason: 'PATCH: 422 x' } }, files)).toBe(
    'FAILED b.MP4: PATCH: 422 x',
  );
  expect(eventLine({ type: 'fatal', error: new DockError('auth', 'the server refused the token') }, files)).toBe('stopping: the server refused the token');
  expect(eventLine({ type: 'hash-progress', index: 0, bytes: 1 }, files)).toBeNull();
});

function capture(isTTY: boolean, columns = 80) {
  const writes: string[] = [];
  return { out: { write: (s: string) => writes.push(s), isTTY, columns }, writes };
}

test('a name from the card cannot drive the terminal: control and bidi-override characters are shown as escapes', () => {
  const hostile = 'DSJ\u001b[2J\u001b]0;owned\u0007\r\n\u202eMP4.exe';
  expect(printable(hostile)).toBe('DSJ\\u001b[2J\\u001b]0;owned\\u0007\\u000d\\u000a\\u202eMP4.exe');
  expect(printable('执法_DSJ0001.MP4')).toBe('执法_DSJ0001.MP4');
  const files = [file(hostile, MiB)];
  const lines = [
    eventLine({ type: 'upload-resume', index: 0, offset: 1024 }, files),
    eventLine({ type: 'file-done', index: 0, result: { relPath: hostile, name: hostile, size: MiB, status: 'failed', attempts: 1, reason: `bad\u001b[31m` } }, files),
  ];
  for (const line of lines) {
    expect(line).toContain('DSJ\\u001b[2J');
    expect(line).not.toMatch(/[\u0000-\u001f\u007f\u202e]/);
  }
  const t = tracked([{ type: 'scanned', files, ignored: [] }, { type: 'hash-start', index: 0 }], [0, 0]);
  const rows = renderLines(t.snapshot(0), 100);
  expect(rows.join('\n')).toContain('DSJ\\u001b[');
  expect(rows.join('')).not.toMatch(/[\u0000-\u001f\u202e]/);
});

describe('the view', () => {
  beforeEach(() => jest.useFakeTimers({ now: Date.UTC(2025, 5, 1, 10, 0, 0) }));
  afterEach(() => jest.useRealTimers());

  const files = [file('a.MP4', 10 * MiB), file('b.MP4', 10 * MiB)];

  test('off a terminal: a status line every interval and a line per event, no escape codes', () => {
    const { out, writes } = capture(false);
    const view = new ProgressView(out, { tty: false, intervalMs: 5000 });
    view.start();
    view.handle({ type: 'scanned', files, ignored: [] });
    view.handle({ type: 'hash-start', index: 0 });
    jest.advanceTimersByTime(2000);
    view.handle({ type: 'hash-progress', index: 0, bytes: 5 * MiB });
    expect(writes).toEqual(['found 2 video files, 20.0 MiB\n']);
    jest.advanceTimersByTime(3000);
    expect(writes[1]).toBe('2025-06-01T10:00:05Z hashing 0/2 files, 5.0 MiB of 20.0 MiB (25%), 1.0 MiB/s, 15s left; a.MP4 50%\n');
    view.handle({ type: 'file-done', index: 0, result: { relPath: 'a.MP4', name: 'a.MP4', size: 10 * MiB, status: 'failed', attempts: 0, reason: 'cannot read' } });
    expect(writes[2]).toBe('FAILED a.MP4: cannot read\n');
    jest.advanceTimersByTime(4999);
    expect(writes).toHaveLength(3);
    view.stop();
    jest.advanceTimersByTime(20_000);
    expect(writes).toHaveLength(3);
    expect(writes.join('')).not.toContain('\x1b');
  });

  test('on a terminal: bars redrawn in place, event lines above them', () => {
    const { out, writes } = capture(true, 100);
    const view = new ProgressView(out, { tty: true, redrawMs: 200 });
    view.start();
    view.handle({ type: 'scanned', files, ignored: [] });
    // The event line, then the overall bar.
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/^found 2 video files, 20\.0 MiB\noverall .*\n$/);
    view.handle({ type: 'hash-start', index: 0 });
    view.handle({ type: 'hash-progress', index: 0, bytes: MiB });
    expect(writes).toHaveLength(1);
    jest.advanceTimersByTime(200);
    // Up over the one line drawn, clear, then two bars: the file and the overall one.
    expect(writes[1].startsWith('\x1b[1F\x1b[0J')).toBe(true);
    const lines = writes[1].slice('\x1b[1F\x1b[0J'.length).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^hashing +a\.MP4/);
    expect(lines[1]).toMatch(/^overall/);
    for (const line of lines) expect([...line].length).toBeLessThan(100);
    jest.advanceTimersByTime(1000);
    expect(writes).toHaveLength(2);
    view.handle({ type: 'file-done', index: 0, result: { relPath: 'a.MP4', name: 'a.MP4', size: 10 * MiB, status: 'already-stored', attempts: 0 } });
    expect(writes[2]).toMatch(/^\x1b\[2F\x1b\[0Jalready stored a\.MP4 \(10\.0 MiB\)\n/);
    view.stop();
    expect(writes.at(-1)).toMatch(/^\x1b\[\d+F\x1b\[0J$/);
  });
});
