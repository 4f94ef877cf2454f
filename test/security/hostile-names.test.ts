import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { UUID } from '../../src/directory/identifiers';
import { dockMain } from '../../src/dock/main';
import { caseWith, exportUrl, fakeMp4, getBytes, unzip } from '../evidence/helpers';
import { seedBureau } from '../support/bureau';
import { startTestEnv, type TestEnv } from '../support/harness';
import { listen } from '../support/listen';
import { dispositionNames, evidenceState, fieldPart, filesUnder, multipartBody, storeKeys, type RawPart } from './support';

// Names from clients reach the catalog, pages, download headers and export packages: original file names
// (multipart `filename`, tus `filename` metadata), case numbers, CSV import values. Each hostile one is either
// refused with a 400 naming the field, or kept as an inert label that is never used as a path. The data folder
// sits deep inside a folder of the test's own, so a name that climbed out of it would land somewhere this test
// can see: every file under that folder must be inside the data folder, and every object under a key the
// system makes (originals/<shard>/<recording id>).

const run = promisify(execFile);
let root: string;
let dataDir: string;
let env: TestEnv;
let tokens: Awaited<ReturnType<typeof seedBureau>>;

/** Explicit metadata, so that a file's name is needed for nothing but its label. */
const FIELDS = { recorderSerial: 'DSJ0001', badgeNo: '100001', startedAt: '2026-03-01T08:30:00+08:00' };
const ORIGINAL_KEY = new RegExp(`^originals/[0-9a-f]{2}/${UUID.source.slice(1, -1)}$`, 'i');

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'bce-hostile-'));
  dataDir = path.join(root, 'a', 'b', 'c', 'd', 'data');
  await mkdir(dataDir, { recursive: true });
  env = await startTestEnv({ DATA_DIR: dataDir });
  tokens = await seedBureau(env);
});
afterAll(async () => {
  await env?.close();
  await rm(root, { recursive: true, force: true });
});

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** RFC 5987 `filename*`: the exact bytes of any name, control characters included, reach the server. */
const extFilename = (name: string) => `filename*=UTF-8''${[...Buffer.from(name, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')}`;

function uploadMultipart(dispositionParams: string, content: Buffer) {
  const boundary = 'bce-hostile-boundary';
  const parts: RawPart[] = [
    ...Object.entries(FIELDS).map(([k, v]) => fieldPart(k, v)),
    { headers: [`Content-Disposition: form-data; name="file"; ${dispositionParams}`, 'Content-Type: video/mp4'], body: content },
  ];
  return request(env.app)
    .post('/api/recordings')
    .set(bearer(tokens.station))
    .set('Content-Type', `multipart/form-data; boundary=${boundary}`)
    .send(multipartBody(boundary, parts));
}

const metadata = (values: Record<string, string>) =>
  Object.entries(values)
    .map(([k, v]) => `${k} ${Buffer.from(v, 'utf8').toString('base64')}`)
    .join(',');

const TUS = { 'Tus-Resumable': '1.0.0' };
const tusCreate = (filename: string, length: number) =>
  request(env.app).post('/api/uploads').set(TUS).set(bearer(tokens.station)).set('Upload-Length', String(length)).set('Upload-Metadata', metadata({ filename, ...FIELDS }));

/** Whole-file tus upload; resolves with the recording id it became. */
async function tusUpload(filename: string, content: Buffer): Promise<string> {
  const created = await tusCreate(filename, content.length);
  if (created.status !== 201) throw new Error(`tus create of ${JSON.stringify(filename)}: ${created.status} ${JSON.stringify(created.body)}`);
  const patched = await request(env.app)
    .patch(created.headers.location as string)
    .set(TUS)
    .set(bearer(tokens.station))
    .set('Upload-Offset', '0')
    .set('Content-Type', 'application/offset+octet-stream')
    .send(content);
  if (patched.status !== 204) throw new Error(`tus patch of ${JSON.stringify(filename)}: ${patched.status} ${JSON.stringify(patched.body)}`);
  return patched.headers['x-recording-id'] as string;
}

