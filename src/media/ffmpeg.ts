import { execFile } from 'node:child_process';
import path from 'node:path';
import ffmpeg from 'fluent-ffmpeg';
import { projectRoot } from '../paths';
import type { Logger } from '../logger';
import { commandLine, type FfmpegCommand } from './command';
import { ffprobeArgs } from './probe';

// ffmpeg and ffprobe run through wrappers that make the kernel kill them when their worker dies (bin/).
const FFMPEG = path.join(projectRoot(), 'src', 'media', 'bin', 'ffmpeg');
const FFPROBE = path.join(projectRoot(), 'src', 'media', 'bin', 'ffprobe');

/** Why a run of ffmpeg or ffprobe ended without a result. */
export type FfmpegFailure = 'failed' | 'timeout' | 'aborted';

/**
 * A presigned URL of an original (the S3 store's input to ffmpeg) opens it to anyone who holds it until it
 * expires: its signature never goes into a log, an error or a recording's status reason.
 */
export function redactSignatures(text: string): string {
  return text.replace(/(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s'"]+/gi, '$1REDACTED');
}

export class FfmpegError extends Error {
  readonly commandLine: string;
  /** The last lines ffmpeg wrote to stderr. */
  readonly stderr: string;

  constructor(
    message: string,
    readonly failure: FfmpegFailure,
    commandLine: string,
    stderr: string,
  ) {
    super(redactSignatures(message));
    this.name = 'FfmpegError';
    this.commandLine = redactSignatures(commandLine);
    this.stderr = redactSignatures(stderr);
  }

  /** The most telling line of stderr: the last one that is not progress or a summary. */
  get detail(): string {
    const lines = this.stderr
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !/^(frame=|size=|video:|\[out#|Conversion failed!$|Exiting normally)/.test(l));
    return lines.at(-1) ?? this.message;
  }
}

export interface RunOptions {
  logger: Logger;
  /** ffmpeg is killed (SIGKILL) after this many seconds. */
  timeoutS: number;
  /** Aborting kills ffmpeg at once (a worker handing its job back). */
  signal?: AbortSignal;
  /** Length of the input, to turn ffmpeg's `time=` into a fraction. */
  durationS?: number | null;
  onProgress?: (fraction: number) => void;
}

/** `time=00:01:02.50` on an ffmpeg progress line → 62.5 seconds; null on other lines. */
export function progressSeconds(line: string): number | null {
  const m = /time=\s*(-?)(\d+):(\d{2}):(\d{2}(?:\.\d+)?)/.exec(line);
  if (!m || m[1]) return null;
  return Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
}

/**
 * Runs one ffmpeg command through fluent-ffmpeg. The whole command line and ffmpeg's last stderr lines are
 * logged on failure, and travel in the FfmpegError, so the queue's record of the failure says what ran.
 */
export function runFfmpeg(c: FfmpegCommand, opts: RunOptions): Promise<void> {
  const line = redactSignatures(commandLine(c));
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(new FfmpegError('ffmpeg not started: aborted', 'aborted', line, ''));
    // stdoutLines bounds the stderr kept in memory; progress is read from stderr here rather than from
    // fluent-ffmpeg's 'progress' event, which runs an extra ffprobe of the input to learn its duration.
    const proc = ffmpeg({ timeout: opts.timeoutS, stdoutLines: 60 }).setFfmpegPath(FFMPEG);
    for (const input of c.inputs) proc.input(input.source).inputOptions(input.options);
    proc.output(c.output).outputOptions(c.outputOptions);
    let failure: FfmpegFailure = 'failed';
    const abort = () => {
      failure = 'aborted';
      proc.kill('SIGKILL');
    };
    opts.signal?.addEventListener('abort', abort, { once: true });
    let lastReport = 0;
    if (opts.onProgress && opts.durationS) {
      const duration = opts.durationS;
      proc.on('stderr', (text: string) => {
        const s = progressSeconds(text);
        const now = Date.now();
        if (s === null || now - lastReport < 1000) return;
        lastReport = now;
        opts.onProgress!(Math.max(0, Math.min(1, s / duration)));
      });
    }
    proc.on('start', () => opts.logger.debug({ cmd: line }, 'ffmpeg started'));
    proc.on('end', () => {
      opts.signal?.removeEventListener('abort', abort);
      resolve();
    });
    proc.on('error', (err: Error, _stdout: string | null, stderr: string | null) => {
      opts.signal?.removeEventListener('abort', abort);
      if (/timeout/.test(err.message)) failure = 'timeout';
      const error = new FfmpegError(
        failure === 'timeout' ? `ffmpeg killed after ${opts.timeoutS} s` : failure === 'aborted' ? 'ffmpeg stopped: job handed back' : err.message,
        failure,
        line,
        stderr ?? '',
      );
      if (failure !== 'aborted') opts.logger.warn({ cmd: line, stderr: error.stderr, failure }, 'ffmpeg failed');
      reject(error);
    });
    proc.run();
  });
}

/** Runs ffprobe and returns its JSON text. */
export function runFfprobe(input: string, opts: Omit<RunOptions, 'durationS' | 'onProgress'>): Promise<string> {
  const args = ffprobeArgs(input);
  const line = redactSignatures(['ffprobe', ...args].join(' '));
  return new Promise((resolve, reject) => {
    execFile(FFPROBE, args, { timeout: opts.timeoutS * 1000, killSignal: 'SIGKILL', signal: opts.signal, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const e = err as Error & { killed?: boolean; code?: unknown };
      const failure: FfmpegFailure = e.name === 'AbortError' ? 'aborted' : e.killed ? 'timeout' : 'failed';
      const error = new FfmpegError(failure === 'timeout' ? `ffprobe killed after ${opts.timeoutS} s` : `ffprobe failed (exit ${String(e.code)})`, failure, line, stderr);
      if (failure !== 'aborted') opts.logger.warn({ cmd: line, stderr: error.stderr, failure }, 'ffprobe failed');
      reject(error);
    });
  });
}

