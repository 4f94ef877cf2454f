// The shapes the evidence pages read from the API (src/recordings/read.ts, src/cases/cases.ts,
// src/cases/list.ts, src/recordings/list.ts, src/custody/read.ts), as far as the pages use them.
import type { SpriteGeometry } from './sprite';
import type { TimelineActivity, TimelineRecording } from './evidence-timeline-layout';

/** Who set a mark or hold, when and why. */
export interface Note {
  by: string;
  at: string;
  reason: string;
}

export interface Playback {
  proxy: { kind: 'original' | 'remux' | 'transcode'; reason: string } | null;
  poster: boolean;
  sprite: SpriteGeometry | null;
  thumbnailsError?: string;
}

/** GET /api/recordings/{id} */
export interface RecordingDetail {
  id: string;
  sha256: string;
  size: number;
  filename: string;
  recorderSerial: string;
  badgeNo: string;
  unitCode: string | null;
  startedAt: string;
  endedAt: string | null;
  durationS: number | null;
  dockedAt: string;
  ingestedAt: string;
  status: string;
  statusReason: string | null;
  progress: number | null;
  playback: Playback | null;
  important: boolean;
  importantNote: Note | null;
  cases: { caseNo: string; source: 'auto' | 'manual' }[];
  retainUntil: string | null;
  hold: Note | null;
  deletedAt: string | null;
}

/** An item of GET /api/recordings */
export type RecordingSummary = Pick<
  RecordingDetail,
  'id' | 'sha256' | 'size' | 'filename' | 'recorderSerial' | 'badgeNo' | 'unitCode' | 'startedAt' | 'endedAt' | 'durationS' | 'dockedAt' | 'status' | 'progress' | 'playback' | 'important' | 'retainUntil'
> & { caseNos: string[] };

export interface CaseActivity extends TimelineActivity {
  location: string | null;
}

export interface LinkedRecording extends TimelineRecording {
  link: { source: 'auto' | 'manual'; reason: string | null; by: string | null; at: string };
}

/** GET /api/cases/{caseNo} */
export interface CaseDetail {
  caseNo: string;
  title: string | null;
  kind: string;
  status: string;
  unitCode: string;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  hold: Note | null;
  activities: CaseActivity[];
  recordings: LinkedRecording[];
}

/** An item of GET /api/cases */
export interface CaseSummary {
  caseNo: string;
  title: string | null;
  kind: string;
  status: string;
  unitCode: string;
  activityCount: number;
  recordingCount: number;
  firstActivityAt: string | null;
  lastActivityAt: string | null;
  hold: boolean;
}

/** An item of GET /api/custody */
export interface CustodyEvent {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  detail: Record<string, unknown> | null;
  prevHash: string;
  hash: string;
}

/** The address of a case page (case numbers hold 〔〕 and other characters that need encoding). */
export const casePath = (caseNo: string, recordingId?: string) =>
  `/cases/${encodeURIComponent(caseNo)}${recordingId ? `?recording=${encodeURIComponent(recordingId)}` : ''}`;

export const recordingPath = (id: string) => `/recordings/${encodeURIComponent(id)}`;

export const recordingApi = (id: string) => `/api/recordings/${encodeURIComponent(id)}`;
