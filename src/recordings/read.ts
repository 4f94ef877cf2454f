import type { Db } from '../db/pool';
import type { AuthUser } from '../auth/tokens';
import type { Reach } from '../auth/roles';
import { AppError, notFound } from '../errors';
import { iso } from '../time';
import { UUID } from '../directory/identifiers';
import type { ProxyRecord, ThumbnailRecord } from './processing';
import type { Note } from '../retention/marks';
import { inspectsRecording } from '../compliance/inspector-access';

/** API.md: `deleted` is a tombstone, the bytes gone and the record kept. */
export const RECORDING_STATUSES = ['received', 'processing', 'ready', 'unplayable', 'deleted'] as const;

export interface RecordingDetail {
  id: string;
  sha256: string;
  size: number;
  filename: string;
  container: string;
  recorderSerial: string;
  badgeNo: string;
  /** The officer's unit when the recording began. */
  unitCode: string | null;
  startedAt: string;
  endedAt: string | null;
  durationS: number | null;
  seq: number | null;
  dockedAt: string;
  ingestedAt: string;
  status: string;
  statusReason: string | null;
  progress: number | null;
  media: unknown;
  /** How it plays: the proxy served and the thumbnails, once the pipeline has made them. */
  playback: Playback | null;
  important: boolean;
  /** Who marked or unmarked it important by hand, when and why (null: as the recorder flagged it). */
  importantNote: Note | null;
  /** The cases it is linked to, and how. */
  cases: { caseNo: string; source: 'auto' | 'manual' }[];
  /** Kept until then (null: permanently); a legal hold stops deletion whatever the date. */
  retainUntil: string | null;
  hold: Note | null;
  deletedAt: string | null;
}

export interface Playback {
  proxy: { kind: ProxyRecord['kind']; reason: string } | null;
  poster: boolean;
  sprite: Omit<NonNullable<ThumbnailRecord['sprite']>, 'key' | 'size'> | null;
  thumbnailsError?: string;
}

/** Where the bytes are: for the serving routes, never sent to clients. */
export interface StoredParts {
  objectKey: string;
  proxy: ProxyRecord | null;
  thumbnails: ThumbnailRecord | null;
}

/** How a recording plays, for its page and the list: what the proxy is and which thumbnails exist. */
export function playbackOf(proxy: ProxyRecord | null, thumbnails: ThumbnailRecord | null): Playback | null {
  if (!proxy && !thumbnails) return null;
  const sprite = thumbnails?.sprite ? (({ key: _k, size: _s, ...geometry }) => geometry)(thumbnails.sprite) : null;
  return {
    proxy: proxy ? { kind: proxy.kind, reason: proxy.reason } : null,
    poster: !!thumbnails?.poster,
    sprite,
    ...(thumbnails?.error ? { thumbnailsError: thumbnails.error } : {}),
  };
}

interface Row extends Omit<RecordingDetail, 'startedAt' | 'endedAt' | 'dockedAt' | 'ingestedAt' | 'playback' | 'retainUntil' | 'deletedAt'>, StoredParts {
  officerId: number;
  unitId: number | null;
  startedAt: Date;
  endedAt: Date | null;
  dockedAt: Date;
  ingestedAt: Date;
  retainUntil: Date | null;
  deletedAt: Date | null;
}

export async function getRecording(
  db: Db,
  id: string,
): Promise<(RecordingDetail & { officerId: number; unitId: number | null; stored: StoredParts }) | null> {
  if (!UUID.test(id)) return null;
  const { rows } = await db.query<Row>(
    `SELECT r.id, r.sha256, r.size, r.filename, r.container, rc.serial AS "recorderSerial", o.badge_no AS "badgeNo",
            r.officer_id AS "officerId", ou.unit_id AS "unitId", un.code AS "unitCode",
            r.started_at AS "startedAt", r.ended_at AS "endedAt", r.duration_s AS "durationS", r.seq,
            r.docked_at AS "dockedAt", r.ingested_at AS "ingestedAt", r.status, r.status_reason AS "statusReason",
            r.progress, r.media, r.important, r.important_note AS "importantNote", r.object_key AS "objectKey", r.proxy, r.thumbnails,
            r.retain_until AS "retainUntil", r.hold, r.deleted_at AS "deletedAt",
            (SELECT coalesce(json_agg(json_build_object('caseNo', c.case_no, 'source', l.source) ORDER BY c.case_no), '[]')
               FROM case_links l JOIN cases c ON c.id = l.case_id WHERE l.recording_id = r.id) AS cases
       FROM recordings r
       JOIN recorders rc ON rc.id = r.recorder_id
       JOIN officers o ON o.id = r.officer_id
       LEFT JOIN officer_units ou ON ou.officer_id = r.officer_id AND ou.valid @> r.started_at
       LEFT JOIN units un ON un.id = ou.unit_id
      WHERE r.id = $1`,
    [id],
  );
  const row = rows[0];
  if (!row) return null;
  const { objectKey, proxy, thumbnails, ...rest } = row;
  return {
    ...rest,
    startedAt: iso(row.startedAt)!,
    endedAt: iso(row.endedAt),
    dockedAt: iso(row.dockedAt)!,
    ingestedAt: iso(row.ingestedAt)!,
    retainUntil: iso(row.retainUntil),
    deletedAt: iso(row.deletedAt),
    playback: playbackOf(proxy, thumbnails),
    stored: { objectKey, proxy, thumbnails },
  };
}

/**
 * Whether a caller may see a recording: the whole bureau, their unit (the officer's unit when the
 * recording began), or their own footage, as their permission's reach says.
 */
export function maySee(user: AuthUser, reach: Reach, rec: { officerId: number; unitId: number | null }): boolean {
  if (reach === 'all') return true;
  if (reach === 'own') return user.officerId !== null && user.officerId === rec.officerId;
  return user.unitId === null || user.unitId === rec.unitId;
}

/**
 * The recording a caller asks for, if their role's reach covers it (or they inspect a spot-check item whose
 * footage it is): 404 (or `missing`) when there is none, 403 when it is outside their scope.
 */
export async function recordingFor(
  db: Db,
  user: AuthUser,
  reach: Reach,
  id: string,
  missing: AppError = notFound(`recording ${id}`),
  // An inspector's exception is for reading: it lets them watch, not link or mark another unit's footage.
  access: 'read' | 'write' = 'read',
) {
  const rec = await getRecording(db, id);
  if (!rec) throw missing;
  if (!maySee(user, reach, rec) && !(access === 'read' && reach === 'scope' && (await inspectsRecording(db, user.username, rec.id)))) {
    throw new AppError(403, 'out_of_scope', 'that recording is outside your scope');
  }
  return rec;
}
