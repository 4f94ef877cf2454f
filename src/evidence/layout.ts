import type { CustodyEvent } from '../custody/log';

/** What a case export package holds besides the originals (API.md); the manifest is the archive's last entry. */
export const MANIFEST_PATH = 'manifest.json';
export const CUSTODY_PATH = 'custody.json';
export const ORIGINALS_DIR = 'originals/';

export interface ManifestFile {
  path: string;
  recordingId: string;
  sha256: string;
  size: number;
}

/** `manifest.json`: what the package holds, and the custody head once its own export events were written. */
export interface Manifest {
  caseNo: string;
  exportedAt: string;
  exportedBy: string;
  custodyHead: string;
  files: ManifestFile[];
  /** Linked recordings whose bytes retention has removed: listed, not packed. */
  deleted: { recordingId: string; sha256: string }[];
}

/** `custody.json`: the case's events (about the case and the footage linked to it), oldest first. */
export interface CustodyDocument {
  caseNo: string;
  targets: string[];
  events: CustodyEvent[];
}