/** Nothing was written outside the data folder, and the store holds only keys the system makes. */
async function nothingEscaped(): Promise<void> {
  const rel = path.relative(root, dataDir).split(path.sep).join('/');
  const outside = (await filesUnder(root)).filter((f) => !f.startsWith(`${rel}/`));
  expect(outside).toEqual([]);
  const unexpected = (await storeKeys(env)).filter((k) => !ORIGINAL_KEY.test(k));
  expect(unexpected).toEqual([]);
}

// Path-like (separators, dot segments, drive letters, UNC), invisible (C0, DEL, bidi and zero-width format
// characters, line separators) and over-long names.
const REFUSED_NAMES: string[] = [
  '../../etc/passwd',
  '../../../../../../escaped.MP4',
  '..\\..\\windows\\win.ini',
  '/etc/passwd',
  'C:\\Windows\\System32\\x.MP4',
  '\\\\server\\share\\x.MP4',
  'DSJ0001_100001_20260301083000_0001.MP4/../../x.MP4',
  '..',
  '.',
  '   ',
  'a\u0000b.MP4',
  'a\nb.MP4',
  'a\r\nX-Injected: 1.MP4',
  '\u001b[31mred.MP4',
  'a\u007f.MP4',
  'evil\u202e4pm.MP4',
  '\u200b.MP4',
  'a\u2028b.MP4',
  `${'x'.repeat(252)}.MP4`,
];

test('multipart: a file name with a path, control characters or too long is refused with 400 invalid_filename; nothing stored', async () => {
  const before = await evidenceState(env);
  const wrong: string[] = [];
  for (const name of REFUSED_NAMES) {
    const res = await uploadMultipart(extFilename(name), fakeMp4(4096));
    if (res.status !== 400 || res.body.code !== 'invalid_filename' || res.body.field !== 'filename' || !/problem\+json/.test(res.headers['content-type'] ?? '')) {
      wrong.push(`${JSON.stringify(name)} → ${res.status} ${JSON.stringify(res.body)}`);
    }
  }
  // The plain quoted parameter too, as browsers and curl send it (the path is kept, not cut to its last part).
  for (const name of ['../../etc/passwd', '/etc/passwd']) {
    const res = await uploadMultipart(`filename="${name}"`, fakeMp4(4096));
    if (res.status !== 400 || res.body.code !== 'invalid_filename') wrong.push(`quoted ${name} → ${res.status} ${res.body.code}`);
  }
  expect(wrong).toEqual([]);
  expect(await evidenceState(env)).toEqual(before);
  await nothingEscaped();
});

test('tus: the same names in Upload-Metadata are refused at creation; no upload row, no file', async () => {
  const before = await evidenceState(env);
  const wrong: string[] = [];
  for (const name of REFUSED_NAMES) {
    const res = await tusCreate(name, 4096);
    if (res.status !== 400 || res.body.code !== 'invalid_filename' || res.body.field !== 'filename') wrong.push(`${JSON.stringify(name)} → ${res.status} ${JSON.stringify(res.body)}`);
  }
  // An id that is a path does not reach the file system either.
  for (const id of ['..%2F..%2Fetc%2Fpasswd', '%2e%2e', '..', 'x%00y']) {
    const res = await request(env.app).head(`/api/uploads/${id}`).set(TUS).set(bearer(tokens.station));
    if (res.status !== 404 && res.status !== 400) wrong.push(`HEAD /api/uploads/${id} → ${res.status}`);
    const patch = await request(env.app).patch(`/api/uploads/${id}`).set(TUS).set(bearer(tokens.station)).set('Upload-Offset', '0').set('Content-Type', 'application/offset+octet-stream').send(Buffer.alloc(8));
    if (patch.status !== 404 && patch.status !== 400) wrong.push(`PATCH /api/uploads/${id} → ${patch.status}`);
  }
  expect(wrong).toEqual([]);
  expect(await evidenceState(env)).toEqual(before);
  await nothingEscaped();
});

// Names that only look dangerous: percent-encoded or full-width separators, shell and markup characters.
// Nothing decodes or interprets them, so they are footage names like any other.
const INERT_NAMES = [
  '%2e%2e%2fetc%2fpasswd.MP4',
  '..%5c..%5cwin.ini.MP4',
  '．．／．．／etc／passwd.MP4',
  '..MP4',
  '-rf --no-preserve-root.MP4',
  '$(reboot) `id`; rm -rf ~.MP4',
  '<img src=x onerror=alert(1)>.MP4',
  "' OR 1=1--.MP4",
  'CON.MP4',
  '执法记录 \'"引号".MP4',
  // 204 characters, 604 bytes in UTF-8: a legal name, longer than a file system takes as one file name.
  `${'执法记录'.repeat(50)}.MP4`,
];
const inertIds = new Map<string, string>();

