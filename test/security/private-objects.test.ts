import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'minio';
import request from 'supertest';
import { closeContext, createContext, type Context } from '../../src/context';
import { originalKey } from '../../storage/keys';
import { MAX_PRESIGNED_S } from '../../storage/s3-store';
import { startWorkerRole, type WorkerRole } from '../../workers/worker';
import { docker } from '../integrity/helpers';
import { seedBureau } from '../support/bureau';
import { startTestEnv, type TestEnv } from '../support/harness';
import { captureLogs, LEVEL } from '../support/log-capture';
import { startS3rver, type TestServer } from '../support/s3rver';
import { settle } from '../support/settle';

// Evidence objects are private: the system never gives the bucket or an object a policy, an ACL or a grant
// (every request it sends to the store is watched on the wire), and the only way to an object other than the
// API is a presigned URL, issued to a media job for its run only, and logged when issued.
//
// s3rver has no access control of its own: it serves unsigned GETs and has no bucket policies (GetBucketPolicy
// answers MethodNotAllowed), and it checks a presigned URL's expiry but not its signature. So what is proven
// here is what the system does (never a public policy, ACL or grant; short validity; refused once expired);
// that a private bucket refuses anonymous reads is MinIO's and S3's default (README: Deployment).

const BUCKET = 'evidence-private';

/** Watches the system's requests to the store on their way: forwards each untouched and keeps what was asked. */
interface Wire {
  endPoint: string;
  requests: { method: string; url: string; headers: http.IncomingHttpHeaders }[];
  close(): Promise<void>;
}

async function watchWire(target: string): Promise<Wire> {
  const to = new URL(target);
  const requests: Wire['requests'] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method!, url: req.url!, headers: req.headers });
    // Headers (Host included) go on as they came, so the signature the system made still holds.
    const upstream = http.request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endPoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      return closed;
    },
  };
}

let s3: TestServer;
let wire: Wire;
let env: TestEnv;
let tokens: Awaited<ReturnType<typeof seedBureau>>;
let dir: string;
let workerCtx: Context;
let worker: WorkerRole;
const logs = captureLogs();
let rec: Awaited<ReturnType<ReturnType<typeof docker>>>;

beforeAll(async () => {
  s3 = await startS3rver();
  wire = await watchWire(s3.endPoint);
  env = await startTestEnv({
    STORAGE_DRIVER: 'minio',
    MINIO_ENDPOINT: wire.endPoint,
    MINIO_ACCESS_KEY: 'S3RVER',
    MINIO_SECRET_KEY: 'S3RVER',
    MINIO_BUCKET: BUCKET,
    MINIO_PART_SIZE_MB: '5',
    OUTBOX_POLL_MS: '200',
    RETENTION_RUN_AT: 'off',
    INTEGRITY_AUDIT_AT: 'off',
  });
  tokens = await seedBureau(env);
  dir = await mkdtemp(path.join(tmpdir(), 'bce-private-'));
  // The worker role with a logger the test reads: its media jobs ask the store for presigned URLs.
  workerCtx = await createContext(env.config, 'worker', logs.logger);
  worker = startWorkerRole(workerCtx);
  rec = await docker(env, tokens.station, dir)();
  await settle(env, 60_000);
}, 120_000);
afterAll(async () => {
  await worker?.close();
  if (workerCtx) await closeContext(workerCtx);
  await env?.close();
  await wire?.close();
  await s3?.close();
  await rm(dir, { recursive: true, force: true });
});

const issued = () => logs.lines.filter((l) => l.msg === 'presigned URL issued');

