import type { MultipartRegistry, ObjectStore } from '../../storage/object-store';
import type { Db } from '../db/pool';
import type { Logger } from '../logger';

/**
 * Remembers S3 multipart uploads in progress. A process killed mid-upload leaves its row behind, and
 * `sweepAbandonedMultipart` aborts what such rows name: s3rver and some S3 servers cannot list their
 * unfinished uploads, so without the rows the parts would stay forever.
 */
export function multipartRegistry(db: Db): MultipartRegistry {
  return {
    async started(key, uploadId) {
      await db.query('INSERT INTO multipart_uploads (object_key, upload_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [key, uploadId]);
    },
    async finished(key, uploadId) {
      await db.query('DELETE FROM multipart_uploads WHERE object_key = $1 AND upload_id = $2', [key, uploadId]);
    },
  };
}

/**
 * Aborts multipart uploads started more than `olderThanMs` ago and still on record; returns how many were
 * cleared. One the store cannot abort yet (it is down) stays on record for the next sweep.
 */
export async function sweepAbandonedMultipart(db: Db, store: ObjectStore, logger: Logger, olderThanMs: number): Promise<number> {
  const { rows } = await db.query<{ object_key: string; upload_id: string }>(
    `SELECT object_key, upload_id FROM multipart_uploads WHERE started_at < now() - $1 * interval '1 millisecond'`,
    [olderThanMs],
  );
  let cleared = 0;
  for (const { object_key: key, upload_id: uploadId } of rows) {
    try {
      await store.abortMultipart(key, uploadId);
      await db.query('DELETE FROM multipart_uploads WHERE object_key = $1 AND upload_id = $2', [key, uploadId]);
      cleared++;
    } catch (err) {
      logger.warn({ err, key, uploadId }, 'could not abort an abandoned multipart upload; will retry');
    }
  }
  if (cleared) logger.info({ cleared }, 'aborted abandoned multipart uploads');
  return cleared;
}