test('names that only look like paths are kept as sent, as labels: the object key is the recording id', async () => {
  for (const [i, name] of INERT_NAMES.entries()) {
    // Half by multipart, half by tus: both paths keep the name the same way.
    let id: string;
    if (i % 2 === 0) {
      const res = await uploadMultipart(extFilename(name), fakeMp4(4096 + i));
      expect([res.status, res.body.code]).toEqual([201, undefined]);
      id = res.body.recordings[0].id;
    } else {
      id = await tusUpload(name, fakeMp4(4096 + i));
    }
    inertIds.set(name, id);
    const { rows } = await env.ctx.pool.query('SELECT filename, object_key FROM recordings WHERE id = $1', [id]);
    expect(rows[0]).toEqual({ filename: name, object_key: `originals/${id.slice(0, 2)}/${id}` });
  }
  expect((await storeKeys(env)).length).toBe(INERT_NAMES.length);
  expect(await filesUnder(path.join(dataDir, 'uploads'))).toEqual([]);
  await nothingEscaped();
});

// No separators, no quotes or escapes, no control characters, no percent (some browsers decode it).
const SAFE_FALLBACK = /^[\x20-\x7e]+$/;
const noPathIn = (name: string) => !/[/\\]/.test(name) && !name.split(/[/\\]/).includes('..') && SAFE_FALLBACK.test(name) && !name.includes('"');

test('downloading an original names it in Content-Disposition without a path: the exact name only in filename*', async () => {
  for (const [name, id] of inertIds) {
    const res = await getBytes(env, tokens.admin, `/api/recordings/${id}/original`);
    expect(res.status).toBe(200);
    const { fallback, utf8 } = dispositionNames(res.headers['content-disposition']);
    expect(utf8).toBe(name);
    expect(noPathIn(fallback) && !fallback.includes('%')).toBe(true);
  }
});

/** Exports a case, checks every entry is inside the package, unpacks it with unzip(1) and checks nothing landed outside. */
async function exportStaysInside(caseNo: string): Promise<string[]> {
  const res = await getBytes(env, tokens.admin, exportUrl(caseNo));
  expect(res.status).toBe(200);
  const entries = await unzip(res.body as Buffer);
  const names = entries.map((e) => e.name);
  for (const n of names) {
    const ok = n === 'custody.json' || n === 'manifest.json' || /^originals\/100001\/\d{8}T\d{6}Z_[0-9a-f]{8}_[^/\\\x00-\x1f\x7f:*?"<>|.][^/\\\x00-\x1f\x7f:*?"<>|]*$/.test(n);
    if (!ok) throw new Error(`entry ${JSON.stringify(n)} is not a package path`);
    // Each segment one file name on any file system (255 bytes).
    for (const segment of n.split('/')) expect(Buffer.byteLength(segment)).toBeLessThanOrEqual(255);
  }
  const manifest = JSON.parse(entries.find((e) => e.name === 'manifest.json')!.data.toString());
  expect(manifest.files.map((f: { path: string }) => f.path).sort()).toEqual(names.filter((n) => n.startsWith('originals/')).sort());
  // A real unzip tool, into a folder of its own inside the test's folder: everything it writes stays there.
  const out = path.join(root, 'unzipped', caseNo.replace(/[^A-Za-z0-9-]/g, '_'));
  await mkdir(out, { recursive: true });
  const zipFile = path.join(root, 'package.zip');
  await writeFile(zipFile, res.body as Buffer);
  await run('unzip', ['-q', '-o', zipFile, '-d', out]);
  await rm(zipFile);
  expect(await filesUnder(out)).toEqual([...names].sort());
  await rm(path.join(root, 'unzipped'), { recursive: true, force: true });
  await nothingEscaped();
  return names;
}

