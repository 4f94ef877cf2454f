import type { AuthUser } from '../auth/tokens';

/** Metadata a client may send with a file (multipart text fields, or tus Upload-Metadata). */
export const INGEST_FIELDS = ['recorderSerial', 'badgeNo', 'startedAt', 'important', 'dockedAt', 'sha256'] as const;
export type IngestField = (typeof INGEST_FIELDS)[number];
export type IngestFields = Partial<Record<IngestField, string>>;

/** Who is uploading, how, and when the request began. */
export interface Uploader {
  user: AuthUser;
  method: 'multipart' | 'tus';
  receivedAt: Date;
}

/** One file of an ingest, as API.md returns it. */
export interface IngestedRecording {
  id: string;
  sha256: string;
  size: number;
  filename: string;
  status: string;
  recorderSerial: string;
  badgeNo: string;
  startedAt: string;
  important: boolean;
  duplicate: boolean;
}
