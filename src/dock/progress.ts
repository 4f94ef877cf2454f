import { formatBytes, formatEta, formatPercent, formatSpeed, padEnd, printable, truncateMiddle } from './format';
import type { ScannedFile } from './scan';
import { STATUS_LABELS, type DockEvent, type DockPhase } from './types';

/**
 * Bytes per second over the last few seconds, so the figure follows a link that slows down or recovers
 * instead of averaging the whole run. Times are passed in, so it is pure and testable.
 */
export class SpeedMeter {
  private samples: { t: number; total: number }[] = [];
  private total = 0;

  constructor(private readonly windowMs = 5000) {}

  /** Marks the start of measuring (a speed needs two points). */
  start(now: number): void {
    if (this.samples.length === 0) this.samples.push({ t: now, total: this.total });
  }

  add(now: number, bytes: number): void {
    this.start(now);
    this.total += bytes;
    this.samples.push({ t: now, total: this.total });
    this.prune(now);
  }

  /** NaN until a second has been measured: an early figure would swing wildly. */
  rate(now: number): number {
    this.prune(now);
    const first = this.samples[0];
    if (!first || now - first.t < 1000) return Number.NaN;
    return ((this.total - first.total) * 1000) / (now - first.t);
  }

  private prune(now: number): void {
    // Keep the last sample at or before the window's start as the baseline.
    while (this.samples.length > 1 && this.samples[1].t <= now - this.windowMs) this.samples.shift();
  }
}

export interface ActiveRow {
  action: 'hashing' | 'uploading';
  name: string;
  bytes: number;
  size: number;
  speed: number;
}

export interface ProgressSnapshot {
  phase: DockPhase;
  active: ActiveRow[];
  overall: { filesDone: number; filesTotal: number; bytesDone: number; bytesTotal: number; speed: number };
}

interface Active {
  action: 'hashing' | 'uploading';
  bytes: number;
  meter: SpeedMeter;
}

/** Folds the run's events into what the display shows. */
export class ProgressTracker {
  phase: DockPhase = 'scan';
  files: ScannedFile[] = [];
  private active = new Map<number, Active>();
  private phaseFiles: number[] = [];
  private finished = new Set<number>();
  private finishedBytes = 0;
  private meter = new SpeedMeter();

  apply(event: DockEvent, now: number): void {
    switch (event.type) {
      case 'scanned':
        this.files = event.files;
        this.enter('hash', now, event.files.map((_, i) => i).filter((i) => event.files[i].size > 0));
        return;
      case 'hash-start':
        this.begin(event.index, 'hashing', now);
        return;
      case 'hash-progress': {
        const a = this.active.get(event.index);
        if (!a) return;
        const delta = Math.max(0, event.bytes - a.bytes);
        a.bytes = event.bytes;
        a.meter.add(now, delta);
        this.meter.add(now, delta);
        return;
      }
      case 'hash-done':
        this.end(event.index);
        return;
      case 'lookup-start':
        this.phase = 'lookup';
        this.active.clear();
        return;
      case 'lookup-done':
        this.enter('upload', now, event.toUpload);
        return;
      case 'upload-start':
        if (!this.active.has(event.index)) this.begin(event.index, 'uploading', now);
        return;
      case 'upload-resume': {
        const a = this.active.get(event.index);
        if (a) a.bytes = event.offset;
        return;
      }
      case 'upload-progress': {
        const a = this.active.get(event.index);
        if (!a) return;
        a.bytes = event.bytes;
        a.meter.add(now, event.sent);
        this.meter.add(now, event.sent);
        return;
      }
      case 'file-done':
        this.end(event.index);
        return;
      case 'done':
        this.phase = 'done';
        this.active.clear();
        return;
      default:
        return;
    }
  }

  snapshot(now: number): ProgressSnapshot {
    const active: ActiveRow[] = [...this.active.entries()]
      .sort(([a], [b]) => a - b)
      .map(([i, a]) => ({ action: a.action, name: printable(this.files[i].name), bytes: a.bytes, size: this.files[i].size, speed: a.meter.rate(now) }));
    const inPhase = this.phaseFiles;
    const bytesTotal = inPhase.reduce((n, i) => n + this.files[i].size, 0);
    const activeBytes = [...this.active.values()].reduce((n, a) => n + a.bytes, 0);
    return {
      phase: this.phase,
      active,
      overall: {
        filesDone: this.finished.size,
        filesTotal: inPhase.length,
        bytesDone: Math.min(bytesTotal, this.finishedBytes + activeBytes),
        bytesTotal,
        speed: this.meter.rate(now),
      },
    };
  }