test('an export package names the kept files inside originals/<badge>/, one segment each, and unpacks inside its folder', async () => {
  await caseWith(env, tokens, 'HOSTILE-1', [...inertIds.values()]);
  const names = await exportStaysInside('HOSTILE-1');
  const originals = names.filter((n) => n.startsWith('originals/'));
  expect(originals).toHaveLength(INERT_NAMES.length);
  // The long name's label is cut to fit, at a character, keeping its extension.
  const long = originals.find((n) => n.includes('执法记录执法记录'))!;
  expect(long).toMatch(/_(执法记录)+执?法?记?\.MP4$/);
});

test('a name that got past the checks some other way (a catalog row written by hand) still cannot leave the package or break a header', async () => {
  // Behind the application's back, as a migration or an old version might have stored them.
  const legacy = ['../../../../etc/passwd', '..\\..\\..\\win.ini', '/abs/olute.MP4', 'C:\\x.MP4', '.hidden', 'a\u0001b\u001fc.MP4', 'a\r\nX-Injected: 1', `${'长'.repeat(300)}.MP4`];
  const ids = [...inertIds.values()].slice(0, legacy.length);
  for (const [i, name] of legacy.entries()) await env.ctx.pool.query('UPDATE recordings SET filename = $1 WHERE id = $2', [name, ids[i]]);
  await exportStaysInside('HOSTILE-1');
  for (const [i, name] of legacy.entries()) {
    const res = await getBytes(env, tokens.admin, `/api/recordings/${ids[i]}/original`);
    expect(res.status).toBe(200);
    expect(res.headers['x-injected']).toBeUndefined();
    const { fallback, utf8 } = dispositionNames(res.headers['content-disposition']);
    expect(utf8).toBe(name);
    expect(noPathIn(fallback)).toBe(true);
  }
});

test('a case number is a label: path characters never reach the export\'s file name; control characters are refused', async () => {
  for (const caseNo of ['../../etc/passwd', '..\\..\\win.ini', 'a"; filename=evil.sh']) {
    const put = await request(env.app).put(`/api/cases/${encodeURIComponent(caseNo)}`).set(bearer(tokens.admin)).send({ kind: 'penalty', status: 'open', unitCode: 'ZF1', activities: [] });
    expect(put.status).toBe(201);
    expect(put.body.caseNo).toBe(caseNo);
    const res = await request(env.app).head(exportUrl(caseNo)).set(bearer(tokens.admin));
    expect(res.status).toBe(200);
    const header = res.headers['content-disposition'] as string;
    // Read strictly: a quote in the name does not split the header into parameters of its own.
    const { fallback, utf8 } = dispositionNames(header);
    for (const name of utf8 === null ? [fallback] : [fallback, utf8]) {
      expect(name).toMatch(/\.zip$/);
      expect(name).not.toMatch(/[/\\]/);
    }
  }
  for (const caseNo of ['a\u0000b', 'a\nb', 'x\u202ey', 'y'.repeat(65)]) {
    const put = await request(env.app).put(`/api/cases/${encodeURIComponent(caseNo)}`).set(bearer(tokens.admin)).send({ kind: 'penalty', status: 'open', unitCode: 'ZF1', activities: [] });
    expect([put.status, put.body.code]).toEqual([400, 'invalid_field']);
  }
  await nothingEscaped();
});

