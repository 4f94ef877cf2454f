import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import request from 'supertest';
import { fromBufferPromise, type Entry } from 'yauzl';
import { ZipFile } from 'yazl';
import type { TestEnv } from '../support/harness';

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Bytes the ingest takes for MP4 footage (an `ftyp` box), then noise: fast to make, unique every time. */
export function fakeMp4(size: number): Buffer {
  const ftyp = Buffer.from('00000018667479706d703432000000006d70343269736f6d', 'hex');
  return Buffer.concat([ftyp, randomBytes(size - ftyp.length)]);
}

/** Uploads one file as the docking station; the recorder, officer and start come from its name. */
export async function ingest(env: TestEnv, stationToken: string, filename: string, bytes: Buffer): Promise<string> {
  const res = await request(env.app).post('/api/recordings').set('Authorization', `Bearer ${stationToken}`).attach('file', bytes, filename);
  if (res.status !== 201) throw new Error(`ingest of ${filename}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.recordings[0].id as string;
}

/** Creates a case of unit ZF1 (as the admin) and links the recordings to it by hand (as ZF1's supervisor). */
export async function caseWith(env: TestEnv, tokens: { admin: string; supervisorZF1: string }, caseNo: string, recordingIds: string[]): Promise<void> {
  const url = `/api/cases/${encodeURIComponent(caseNo)}`;
  const put = await request(env.app).put(url).set('Authorization', `Bearer ${tokens.admin}`).send({ kind: 'penalty', status: 'open', unitCode: 'ZF1', activities: [] });
  if (put.status !== 201) throw new Error(`case ${caseNo}: ${put.status} ${JSON.stringify(put.body)}`);
  for (const recordingId of recordingIds) {
    const link = await request(env.app).post(`${url}/links`).set('Authorization', `Bearer ${tokens.supervisorZF1}`).send({ recordingId, reason: '现场检查录像' });
    if (link.status !== 201) throw new Error(`link ${recordingId}: ${link.status} ${JSON.stringify(link.body)}`);
  }
}

export const exportUrl = (caseNo: string) => `/api/cases/${encodeURIComponent(caseNo)}/export`;

/** GET with the body kept as bytes, whatever its type. */
export const getBytes = (env: TestEnv, token: string, url: string) =>
  request(env.app)
    .get(url)
    .set('Authorization', `Bearer ${token}`)
    .buffer(true)
    .parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });

export interface ZipEntry {
  name: string;
  compressionMethod: number;
  mtime: Date;
  data: Buffer;
}

/** Every entry of a (small) zip, in archive order. */
export async function unzip(zip: Buffer): Promise<ZipEntry[]> {
  const file = await fromBufferPromise(zip, { lazyEntries: true });
  const out: ZipEntry[] = [];
  await new Promise<void>((resolve, reject) => {
    file.on('error', reject);
    file.on('end', () => resolve());
    file.on('entry', (entry: Entry) => {
      file.openReadStream(entry, (err, stream: Readable) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', reject);
        stream.on('end', () => {
          out.push({ name: entry.fileName, compressionMethod: entry.compressionMethod, mtime: entry.getLastModDate(), data: Buffer.concat(chunks) });
          file.readEntry();
        });
      });
    });
    file.readEntry();
  });
  return out;
}

/** A copy of a package with its entries rewritten by `alter` (return the data unchanged to keep one), as a tamperer would make it. */
export async function rezip(entries: ZipEntry[], alter: (e: ZipEntry) => Buffer | null): Promise<Buffer> {
  const zip = new ZipFile();
  for (const e of entries) {
    const data = alter(e);
    if (data) zip.addBuffer(data, e.name, { compress: e.compressionMethod !== 0, mtime: e.mtime });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream as Readable) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