  private enter(phase: DockPhase, now: number, files: number[]): void {
    this.phase = phase;
    this.phaseFiles = files;
    this.active.clear();
    this.finished.clear();
    this.finishedBytes = 0;
    this.meter = new SpeedMeter();
    this.meter.start(now);
  }

  private begin(index: number, action: Active['action'], now: number): void {
    const meter = new SpeedMeter();
    meter.start(now);
    this.active.set(index, { action, bytes: 0, meter });
  }

  private end(index: number): void {
    this.active.delete(index);
    if (!this.phaseFiles.includes(index) || this.finished.has(index)) return;
    this.finished.add(index);
    this.finishedBytes += this.files[index].size;
  }
}

/** `[=====>    ]`: plain ASCII, because station logs and terminals vary. */
export function renderBar(done: number, total: number, width: number): string {
  const inner = Math.max(1, width - 2);
  const ratio = total > 0 ? Math.min(1, Math.max(0, done / total)) : 1;
  if (ratio >= 1) return `[${'='.repeat(inner)}]`;
  const filled = Math.min(inner - 1, Math.floor(inner * ratio));
  return `[${'='.repeat(filled)}>${' '.repeat(inner - filled - 1)}]`;
}

/**
 * One row: label, name, bar, percent, amounts, speed, time left. The figures always show; the name comes
 * next (the bar shrinks to 10 for it), and when even that does not fit, the bar goes and the name is cut.
 * `nameColumn` is the name width wanted, the same for every row of a frame so the bars line up.
 */
export function renderRow(label: string, name: string, done: number, total: number, speed: number, width: number, nameColumn = [...name].length): string {
  // Fixed widths, so that the bars of a frame end in the same column too.
  const stats =
    `${formatPercent(done, total).padStart(4)}  ${formatBytes(done).padStart(9)} / ${formatBytes(total).padEnd(9)}  ` +
    `${formatSpeed(speed).padStart(11)}  ${formatEta(total - done, speed).padStart(5)} left`;
  const head = padEnd(label, 10);
  const room = width - 1 - head.length - stats.length - 4;
  let barWidth = Math.max(10, Math.min(30, room - Math.max(8, nameColumn)));
  let nameWidth = room - barWidth;
  if (nameWidth < 8) {
    barWidth = 0;
    nameWidth = room + 1;
  }
  nameWidth = Math.max(8, nameWidth);
  const bar = barWidth > 0 ? ` ${renderBar(done, total, barWidth)}` : '';
  const line = `${head} ${padEnd(truncateMiddle(name, nameWidth), nameWidth)}${bar}  ${stats}`;
  return truncateMiddle(line, width - 1);
}

const PHASE_LABEL: Record<DockPhase, string> = { scan: 'scan', hash: 'hash', lookup: 'lookup', upload: 'upload', done: 'done' };

/** The lines a terminal shows in place: one per file in progress, then the overall one. */
export function renderLines(snapshot: ProgressSnapshot, width: number): string[] {
  const { phase, overall } = snapshot;
  if (phase === 'scan') return [truncateMiddle('looking for video files…', width - 1)];
  if (phase === 'lookup') return [truncateMiddle('asking the server which files it already stores…', width - 1)];
  if (phase === 'done') return [];
  const label = `${PHASE_LABEL[phase]} ${overall.filesDone}/${overall.filesTotal} files`;
  const column = Math.max([...label].length, ...snapshot.active.map((row) => [...row.name].length));
  const lines = snapshot.active.map((row) => renderRow(row.action, row.name, row.bytes, row.size, row.speed, width, column));
  lines.push(renderRow('overall', label, overall.bytesDone, overall.bytesTotal, overall.speed, width, column));
  return lines;
}

/** One line for a log that is not a terminal: a station's log file stays readable. */
export function renderStatusLine(snapshot: ProgressSnapshot, now: number): string | null {
  const { phase, overall } = snapshot;
  if (phase !== 'hash' && phase !== 'upload') return null;
  const files = snapshot.active.map((row) => `${row.name} ${formatPercent(row.bytes, row.size)}`).join(', ');
  return (
    `${new Date(now).toISOString().slice(0, 19)}Z ${phase === 'hash' ? 'hashing' : 'uploading'} ` +
    `${overall.filesDone}/${overall.filesTotal} files, ${formatBytes(overall.bytesDone)} of ${formatBytes(overall.bytesTotal)} ` +
    `(${formatPercent(overall.bytesDone, overall.bytesTotal)}), ${formatSpeed(overall.speed)}, ${formatEta(overall.bytesTotal - overall.bytesDone, overall.speed)} left` +
    (files ? `; ${files}` : '')
  );
}

