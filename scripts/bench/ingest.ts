import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import type { ObjectStore } from '../../storage/object-store';
import { originalKey } from '../../storage/keys';
import { MiB } from './support';

/** Streams a file to POST /api/recordings as one multipart part, without buffering it. */
export function uploadMultipart(base: string, token: string, file: string, filename: string): Promise<{ status: number; body: string }> {
  return stat(file).then(
    ({ size }) =>
      new Promise((resolve, reject) => {
        const boundary = `bench${randomUUID()}`;
        const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: video/mp4\r\n\r\n`);
        const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
        const url = new URL('/api/recordings', base);
        const req = http.request(
          {
            host: url.hostname,
            port: url.port,
            method: 'POST',
            path: url.pathname,
            headers: {
              Authorization: `Bearer ${token}`,
              'Content-Type': `multipart/form-data; boundary=${boundary}`,
              'Content-Length': head.length + size + tail.length,
            },
          },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (d) => (body += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.write(head);
        const src = createReadStream(file, { highWaterMark: MiB });
        src.on('error', reject);
        src.pipe(req, { end: false });
        src.on('end', () => req.end(tail));
      }),
  );
}

/** Seconds for one upload through the API (hashing, content check, catalog row included). */
export async function timeApiUpload(base: string, token: string, file: string, filename: string): Promise<number> {
  const t0 = performance.now();
  const res = await uploadMultipart(base, token, file, filename);
  if (res.status !== 201) throw new Error(`upload of ${path.basename(file)} answered ${res.status}: ${res.body}`);
  return (performance.now() - t0) / 1000;
}

/** Seconds for a direct put of the same file through the same storage adapter: the baseline. */
export async function timeDirectPut(store: ObjectStore, file: string): Promise<number> {
  const key = originalKey(randomUUID());
  const t0 = performance.now();
  await store.put(key, createReadStream(file, { highWaterMark: MiB }));
  const seconds = (performance.now() - t0) / 1000;
  await store.remove(key);
  return seconds;
}
