import type { DockError, FailureKind } from './errors';
import type { IgnoredEntry, ScannedFile } from './scan';

/**
 * - uploaded: sent in this run, the server's hash matches ours
 * - duplicate: sent, and the server already had the same content under another upload (a race with
 *   another station, or the same footage twice on the recorder)
 * - already-stored: the server knew the hash before we started; nothing was sent
 * - would-upload: --dry-run, not stored yet
 * - empty: a zero-byte file (a recording the device never finished): nothing to store
 * - failed: see `reason`
 */
export type FileStatus = 'uploaded' | 'duplicate' | 'already-stored' | 'would-upload' | 'empty' | 'failed';

export const STATUS_LABELS: Record<FileStatus, string> = {
  uploaded: 'uploaded',
  duplicate: 'duplicate',
  'already-stored': 'already stored',
  'would-upload': 'to upload',
  empty: 'empty, skipped',
  failed: 'FAILED',
};

export interface FileResult {
  relPath: string;
  name: string;
  size: number;
  sha256?: string;
  status: FileStatus;
  recordingId?: string;
  reason?: string;
  failure?: FailureKind;
  /** Upload attempts made in this run (0 when nothing was sent). */
  attempts: number;
  recorderSerial?: string;
  badgeNo?: string;
}

export type DockPhase = 'scan' | 'hash' | 'lookup' | 'upload' | 'done';

/** What the run reports as it goes; the progress display is built from these alone. */
export type DockEvent =
  | { type: 'scanned'; files: ScannedFile[]; ignored: IgnoredEntry[] }
  | { type: 'hash-start'; index: number }
  | { type: 'hash-progress'; index: number; bytes: number }
  | { type: 'hash-done'; index: number; sha256: string }
  | { type: 'lookup-start'; hashes: number }
  /** `known`: files found already stored; `toUpload`: indexes of the files to send. */
  | { type: 'lookup-done'; known: number; toUpload: number[] }
  | { type: 'upload-start'; index: number; attempt: number }
  | { type: 'upload-resume'; index: number; offset: number }
  /** `bytes`: position in the file; `sent`: bytes newly sent since the last report (what speed is made of). */
  | { type: 'upload-progress'; index: number; bytes: number; sent: number }
  | { type: 'upload-retry'; index: number; attempt: number; maxAttempts: number; delayMs: number; reason: string }
  | { type: 'file-done'; index: number; result: FileResult }
  | { type: 'fatal'; error: DockError }
  | { type: 'done' };