/** The lines worth keeping in the scroll-back (or log): what happened, not how far along it is. */
export function eventLine(event: DockEvent, files: readonly ScannedFile[]): string | null {
  const line = eventText(event, files);
  return line === null ? null : printable(line);
}

function eventText(event: DockEvent, files: readonly ScannedFile[]): string | null {
  switch (event.type) {
    case 'scanned': {
      const bytes = event.files.reduce((n, f) => n + f.size, 0);
      const ignored = event.ignored.length ? `; ignored ${event.ignored.map((e) => `${e.relPath} (${e.reason})`).join(', ')}` : '';
      return `found ${event.files.length} video file${event.files.length === 1 ? '' : 's'}, ${formatBytes(bytes)}${ignored}`;
    }
    case 'lookup-done': {
      const bytes = event.toUpload.reduce((n, i) => n + files[i].size, 0);
      return `${event.toUpload.length} to upload (${formatBytes(bytes)}), ${event.known} already stored`;
    }
    case 'upload-resume':
      return event.offset > 0 ? `resuming ${files[event.index].name} at ${formatBytes(event.offset)} (${formatPercent(event.offset, files[event.index].size)})` : null;
    case 'upload-retry':
      return `retrying ${files[event.index].name} (attempt ${event.attempt} of ${event.maxAttempts}) in ${Math.round(event.delayMs / 100) / 10} s: ${event.reason}`;
    case 'file-done': {
      const r = event.result;
      const label = STATUS_LABELS[r.status];
      if (r.status === 'failed') return `${label} ${r.relPath}: ${r.reason ?? ''}`;
      return `${label} ${r.relPath} (${formatBytes(r.size)})${r.recordingId ? `, recording ${r.recordingId}` : ''}`;
    }
    case 'fatal':
      return `stopping: ${event.error.message}`;
    default:
      return null;
  }
}

export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ViewOptions {
  /** Redraw in place with ANSI cursor movement; otherwise print status lines. */
  tty: boolean;
  /** Non-TTY: how often to print a status line. */
  intervalMs?: number;
  /** TTY: how often to redraw at most. */
  redrawMs?: number;
  now?: () => number;
}

/**
 * Writes the progress to stderr. On a terminal the bars stay at the bottom and are redrawn in place, with
 * event lines scrolling above them; elsewhere (a station's log) a status line every few seconds and a
 * line per event.
 */
export class ProgressView {
  private readonly tracker = new ProgressTracker();
  private readonly now: () => number;
  private drawn = 0;
  private pending: string[] = [];
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly out: ProgressOutput,
    private readonly options: ViewOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    const every = this.options.tty ? (this.options.redrawMs ?? 200) : (this.options.intervalMs ?? 5000);
    this.timer = setInterval(() => this.tick(), every);
    this.timer.unref();
  }

  handle(event: DockEvent): void {
    this.tracker.apply(event, this.now());
    const line = eventLine(event, this.tracker.files);
    if (line !== null) this.log(line);
    else this.dirty = true;
  }

  /** A line that stays (a warning, an event): above the bars on a terminal. */
  log(line: string): void {
    if (this.options.tty) {
      this.pending.push(line);
      this.draw();
    } else {
      this.out.write(`${line}\n`);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.options.tty) this.draw(true);
  }

  private tick(): void {
    if (this.options.tty) {
      if (this.dirty) this.draw();
      return;
    }
    const line = renderStatusLine(this.tracker.snapshot(this.now()), this.now());
    if (line) this.out.write(`${line}\n`);
  }

  private draw(final = false): void {
    const width = Math.max(40, this.out.columns ?? 80);
    const bars = final ? [] : renderLines(this.tracker.snapshot(this.now()), width);
    // Back to the first bar line, clear to the end of the screen, then events and the fresh bars.
    let text = this.drawn > 0 ? `\x1b[${this.drawn}F\x1b[0J` : '';
    for (const line of this.pending) text += `${line}\n`;
    for (const line of bars) text += `${line}\n`;
    this.pending = [];
    this.drawn = bars.length;
    this.dirty = false;
    if (text) this.out.write(text);
  }
}
