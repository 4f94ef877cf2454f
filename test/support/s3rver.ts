import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** A real S3 protocol server (s3rver) on loopback, for tests of the S3 adapter and of the system on it. */

// s3rver ships no type declarations; this is the one method used.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => { callback(): http.RequestListener };


/**
 * How the server answers AbortMultipartUpload. s3rver itself answers 405, so the contract runs with the
 * operation filled in the way S3 and MinIO do it (remove the upload's parts); the other modes test how the
 * store copes with servers that cannot abort or fail to.
 */
export type AbortMode = 'implemented' | 's3rver' | 'failing';

export interface TestServer {
  endPoint: string;
  directory: string;
  /** Multipart uploads s3rver still keeps on disk (it stores each under <bucket>/._S3rver_uploads/<id>/). */
  unfinishedUploads(bucket: string): Promise<string[]>;
  close(opts?: { keepDirectory?: boolean }): Promise<void>;
}

const s3Error = (res: http.ServerResponse, status: number, code: string) => {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`);
};

export async function startS3rver(
  abortMode: AbortMode = 'implemented',
  // A fixed port and directory bring a stopped server back as it was (a storage outage that ends).
  at: { port?: number; directory?: string } = {},
): Promise<TestServer> {
  const directory = at.directory ?? (await mkdtemp(path.join(os.tmpdir(), 'bce-s3rver-')));
  const s3rver = new S3rver({ directory, silent: true });
  const handle = s3rver.callback();
  const uploadsDir = (bucket: string) => path.join(directory, bucket, '._S3rver_uploads');

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://s3');
    const uploadId = url.searchParams.get('uploadId');
    if (req.method !== 'DELETE' || uploadId === null || abortMode === 's3rver') {
      handle(req, res);
      return;
    }
    req.resume();
    if (abortMode === 'failing') return s3Error(res, 500, 'InternalError');
    const dir = path.join(uploadsDir(url.pathname.split('/')[1]!), uploadId);
    stat(dir)
      .then(
        () => rm(dir, { recursive: true }).then(() => void res.writeHead(204).end()),
        () => s3Error(res, 404, 'NoSuchUpload'),
      )
      .catch(() => s3Error(res, 500, 'InternalError'));
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(at.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endPoint: `http://127.0.0.1:${port}`,
    directory,
    async unfinishedUploads(bucket: string) {
      try {
        return await readdir(uploadsDir(bucket));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
    },
    async close(opts: { keepDirectory?: boolean } = {}) {
      // minio-js keeps connections alive; without closing them close() would wait for their idle timeout.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      if (!opts.keepDirectory) await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Settings that put a test system on the named store: the filesystem default, or S3 on a fresh s3rver. */
export async function storageSettings(driver: 'filesystem' | 'minio'): Promise<{ settings: Record<string, string>; s3?: TestServer }> {
  if (driver === 'filesystem') return { settings: {} };
  const s3 = await startS3rver();
  return {
    s3,
    settings: { STORAGE_DRIVER: 'minio', MINIO_ENDPOINT: s3.endPoint, MINIO_ACCESS_KEY: 'S3RVER', MINIO_SECRET_KEY: 'S3RVER', MINIO_PART_SIZE_MB: '5' },
  };
}
