import type { Db, Pool } from '../db/pool';
import { inTransaction } from '../db/pool';
import type { MediaInfo } from '../media/probe';
import type { SpriteLayout } from '../media/thumbnails';
import { enqueue } from '../queue/outbox';
import { enqueueLink } from '../cases/autolink';
import { jobId } from '../queue/jobs';

/** The stages a probe may leave for other jobs; the recording is ready when none is pending. */
export type Stage = 'proxy' | 'thumbnails';

/** What the proxy endpoint serves: the original itself, or a derived file. */
export type ProxyRecord =
  | { kind: 'original'; reason: string }
  | { kind: 'remux' | 'transcode'; reason: string; key: string; size: number; madeAt: string };

export interface ThumbnailRecord {
  poster: { key: string; size: number } | null;
  sprite: ({ key: string; size: number } & Omit<SpriteLayout, 'times'>) | null;
  /** Why there are none, when ffmpeg could not make them (the recording may still play). */
  error?: string;
}

export interface ProcessingRow {
  id: string;
  objectKey: string;
  status: string;
  startedAt: Date;
  media: MediaInfo | null;
  proxy: ProxyRecord | null;
  thumbnails: ThumbnailRecord | null;
  pending: Stage[];
}

export async function loadForProcessing(db: Db, id: string): Promise<ProcessingRow | null> {
  const { rows } = await db.query<ProcessingRow>(
    `SELECT id, object_key AS "objectKey", status, started_at AS "startedAt", media, proxy, thumbnails, pending
       FROM recordings WHERE id = $1`,
    [id],
  );
  return rows[0] ?? null;
}

/** A probe run begins: what was served stays served until this run replaces it. */
export async function markProcessing(db: Db, id: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE recordings SET status = 'processing', status_reason = NULL, progress = 0, pending = '{}'
      WHERE id = $1 AND status <> 'deleted'`,
    [id],
  );
  return rowCount === 1;
}

/**
 * Stores what ffprobe found, the end time it implies, and the stages still to run. The first stage's job is
 * written to the outbox in the same transaction: thumbnails of a file that plays as it is, else the proxy,
 * whose job queues the thumbnails once the proxy exists (they are then made from the proxy: a seekable
 * H.264 file, where seeking in the original, e.g. H.265 with open GOPs, can mean decoding from the start).
 * With nothing pending the recording is ready at once.
 */
export async function saveProbe(pool: Pool, id: string, media: MediaInfo, proxy: ProxyRecord | null, pending: Stage[]): Promise<void> {
  await inTransaction(pool, async (client) => {
    const ready = pending.length === 0;
    await client.query(
      `UPDATE recordings
          SET media = $2, duration_s = $3::double precision,
              ended_at = CASE WHEN $3::double precision IS NULL THEN NULL ELSE started_at + make_interval(secs => $3::double precision) END,
              proxy = COALESCE($4, proxy), pending = $5,
              status = CASE WHEN $6 THEN 'ready' ELSE 'processing' END,
              progress = CASE WHEN $6 THEN 1 ELSE 0 END,
              processed_at = CASE WHEN $6 THEN now() ELSE processed_at END
        WHERE id = $1 AND status <> 'deleted'`,
      [id, JSON.stringify(media), media.durationS, proxy ? JSON.stringify(proxy) : null, pending, ready],
    );
    const first = pending.includes('proxy') ? 'proxy' : pending[0];
    if (first) await enqueueStage(client, first, id);
    // Its end is known now: the cases it belongs to may change.
    await enqueueLink(client, id);
  });
}

// A stage's job replaces the one of an earlier run that BullMQ still remembers under the same id (it would
// swallow the new one); in a first run there is none, so this costs nothing.
const enqueueStage = (db: Db, stage: Stage, id: string) => enqueue(db, stage, jobId(stage, id), { recordingId: id }, { replace: true });

/**
 * A stage finished: its output becomes the one served, and the recording is ready when it was the last.
 * One statement, so two stages finishing together cannot both miss the other's completion. A finished
 * proxy queues the thumbnails still pending, in the same transaction.
 */
export async function completeStage(pool: Pool, id: string, stage: Stage, value: ProxyRecord | ThumbnailRecord): Promise<{ ready: boolean } | null> {
  return inTransaction(pool, async (client) => {
    const column = stage === 'proxy' ? 'proxy' : 'thumbnails';
    const { rows } = await client.query<{ ready: boolean; pending: Stage[] }>(
      `UPDATE recordings
          SET ${column} = $3, pending = array_remove(pending, $2),
              status = CASE WHEN status = 'processing' AND array_remove(pending, $2) = '{}' THEN 'ready' ELSE status END,
              progress = CASE WHEN array_remove(pending, $2) = '{}' THEN 1 ELSE progress END,
              processed_at = CASE WHEN array_remove(pending, $2) = '{}' THEN now() ELSE processed_at END
        WHERE id = $1 AND status = 'processing' AND $2 = ANY(pending)
        RETURNING status = 'ready' AS ready, pending`,
      [id, stage, JSON.stringify(value)],
    );
    const row = rows[0];
    if (!row) return null;
    if (stage === 'proxy' && row.pending.includes('thumbnails')) await enqueueStage(client, 'thumbnails', id);
    return { ready: row.ready };
  });
}

export async function setProgress(db: Db, id: string, fraction: number): Promise<void> {
  await db.query(`UPDATE recordings SET progress = $2 WHERE id = $1 AND status = 'processing'`, [id, Math.round(fraction * 1000) / 1000]);
}

/**
 * The file cannot be played: it stays evidence, with the reason, and nothing derived from it is served.
 * Returns false when the recording is gone (deleted meanwhile).
 */
export async function markUnplayable(db: Db, id: string, reason: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE recordings SET status = 'unplayable', status_reason = $2, progress = NULL, pending = '{}', proxy = NULL, thumbnails = NULL,
            processed_at = now()
      WHERE id = $1 AND status <> 'deleted'`,
    [id, reason.slice(0, 1000)],
  );
  return rowCount === 1;
}

/** Asks for a recording to be processed again from the probe on (new settings, a newer ffmpeg, a fixed bug). */
export async function requestReprocessing(pool: Pool, id: string): Promise<boolean> {
  return inTransaction(pool, async (client) => {
    const { rowCount } = await client.query(`SELECT 1 FROM recordings WHERE id = $1 AND status <> 'deleted' FOR UPDATE`, [id]);
    if (rowCount !== 1) return false;
    await enqueue(client, 'probe', jobId('probe', id), { recordingId: id }, { replace: true });
    return true;
  });
}
