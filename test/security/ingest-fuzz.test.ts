import { randomInt } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { INGEST_FIELDS } from '../../src/ingest/types';
import { SNIFF_BYTES, sniffMedia } from '../../src/ingest/sniff';
import { seedBureau } from '../support/bureau';
import { listen } from '../support/listen';
import { startTestEnv, type TestEnv } from '../support/harness';
import { evidenceState, filesUnder, multipartBody, prng, rawRequest, type RawPart } from './support';

// Random bytes and random, malformed multipart bodies and tus requests thrown at the ingest endpoints with a
// valid station token, for a bounded time. Every answer is a 4xx (never a 5xx, never no answer), the server
// stays up, and nothing is stored: no recording, object, custody event or job; the only tus uploads are the two
// this test created properly beforehand (the targets of the PATCH, HEAD and DELETE requests), untouched.
//
// A run is reproducible from its seed: FUZZ_SEED=<seed> npx jest test/security/ingest-fuzz.test.ts. FUZZ_MS
// bounds its time (default 8 s), FUZZ_ITERATIONS its requests (default 3000).

const SEED = Number(process.env.FUZZ_SEED ?? randomInt(2 ** 31));
const BUDGET_MS = Number(process.env.FUZZ_MS ?? 8000);
const MAX_ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 3000);
const MAX_BYTES = 256 * 1024;
const TIMEOUT_MS = 30_000;
const UPLOAD_LENGTH = 1000;

let env: TestEnv;
let station: string;
let server: Awaited<ReturnType<typeof listen>>;
const legit: string[] = [];

beforeAll(async () => {
  env = await startTestEnv({ UPLOAD_MAX_BYTES: String(MAX_BYTES) });
  station = (await seedBureau(env)).station;
  server = await listen(env.app);
});
afterAll(async () => {
  await server?.close();
  await env?.close();
});

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const GOOD_META: Record<string, string> = { filename: 'DSJ0001_100001_20260301083000_0001.MP4', dockedAt: '2026-03-01T18:00:00+08:00' };
const metadataOf = (m: Record<string, string>) =>
  Object.entries(m)
    .map(([k, v]) => `${k} ${b64(v)}`)
    .join(',');

interface FuzzRequest {
  label: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** The request generators, driven by one seeded PRNG. */
function generator(seed: number) {
  const rnd = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const chance = (p: number) => rnd() < p;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const bytes = (n: number) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(rnd() * 256);
    return b;
  };
  // Never footage by accident: a random head the sniffer would take is changed until it is not.
  const notMedia = (n: number) => {
    const b = bytes(n);
    while (b.length && sniffMedia(b.subarray(0, SNIFF_BYTES))) b[0] = (b[0]! + 1) % 256;
    return b;
  };
  const printable = (n: number) => Array.from({ length: n }, () => String.fromCharCode(int(0x20, 0x7e))).join('');
  const text = (n: number) => Array.from({ length: n }, () => String.fromCodePoint(pick([int(0, 0x1f), int(0x20, 0x7e), int(0x80, 0x2fff), 0x202e, 0x2028]))).join('');
  const size = () => pick([0, 1, int(2, 600), int(600, 20_000), int(MAX_BYTES - 10, MAX_BYTES + 40_000)]);

  const filename = () =>
    pick([
      GOOD_META.filename!,
      'DSJ0002_100002_20260301090000_0002_IMP.MP4',
      '../../etc/passwd',
      '..\\x.MP4',
      '',
      text(int(1, 40)),
      printable(int(1, 300)),
      `${'长'.repeat(int(1, 300))}.MP4`,
    ]);