test('the system never makes the bucket or an object public: no policy, ACL or grant on the wire; the bucket has no policy', async () => {
  // The wire saw the system at work: the bucket made, the original stored, read back by the media jobs.
  const seen = wire.requests.map((r) => `${r.method} ${r.url.split('?')[0]}`);
  expect(seen).toEqual(expect.arrayContaining([`PUT /${BUCKET}`, `PUT /${BUCKET}/${originalKey(rec.id)}`]));
  expect(wire.requests.filter((r) => r.method === 'GET' && r.url.includes('X-Amz-Signature')).length).toBeGreaterThan(0);

  const publicity = wire.requests.filter((r) => {
    const query = new URL(r.url, 'http://s3').searchParams;
    const subresource = ['policy', 'acl', 'publicAccessBlock', 'cors', 'website'].some((k) => query.has(k));
    const header = Object.keys(r.headers).some((h) => h === 'x-amz-acl' || h.startsWith('x-amz-grant-'));
    return subresource || header;
  });
  expect(publicity).toEqual([]);

  // Asked directly: no policy on the bucket (S3 and MinIO answer NoSuchBucketPolicy; s3rver has no policies).
  const url = new URL(s3.endPoint);
  const client = new Client({ endPoint: url.hostname, port: Number(url.port), useSSL: false, accessKey: 'S3RVER', secretKey: 'S3RVER', region: 'us-east-1', pathStyle: true });
  const policy = await client.getBucketPolicy(BUCKET).then(
    (p) => ({ policy: p }),
    (err: { code?: string }) => ({ code: err.code }),
  );
  expect(['NoSuchBucketPolicy', 'MethodNotAllowed', 'NotImplemented']).toContain((policy as { code?: string }).code);

  // The API is the way in, and it wants credentials.
  for (const what of ['original', 'proxy', 'thumbnail']) {
    const res = await request(env.app).get(`/api/recordings/${rec.id}/${what}`);
    expect([what, res.status]).toEqual([what, 401]);
  }
});

test('each presigned URL a media job gets is issued for its run only and logged (key, purpose, requester, expiry); the URL itself is never logged', async () => {
  const lines = issued();
  const byPurpose = new Map(lines.map((l) => [l.purpose, l]));
  const { baseS } = env.config.media.timeout;
  // The probe: its ffprobe timeout (no duration known yet) and a minute; the thumbnails: four runs' worth.
  expect(byPurpose.get('probe')).toMatchObject({ level: LEVEL.info, bucket: BUCKET, key: originalKey(rec.id), requester: `job probe-${rec.id}`, expiresS: baseS + 60 });
  expect(byPurpose.get('thumbnails')).toMatchObject({ level: LEVEL.info, key: originalKey(rec.id), requester: `job thumbnails-${rec.id}`, expiresS: baseS * 4 + 600 });
  for (const line of lines) {
    expect(line.expiresS).toBeLessThanOrEqual(MAX_PRESIGNED_S);
    // expiresAt is the issue time plus the validity (the log line's own time is a few ms after the issue).
    const lead = Date.parse(String(line.expiresAt)) - Number(line.time);
    expect(lead).toBeLessThanOrEqual(Number(line.expiresS) * 1000);
    expect(lead).toBeGreaterThan(Number(line.expiresS) * 1000 - 60_000);
  }
  // A presigned URL is a credential: no log line carries one.
  expect(logs.lines.filter((l) => JSON.stringify(l).includes('X-Amz-Signature'))).toEqual([]);
});

test('a presigned URL works while valid, is refused once expired, and is never valid longer than MAX_PRESIGNED_S', async () => {
  const key = originalKey(rec.id);
  // Asked for S3's 7-day maximum: capped, with a warning, and it reads the original.
  const before = logs.lines.length;
  const url = await workerCtx.store.readableLocation(key, 7 * 24 * 3600, { purpose: 'test', requester: 'private-objects test' });
  expect(Number(new URL(url).searchParams.get('X-Amz-Expires'))).toBe(MAX_PRESIGNED_S);
  expect(MAX_PRESIGNED_S).toBeLessThanOrEqual(12 * 3600);
  const fresh = logs.lines.slice(before);
  expect(fresh).toEqual([
    expect.objectContaining({ level: LEVEL.warn, key, purpose: 'test', askedS: 7 * 24 * 3600, expiresS: MAX_PRESIGNED_S }),
    expect.objectContaining({ level: LEVEL.info, msg: 'presigned URL issued', key, purpose: 'test', requester: 'private-objects test', expiresS: MAX_PRESIGNED_S }),
  ]);
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex')).toBe(rec.sha256);

  // A one-second URL, once its second is over, is refused by the store.
  const issuedAt = Date.now();
  const short = await workerCtx.store.readableLocation(key, 1, { purpose: 'test', requester: 'private-objects test' });
  expect(new URL(short).searchParams.get('X-Amz-Expires')).toBe('1');
  while (Date.now() < issuedAt + 2500) await new Promise((r) => setTimeout(r, 250));
  const expired = await fetch(short);
  expect(expired.status).toBe(403);
  expect(await expired.text()).toMatch(/expired/i);
});