test('CSV imports: identifiers with path or control characters are row errors; names are kept as text', async () => {
  const directory = [
    'unit_code,unit_name,badge_no,officer_name,recorder_serial,assigned_from',
    '../../x,name,300001,a,,',
    'ZF9,name,..\\300002,b,,',
    'ZF9,name,300003,c,%2e%2e%2fx,',
    'ZF9,"bad\u0007name",300004,d,,',
    'ZF9,name,300005,"e\u0000",,',
    'ZF9,../../etc/passwd,300006,<b>../x</b>,,',
  ].join('\r\n');
  const res = await request(env.app).post('/api/directory/import').set(bearer(tokens.admin)).set('Content-Type', 'text/csv').send(Buffer.from(directory));
  expect(res.status).toBe(200);
  expect(res.body.errors.map((e: { line: number; code: string }) => [e.line, e.code])).toEqual([
    [2, 'invalid_unit_code'],
    [3, 'invalid_badge_no'],
    [4, 'invalid_recorder_serial'],
    [5, 'invalid_unit_name'],
    [6, 'invalid_officer_name'],
  ]);
  expect(res.body.created).toBe(1);
  expect((await request(env.app).get('/api/officers/300006').set(bearer(tokens.admin))).body.name).toBe('<b>../x</b>');
  expect((await request(env.app).get('/api/units').set(bearer(tokens.admin))).body.items).toContainEqual(expect.objectContaining({ code: 'ZF9', name: '../../etc/passwd' }));

  const cases = [
    'case_no,case_kind,case_status,unit_code,activity_key,activity_type,badge_nos,started_at,ended_at,location',
    '"bad\u0001case",penalty,open,ZF1,A1,inspection,100001;100002,2026-03-01 09:00:00,2026-03-01 09:30:00,x',
    '..\\..\\case,penalty,open,ZF1,A1,inspection,../100001;100002,2026-03-01 09:00:00,2026-03-01 09:30:00,x',
    '../../case,penalty,open,ZF1,../A1,inspection,100001;100002,2026-03-01 09:00:00,2026-03-01 09:30:00,../../loc',
  ].join('\r\n');
  const imported = await request(env.app).post('/api/cases/import').set(bearer(tokens.admin)).set('Content-Type', 'text/csv').send(Buffer.from(cases));
  expect(imported.status).toBe(200);
  expect(imported.body.errors.map((e: { line: number }) => e.line)).toEqual([2, 3]);
  expect(imported.body.created).toBe(1);
  const { rows: made } = await env.ctx.pool.query("SELECT case_no FROM cases WHERE case_no LIKE '%case'");
  expect(made).toEqual([{ case_no: '../../case' }]);
  await nothingEscaped();
});

test('the dock client: a recorder file whose name has control characters is reported failed and stored nowhere; a link out of the folder is not followed', async () => {
  // The station's own folders are outside the server's test folder (nothingEscaped looks there).
  const station = await mkdtemp(path.join(tmpdir(), 'bce-hostile-dock-'));
  const server = await listen(env.app);
  try {
    const recorder = path.join(station, 'recorder');
    await mkdir(recorder, { recursive: true });
    await writeFile(path.join(recorder, 'DSJ0002_100002_20260312080000_0001.MP4'), fakeMp4(5000));
    await writeFile(path.join(recorder, 'DSJ0002_100002_20260312081000_0002\nX.MP4'), fakeMp4(5001));
    await writeFile(path.join(recorder, 'DSJ0002_100002_20260312082000_0003\u001b[2J.MP4'), fakeMp4(5002));
    const secret = path.join(station, 'secret.MP4');
    await writeFile(secret, fakeMp4(5003));
    await symlink(secret, path.join(recorder, 'DSJ0002_100002_20260312083000_0004.MP4'));
    const before = (await evidenceState(env)).recordings;

    let out = '';
    const code = await dockMain({
      argv: [recorder, '--json', '--state-dir', path.join(station, 'dock-state')],
      env: { BCE_SERVER: server.base, BCE_TOKEN: tokens.station },
      stdout: { write: (t: string) => (out += t) },
      stderr: { write: () => true, isTTY: false, columns: 100 } as never,
    });
    expect(code).not.toBe(0);
    const summary = JSON.parse(out) as { totals: Record<string, number>; files: { name: string; status: string; reason?: string }[]; ignored: { relPath: string; reason: string }[] };
    expect(summary.totals).toMatchObject({ uploaded: 1, failed: 2 });
    expect(summary.files.filter((f) => f.status === 'failed').map((f) => f.reason)).toEqual([expect.stringMatching(/control characters/), expect.stringMatching(/control characters/)]);
    expect(summary.ignored).toEqual([{ relPath: 'DSJ0002_100002_20260312083000_0004.MP4', reason: 'symlink leaves the folder' }]);
    expect((await evidenceState(env)).recordings).toBe(before + 1);
    const { rows } = await env.ctx.pool.query("SELECT filename FROM recordings WHERE filename LIKE 'DSJ0002%'");
    expect(rows).toEqual([{ filename: 'DSJ0002_100002_20260312080000_0001.MP4' }]);
  } finally {
    await server.close();
    await rm(station, { recursive: true, force: true });
  }
  await nothingEscaped();
});
