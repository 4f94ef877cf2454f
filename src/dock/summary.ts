import type { FailureKind } from './errors';
import { formatBytes, formatDuration, formatSpeed, padEnd, printable } from './format';
import type { DockResult } from './run';
import { STATUS_LABELS, type FileResult, type FileStatus } from './types';

/** Exit codes a station script acts on (also in the usage text). */
export const EXIT = {
  /** Every file is on the server, its hash verified (with --dry-run: every file was checked). */
  ok: 0,
  /** Some files failed: the summary says which and why. */
  failed: 1,
  usage: 2,
  /** The server could not be reached or was unavailable, or it refused the token: nothing more could be done. */
  server: 3,
  interrupted: 130,
} as const;

/** Failures that say "the server", not "this file": when they are all there is, the station should retry later. */
const SERVER_SIDE: ReadonlySet<FailureKind> = new Set(['network', 'server', 'auth']);

export function exitCodeOf(result: DockResult): number {
  if (result.interrupted) return EXIT.interrupted;
  if (result.fatal) return EXIT.server;
  const failed = result.files.filter((f) => f.status === 'failed');
  if (failed.length === 0) return EXIT.ok;
  return failed.every((f) => f.failure !== undefined && SERVER_SIDE.has(f.failure)) ? EXIT.server : EXIT.failed;
}

export interface SummaryContext {
  folder: string;
  server: string;
  dockedAt: Date;
  dryRun: boolean;
}

export type Totals = Record<FileStatus, number> & { files: number };

export function totalsOf(files: readonly FileResult[]): Totals {
  const totals: Totals = { files: files.length, uploaded: 0, duplicate: 0, 'already-stored': 0, 'would-upload': 0, empty: 0, failed: 0 };
  for (const f of files) totals[f.status]++;
  return totals;
}

function meanSpeed(result: DockResult): number {
  if (result.uploadStartedAt === undefined || result.uploadFinishedAt === undefined) return 0;
  const seconds = (result.uploadFinishedAt - result.uploadStartedAt) / 1000;
  return seconds > 0 ? result.bytesSent / seconds : 0;
}

function distinct(values: (string | undefined)[]): string[] {
  return [...new Set(values.filter((v): v is string => Boolean(v)))].sort();
}

/** The summary as `--json` prints it: one object a station script can read. */
export function jsonSummary(result: DockResult, ctx: SummaryContext) {
  const totals = totalsOf(result.files);
  const exitCode = exitCodeOf(result);
  const sum = (pick: (f: FileResult) => boolean): number => result.files.filter(pick).reduce((n, f) => n + f.size, 0);
  return {
    exitCode,
    folder: ctx.folder,
    server: ctx.server,
    dockedAt: ctx.dockedAt.toISOString(),
    dryRun: ctx.dryRun,
    startedAt: new Date(result.startedAt).toISOString(),
    finishedAt: new Date(result.finishedAt).toISOString(),
    elapsedMs: result.finishedAt - result.startedAt,
    recorderSerials: distinct(result.files.map((f) => f.recorderSerial)),
    badgeNos: distinct(result.files.map((f) => f.badgeNo)),
    totals: {
      files: totals.files,
      uploaded: totals.uploaded,
      duplicate: totals.duplicate,
      alreadyStored: totals['already-stored'],
      wouldUpload: totals['would-upload'],
      empty: totals.empty,
      failed: totals.failed,
    },
    bytes: {
      total: sum(() => true),
      hashed: result.bytesHashed,
      sent: result.bytesSent,
      stored: sum((f) => f.status === 'uploaded' || f.status === 'duplicate' || f.status === 'already-stored'),
    },
    meanUploadBytesPerSecond: Math.round(meanSpeed(result)),
    error: result.fatal ? { kind: result.fatal.kind, message: result.fatal.message } : null,
    interrupted: result.interrupted,
    files: result.files.map((f) => ({
      path: f.relPath,
      size: f.size,
      sha256: f.sha256 ?? null,
      status: f.status,
      recordingId: f.recordingId ?? null,
      reason: f.reason ?? null,
      failure: f.failure ?? null,
      attempts: f.attempts,
      recorderSerial: f.recorderSerial ?? null,
      badgeNo: f.badgeNo ?? null,
    })),
    ignored: result.ignored,
  };
}

const EXIT_MEANING: Record<number, string> = {
  [EXIT.ok]: 'everything is stored and verified',
  [EXIT.failed]: 'some files failed; fix the cause and dock again (finished files are not sent twice)',
  [EXIT.server]: 'the server could not be used; check the network, the server and the token, then dock again',
  [EXIT.interrupted]: 'interrupted; dock again to resume',
};

/** The summary for people: one line a file, then totals, then what the exit code means. */
export function renderSummary(result: DockResult, ctx: SummaryContext): string[] {
  const totals = totalsOf(result.files);
  const exitCode = exitCodeOf(result);
  const lines: string[] = [];
  const who = [
    distinct(result.files.map((f) => f.recorderSerial)).join(', '),
    distinct(result.files.map((f) => f.badgeNo)).join(', '),
  ];
  lines.push(
    `${ctx.dryRun ? 'Dry run: ' : ''}docked ${ctx.folder} at ${ctx.dockedAt.toISOString()} to ${ctx.server}` +
      (who[0] || who[1] ? ` (recorder ${who[0] || '?'}, officer ${who[1] || '?'})` : ''),
  );
  const labelWidth = Math.max(...Object.values(STATUS_LABELS).map((l) => l.length));
  const nameWidth = Math.min(60, Math.max(0, ...result.files.map((f) => [...f.relPath].length)));
  for (const f of result.files) {
    let tail = '';
    if (f.status === 'failed') tail = `  ${f.reason ?? ''}`;
    else if (f.recordingId) tail = `  recording ${f.recordingId}`;
    lines.push(`  ${padEnd(STATUS_LABELS[f.status], labelWidth)}  ${padEnd(f.relPath, nameWidth)}  ${formatBytes(f.size).padStart(10)}${tail}`);
  }
  for (const entry of result.ignored) lines.push(`  ${padEnd('ignored', labelWidth)}  ${entry.relPath}: ${entry.reason}`);
  if (result.files.length === 0) lines.push('  no video files found');

  const counts = (
    [
      ['uploaded', totals.uploaded],
      ['already stored', totals['already-stored']],
      ['duplicate', totals.duplicate],
      ['to upload', totals['would-upload']],
      ['empty', totals.empty],
      ['failed', totals.failed],
    ] as const
  )
    .filter(([, n]) => n > 0)
    .map(([label, n]) => `${n} ${label}`);
  lines.push(`${totals.files} file${totals.files === 1 ? '' : 's'}${counts.length ? `: ${counts.join(', ')}` : ''}`);
  const total = result.files.reduce((n, f) => n + f.size, 0);
  const elapsed = formatDuration(result.finishedAt - result.startedAt);
  lines.push(
    ctx.dryRun || result.uploadStartedAt === undefined
      ? `${formatBytes(total)} in all, ${formatBytes(result.bytesHashed)} hashed, nothing sent, in ${elapsed}`
      : `${formatBytes(result.bytesSent)} sent of ${formatBytes(total)} in all, in ${elapsed} (uploads at ${formatSpeed(meanSpeed(result))} on average)`,
  );
  if (result.fatal) lines.push(`stopped: ${result.fatal.message}`);
  lines.push(`exit ${exitCode}: ${EXIT_MEANING[exitCode] ?? ''}`);
  return lines.map(printable);
}
