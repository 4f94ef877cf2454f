import type { MultipartRegistry } from '../../storage/object-store';
import type { Db } from '../db/pool';

/**
 * Remembers S3 multipart uploads in progress. A process killed mid-upload leaves its row behind, and the
 * sweeper aborts what the rows name: s3rver and some S3 servers cannot list their unfinished uploads.
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