  function multipart(): FuzzRequest {
    const boundary = pick(['', printable(int(1, 70)), `----${bytes(8).toString('hex')}`, 'a b', '"quoted"', printable(int(71, 200))]).replace(/[\r\n]/g, '');
    const used = chance(0.15) ? printable(int(1, 20)) : boundary;
    const parts: RawPart[] = [];
    for (let i = int(0, 6); i > 0; i--) {
      const kind = pick(['field', 'file', 'file', 'garbage'] as const);
      if (kind === 'field') {
        const name = pick([...INGEST_FIELDS, 'file', printable(int(1, 80)), '__proto__', 'badgeNo[x]']);
        parts.push({ headers: [`Content-Disposition: form-data; name="${name}"`], body: Buffer.from(chance(0.5) ? text(int(0, 40)) : printable(int(0, 2000))) });
      } else if (kind === 'file') {
        const disposition = pick([
          `form-data; name="file"; filename="${filename().replace(/["\r\n]/g, '')}"`,
          `form-data; name="file"; filename*=UTF-8''${encodeURIComponent(filename())}`,
          'form-data; name="file"',
          `form-data; name="${printable(int(1, 10)).replace(/"/g, '')}"; filename="x.MP4"`,
          'form-data; filename="x.MP4"',
        ]);
        const headers = [`Content-Disposition: ${disposition}`];
        if (chance(0.7)) headers.push(`Content-Type: ${pick(['video/mp4', 'application/octet-stream', 'text/plain', printable(int(0, 30))])}`);
        if (chance(0.1)) headers.push(`X-Pad: ${'p'.repeat(int(1000, 20_000))}`);
        parts.push({ headers, body: notMedia(size()) });
      } else {
        parts.push({ headers: Array.from({ length: int(0, 4) }, () => printable(int(0, 100))), body: bytes(int(0, 2000)) });
      }
    }
    let body = multipartBody(used, parts, chance(0.8));
    if (chance(0.2)) body = body.subarray(0, int(0, body.length)); // cut off
    if (chance(0.1)) body = Buffer.concat([body.subarray(0, int(0, body.length)), bytes(int(1, 200)), body]); // noise inserted
    if (chance(0.1)) body = Buffer.from(body.toString('latin1').replace(/\r\n/g, '\n'), 'latin1'); // bare LF
    const type = pick([
      `multipart/form-data; boundary=${boundary}`,
      `multipart/form-data; boundary=${boundary}`,
      `multipart/form-data; boundary="${boundary}"`,
      'multipart/form-data',
      `multipart/mixed; boundary=${boundary}`,
      'application/json',
      'application/octet-stream',
      'text/plain',
      printable(int(0, 40)),
    ]);
    return { label: `multipart ${parts.length} parts, ${body.length} bytes, type ${JSON.stringify(type.slice(0, 60))}`, method: 'POST', path: '/api/recordings', headers: { 'Content-Type': type }, body };
  }

  function randomPost(): FuzzRequest {
    const body = notMedia(size());
    const type = pick(['multipart/form-data; boundary=x', 'video/mp4', 'application/x-www-form-urlencoded', printable(int(0, 40))]);
    return { label: `random ${body.length} bytes as ${JSON.stringify(type)}`, method: 'POST', path: '/api/recordings', headers: { 'Content-Type': type }, body };
  }

  /** One defect that the server must refuse, applied to otherwise good tus headers. */
  function tusDefect(headers: Record<string, string>, kind: 'create' | 'patch' | 'other'): string {
    const defects = ['version', ...(kind === 'create' ? ['length', 'metadata'] : kind === 'patch' ? ['type', 'offset', 'overflow'] : [])];
    const defect = pick(defects);
    if (defect === 'version') {
      const v = pick([undefined, '', '0.2.0', '1.0', '1.0.0 ', printable(int(1, 20))]);
      if (v === undefined || v.trim() === '1.0.0') delete headers['Tus-Resumable'];
      else headers['Tus-Resumable'] = v;
    } else if (defect === 'length') {
      const v = pick([undefined, '-1', 'abc', '0', '1.5', String(MAX_BYTES + 1), '99999999999999999999', printable(int(1, 20)).replace(/^\d+$/, 'x')]);
      if (v === undefined) delete headers['Upload-Length'];
      else headers['Upload-Length'] = v;
    } else if (defect === 'metadata') {
      const m = { ...GOOD_META };
      const how = pick(['random', 'no filename', 'bad filename', 'unknown key', 'twice', 'not base64', 'not utf8', 'unknown recorder', 'unknown officer', 'bad time', 'future', 'bad sha', 'huge']);
      let value: string;
      if (how === 'random') value = printable(int(1, 300));
      else if (how === 'no filename') value = metadataOf({ dockedAt: m.dockedAt! });
      else if (how === 'bad filename') value = metadataOf({ ...m, filename: pick(['../../etc/passwd', 'a/b.MP4', 'a\u0000b.MP4', '..', 'x'.repeat(300), ' ']) });
      else if (how === 'unknown key') value = `${metadataOf(m)},${printable(int(1, 10)).replace(/[ ,]/g, 'k')} ${b64('v')}`;
      else if (how === 'twice') value = `${metadataOf(m)},filename ${b64('x.MP4')}`;
      else if (how === 'not base64') value = `filename ${printable(int(1, 20)).replace(/[A-Za-z0-9+/=, ]/g, '!')}`;
      else if (how === 'not utf8') value = `filename ${Buffer.from([0x61, 0xff, 0xfe]).toString('base64')}`;
      else if (how === 'unknown recorder') value = metadataOf({ ...m, recorderSerial: 'NOSUCH1' });
      else if (how === 'unknown officer') value = metadataOf({ ...m, badgeNo: '999999' });
      else if (how === 'bad time') value = metadataOf({ ...m, startedAt: printable(int(1, 30)).replace(/\d/g, 'x') });
      else if (how === 'future') value = metadataOf({ ...m, startedAt: '2099-01-01T00:00:00Z' });
      else if (how === 'bad sha') value = metadataOf({ ...m, sha256: printable(int(1, 70)).replace(/^[0-9a-fA-F]{64}$/, 'x') });
      else value = metadataOf({ ...m, filename: `${'a'.repeat(8000)}.MP4` });
      headers['Upload-Metadata'] = value;
    } else if (defect === 'type') {
      headers['Content-Type'] = pick(['application/octet-stream', 'text/plain', '', printable(int(1, 30))]);
    } else if (defect === 'offset') {
      const v = pick([undefined, String(int(1, 5000)), '-1', 'abc', '0x0', printable(int(1, 10)).replace(/^\s*0*\s*$/, 'x')]);
      if (v === undefined) delete headers['Upload-Offset'];
      else headers['Upload-Offset'] = v;
    } else {
      return 'overflow';
    }
    return defect;
  }

  const targets = () => pick([...legit, ...legit, 'not-a-uuid', '..%2F..%2Fetc%2Fpasswd', '%00', '00000000-0000-4000-8000-000000000000', printable(int(1, 40)).replace(/[^A-Za-z0-9-]/g, '')]);
  const garbageHeaders = (headers: Record<string, string>) => {
    for (let i = int(0, 3); i > 0; i--) headers[`X-${printable(int(1, 12)).replace(/[^A-Za-z0-9-]/g, 'h')}`] = printable(int(0, 200)).trim();
  };

  function tus(): FuzzRequest {
    const op = pick(['create', 'create', 'patch', 'patch', 'head', 'delete'] as const);
    const headers: Record<string, string> = { 'Tus-Resumable': '1.0.0' };
    garbageHeaders(headers);
    if (op === 'create') {
      Object.assign(headers, { 'Upload-Length': String(UPLOAD_LENGTH), 'Upload-Metadata': metadataOf(GOOD_META) });
      const defect = tusDefect(headers, 'create');
      const body = chance(0.3) ? bytes(int(1, 2000)) : Buffer.alloc(0);
      return { label: `tus create (${defect})`, method: 'POST', path: '/api/uploads', headers, body };
    }
    const id = targets();
    const isLegit = legit.includes(id);
    if (op === 'patch') {
      Object.assign(headers, { 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' });
      // A PATCH to an upload that exists always has a defect: a good one would be a good write.
      const defect = isLegit ? tusDefect(headers, 'patch') : chance(0.5) ? tusDefect(headers, 'patch') : 'none';
      const room = UPLOAD_LENGTH;
      const body = defect === 'overflow' ? bytes(int(room + 1, room + 5000)) : notMedia(int(0, room));
      if (defect === 'overflow' && chance(0.5)) headers['Transfer-Encoding'] = 'chunked';
      return { label: `tus patch ${isLegit ? 'own upload' : id} (${defect})`, method: 'PATCH', path: `/api/uploads/${id}`, headers, body };
    }
    const defect = isLegit ? tusDefect(headers, 'other') : 'none';
    return { label: `tus ${op} ${isLegit ? 'own upload' : id} (${defect})`, method: op.toUpperCase(), path: `/api/uploads/${id}`, headers, body: Buffer.alloc(0) };
  }

  return () => {
    const make = pick([multipart, multipart, randomPost, tus, tus]);
    const req = make();
    req.headers.Authorization = `Bearer ${station}`;
    // Now and then a request header past Node's limit (431).
    if (chance(0.03)) req.headers['X-Huge'] = 'h'.repeat(int(17_000, 30_000));
    if (req.headers['Transfer-Encoding'] !== 'chunked' && (req.body.length > 0 || req.method !== 'HEAD')) req.headers['Content-Length'] = String(req.body.length);
    return req;
  };
}

test(`ingest fuzz: random bytes, multipart bodies and tus requests are all refused with a 4xx; nothing is stored (seed ${SEED})`, async () => {
  // The targets of the tus PATCH, HEAD and DELETE requests, created properly.
  for (let i = 0; i < 2; i++) {
    const res = await rawRequest(server.base, {
      method: 'POST',
      path: '/api/uploads',
      headers: { Authorization: `Bearer ${station}`, 'Tus-Resumable': '1.0.0', 'Upload-Length': String(UPLOAD_LENGTH), 'Upload-Metadata': metadataOf(GOOD_META), 'Content-Length': '0' },
      timeoutMs: TIMEOUT_MS,
    });
    expect(res.status).toBe(201);
    legit.push(String(res.headers.location).split('/').pop()!);
  }
  const before = await evidenceState(env);
  expect(before).toMatchObject({ recordings: 0, tusUploads: 2, objects: [] });
  console.log(`ingest fuzz: seed ${SEED} (FUZZ_SEED=${SEED} repeats this run), budget ${BUDGET_MS} ms or ${MAX_ITERATIONS} requests`);

  const next = generator(SEED);
  const failures: string[] = [];
  const statuses = new Map<number, number>();
  const started = Date.now();
  let n = 0;
  while (n < MAX_ITERATIONS && Date.now() - started < BUDGET_MS && failures.length < 10) {
    const req = next();
    n++;
    try {
      const res = await rawRequest(server.base, { ...req, timeoutMs: TIMEOUT_MS });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status < 400 || res.status >= 500) failures.push(`#${n} ${req.label} → ${res.status} ${res.body.toString().slice(0, 200)}`);
    } catch (err) {
      failures.push(`#${n} ${req.label} → ${(err as Error).message}`);
    }
  }
  console.log(`ingest fuzz: ${n} requests in ${Date.now() - started} ms; answers ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
  expect({ seed: SEED, failures }).toEqual({ seed: SEED, failures: [] });
  expect(n).toBeGreaterThan(50);
  // Several kinds of refusal: the requests reached the parsers, not only the first check.
  expect([...statuses.keys()].filter((s) => s >= 400).length).toBeGreaterThanOrEqual(4);

  expect((await fetch(`${server.base}/healthz`)).status).toBe(200);
  expect(await evidenceState(env)).toEqual(before);
  // The two uploads as they were made: nothing written to them, nothing recorded.
  const { rows } = await env.ctx.pool.query<{ id: string; offset: number }>('SELECT id, upload_offset::int AS offset FROM tus_uploads ORDER BY id');
  expect(rows).toEqual([...legit].sort().map((id) => ({ id, offset: 0 })));
  const uploads = path.join(env.config.dataDir, 'uploads');
  expect(await filesUnder(uploads)).toEqual([...legit].sort());
  for (const id of legit) expect((await stat(path.join(uploads, id))).size).toBe(0);

  // The two are ended properly, and then nothing is left.
  for (const id of legit) {
    const res = await rawRequest(server.base, { method: 'DELETE', path: `/api/uploads/${id}`, headers: { Authorization: `Bearer ${station}`, 'Tus-Resumable': '1.0.0' }, timeoutMs: TIMEOUT_MS });
    expect(res.status).toBe(204);
  }
  expect(await evidenceState(env)).toEqual({ ...before, tusUploads: 0, uploadFiles: [] });
}, 120_000);
