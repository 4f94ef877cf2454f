import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { makeClip, truncateCopy } from '../fixtures/clips';
import { seedBureau } from '../support/bureau';
import { listen } from '../support/listen';
import { startTestEnv, type TestEnv } from '../support/harness';
import { startS3rver, storageSettings, type TestServer } from '../support/s3rver';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const CAP = 3 * 1024 * 1024;

describe.each(['filesystem', 'minio'] as const)('POST /api/recordings on the %s store', (driver) => {
  let env: TestEnv;
  let s3: TestServer | undefined;
  let tokens: Awaited<ReturnType<typeof seedBureau>>;
  let dir: string;
  let clipA: string; // DSJ0001_100001_20260301083000_0001.MP4
  let clipB: string; // DSJ0001_100001_20260301084000_0002_IMP.MP4

  beforeAll(async () => {
    const chosen = await storageSettings(driver);
    s3 = chosen.s3;
    const storage = chosen.settings;
    env = await startTestEnv({ UPLOAD_MAX_BYTES: String(CAP), ...storage });
    tokens = await seedBureau(env);
    dir = await mkdtemp(path.join(tmpdir(), 'bce-clips-'));
    clipA = await makeClip(dir, 'DSJ0001_100001_20260301083000_0001.MP4');
    clipB = await makeClip(dir, 'DSJ0001_100001_20260301084000_0002_IMP.MP4', { audio: false });
  });
  afterAll(async () => {
    await env.close();
    await s3?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const upload = (token = tokens.station) => request(env.app).post('/api/recordings').set('Authorization', `Bearer ${token}`);
  const count = async (table: string) => Number((await env.ctx.pool.query(`SELECT count(*) FROM ${table}`)).rows[0].count);
  const objects = async () => {
    const keys: string[] = [];
    for await (const o of env.ctx.store.list('originals/')) keys.push(o.key);
    return keys.sort();
  };
  function rawForm(filename: string, content: Buffer, nameParameter = `filename="${filename}"`) {
    const boundary = 'bce-test-boundary';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; ${nameParameter}\r\nContent-Type: video/mp4\r\n\r\n`),
      content,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    return upload().set('Content-Type', `multipart/form-data; boundary=${boundary}`).send(body);
  }
  /** Runs `fn` and asserts it left no recording, object, custody event or outbox row behind. */
  async function changesNothing(fn: () => Promise<void>) {
    const before = { recordings: await count('recordings'), custody: await count('custody_events'), outbox: await count('outbox'), objects: await objects() };
    await fn();
    expect({ recordings: await count('recordings'), custody: await count('custody_events'), outbox: await count('outbox'), objects: await objects() }).toEqual(before);
    expect(await count('multipart_uploads')).toBe(0);
    if (s3) expect(await s3.unfinishedUploads('evidence')).toEqual([]);
  }

  test('a station docks a recorder file: metadata from its name, hashed, stored, on record and queued for processing', async () => {
    const bytes = await readFile(clipA);
    const res = await upload().field('dockedAt', '2026-03-01T18:05:00+08:00').attach('file', clipA);
    expect(res.status).toBe(201);
    expect(res.body.recordings).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        sha256: sha256(bytes),
        size: bytes.length,
        filename: 'DSJ0001_100001_20260301083000_0001.MP4',
        status: 'received',
        recorderSerial: 'DSJ0001',
        badgeNo: '100001',
        startedAt: '2026-03-01T00:30:00.000Z', // 08:30 in Asia/Shanghai
        important: false,
        duplicate: false,
      },
    ]);
    const id = res.body.recordings[0].id as string;
    const stored = await readFile(clipA);
    const fromStore = await env.ctx.store.get(`originals/${id.slice(0, 2)}/${id}`);
    const chunks: Buffer[] = [];
    for await (const c of fromStore) chunks.push(c as Buffer);
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(stored));

    const row = (await env.ctx.pool.query('SELECT docked_at, ingested_at, seq, container, upload_method, uploaded_by FROM recordings WHERE id = $1', [id])).rows[0];
    expect(row.docked_at.toISOString()).toBe('2026-03-01T10:05:00.000Z');
    expect(row).toMatchObject({ seq: 1, container: 'mp4', upload_method: 'multipart' });
    const custody = (await env.ctx.pool.query("SELECT actor, action, detail FROM custody_events WHERE target = $1", [`recording:${id}`])).rows;
    expect(custody).toEqual([{ actor: 'dock-01', action: 'ingest', detail: expect.objectContaining({ sha256: sha256(bytes), filename: 'DSJ0001_100001_20260301083000_0001.MP4' }) }]);
    const outbox = (await env.ctx.pool.query('SELECT job_name, job_id, payload FROM outbox WHERE job_id = $1', [`probe-${id}`])).rows;
    expect(outbox).toEqual([{ job_name: 'probe', job_id: `probe-${id}`, payload: { recordingId: id } }]);
  });

  test('the same content again is the existing recording, with no second object or row', async () => {
    const objectsBefore = await objects();
    const res = await upload().attach('file', clipA);
    expect(res.status).toBe(200);
    expect(res.body.recordings[0]).toMatchObject({ duplicate: true, filename: 'DSJ0001_100001_20260301083000_0001.MP4' });
    expect(await objects()).toEqual(objectsBefore);
    expect(await count('recordings')).toBe(1);
  });

  test('concurrent uploads of one file make one recording and one object', async () => {
    const clip = await makeClip(dir, 'DSJ0002_100002_20260301090000_0001.MP4');
    const before = await objects();
    const results = await Promise.all([1, 2, 3, 4].map(() => upload().attach('file', clip)));
    const ids = new Set(results.map((r) => r.body.recordings[0].id));
    expect(ids.size).toBe(1);
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 201]);
    expect((await objects()).length).toBe(before.length + 1);
    expect(Number((await env.ctx.pool.query('SELECT count(*) FROM recordings WHERE filename = $1', ['DSJ0002_100002_20260301090000_0001.MP4'])).rows[0].count)).toBe(1);
  });

  test('two file parts with the same content: one recording, the second a duplicate; the IMP flag marks it important', async () => {
    const res = await upload().attach('file', clipB).attach('file', clipB);
    expect(res.status).toBe(201);
    const [first, second] = res.body.recordings;
    expect(first).toMatchObject({ duplicate: false, important: true, startedAt: '2026-03-01T00:40:00.000Z' });
    expect(second).toMatchObject({ duplicate: true, id: first.id });
  });

  test('a truncated MP4 is footage and is accepted', async () => {
    const cut = await truncateCopy(await makeClip(dir, 'whole.mp4', { seconds: 2 }), path.join(dir, 'DSJ0003_200001_20260302100000_0001.MP4'));
    const res = await upload().attach('file', cut);
    expect(res.status).toBe(201);
    expect(res.body.recordings[0]).toMatchObject({ badgeNo: '200001', recorderSerial: 'DSJ0003' });
  });

  test('explicit fields override the name; a file of another officer\'s recorder is accepted as named', async () => {
    const clip = await makeClip(dir, 'VID_0042.mp4');
    const res = await upload()
      .field('recorderSerial', 'DSJ0003')
      .field('badgeNo', '100002')
      .field('startedAt', '2026-03-02T09:00:00+08:00')
      .field('important', 'true')
      .attach('file', clip);
    expect(res.status).toBe(201);
    expect(res.body.recordings[0]).toMatchObject({ recorderSerial: 'DSJ0003', badgeNo: '100002', startedAt: '2026-03-02T01:00:00.000Z', important: true });
  });

  test('without a badge, the recorder\'s holder at that time is the officer', async () => {
    const clip = await makeClip(dir, 'clip.mp4');
    const res = await upload().field('recorderSerial', 'DSJ0002').field('startedAt', '2026-03-03 08:00:00').attach('file', clip);
    expect(res.status).toBe(201);
    expect(res.body.recordings[0].badgeNo).toBe('100002');
  });

  test('an officer uploads their own footage, not another\'s; dockedAt is only taken from stations', async () => {
    const own = await makeClip(dir, 'DSJ0001_100001_20260304080000_0001.MP4');
    const res = await upload(tokens.officer).field('dockedAt', '2020-01-01T00:00:00Z').attach('file', own);
    expect(res.status).toBe(201);
    const docked = (await env.ctx.pool.query('SELECT docked_at FROM recordings WHERE id = $1', [res.body.recordings[0].id])).rows[0].docked_at as Date;
    expect(Math.abs(docked.getTime() - Date.now())).toBeLessThan(60_000);
    const other = await makeClip(dir, 'DSJ0002_100002_20260304080000_0001.MP4');
    await changesNothing(async () => {
      const refused = await upload(tokens.officer).attach('file', other);
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('not_own_footage');
    });
  });

  describe('refused with a clear error, and nothing stored', () => {
    type Case = [string, () => Promise<request.Response>, number, string, string?];
    const cases: Case[] = [
      ['a text file named .MP4', async () => upload().attach('file', Buffer.from('not a video, just text\n'.repeat(40)), 'DSJ0001_100001_20260305080000_0001.MP4'), 415, 'not_media'],
      ['a zero-byte file', async () => upload().attach('file', Buffer.alloc(0), 'DSJ0001_100001_20260305080000_0001.MP4'), 415, 'empty_file'],
      ['random bytes named .MP4', async () => upload().attach('file', randomBytes(4096), 'DSJ0001_100001_20260305080000_0001.MP4'), 415, 'not_media'],
      // Raw bodies: a form library would quietly strip the path or refuse the name before it is sent.
      ['a name with ../', async () => rawForm('../DSJ0001_100001_20260305080000_0001.MP4', await readFile(clipA)), 400, 'invalid_filename'],
      // Raw control bytes break the part header itself (400 malformed_multipart); RFC 5987's encoded form carries them in.
      ['a name with control characters', async () => rawForm('', await readFile(clipA), `filename*=UTF-8''DSJ0001_100001_%07%1B_0001.MP4`), 400, 'invalid_filename'],
      ['a 300-character name', async () => rawForm(`${'A'.repeat(296)}.MP4`, await readFile(clipA)), 400, 'invalid_filename'],
      ['an unknown badge', async () => upload().attach('file', await makeClip(dir, 'DSJ0001_999999_20260305080000_0001.MP4')), 422, 'unknown_officer', 'badgeNo'],
      ['an unknown recorder', async () => upload().attach('file', await makeClip(dir, 'DSJ9999_100001_20260305080000_0001.MP4')), 422, 'unknown_recorder', 'recorderSerial'],
      ['a malformed startedAt', async () => upload().field('startedAt', '2026-02-30 25:00').attach('file', await makeClip(dir, 'DSJ0001_100001_20260305080000_0001.MP4')), 400, 'invalid_field', 'startedAt'],
      ['no start time at all', async () => upload().field('recorderSerial', 'DSJ0001').attach('file', await makeClip(dir, 'movie.mp4')), 400, 'missing_field', 'startedAt'],
      ['a wrong sha256', async () => upload().field('sha256', 'a'.repeat(64)).attach('file', await makeClip(dir, 'DSJ0001_100001_20260305081000_0001.MP4')), 422, 'sha256_mismatch', 'sha256'],
      ['a sha256 field with two files', async () => upload().field('sha256', sha256(await readFile(clipA))).attach('file', await makeClip(dir, 'DSJ0001_100001_20260305082000_0001.MP4')).attach('file', await makeClip(dir, 'DSJ0001_100001_20260305083000_0002.MP4')), 400, 'sha256_with_many_files', 'sha256'],
      ['a field after a file part', async () => upload().attach('file', await makeClip(dir, 'DSJ0001_100001_20260305084000_0001.MP4')).field('important', 'true'), 400, 'field_after_file', 'important'],
      ['a request whose second file is bad (the first is not kept either)', async () => upload().attach('file', await makeClip(dir, 'DSJ0001_100001_20260305085000_0001.MP4')).attach('file', Buffer.from('hello'), 'DSJ0001_100001_20260305090000_0002.MP4'), 415, 'not_media'],
      ['a file over the size cap', async () => upload().attach('file', Buffer.concat([await readFile(clipA), randomBytes(CAP)]), 'DSJ0001_100001_20260305091000_0001.MP4'), 413, 'too_large'],
      ['an unknown field', async () => upload().field('officer', 'x').attach('file', await makeClip(dir, 'DSJ0001_100001_20260305092000_0001.MP4')), 400, 'unknown_field', 'officer'],
      ['a form with no file', async () => upload().field('recorderSerial', 'DSJ0001'), 400, 'no_file'],
      ['a JSON body', async () => upload().send({ file: 'x' }), 415, 'unsupported_media_type'],
    ];
    // A rest parameter: jest would take a fifth named parameter for a done callback.
    test.each(cases)('%s', async (...[, send, status, code, field]: Case) => {
      await changesNothing(async () => {
        const res = await send();
        expect(res.status).toBe(status);
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(res.body.code).toBe(code);
        if (field) expect(res.body.field).toBe(field);
        expect(res.body.detail).toEqual(expect.any(String));
      });
    });
  });

  test('a client that disconnects mid-upload leaves no recording, object or multipart upload', async () => {
    const { port, close } = await listen(env.app);
    try {
      await changesNothing(async () => {
        const boundary = 'bce-boundary';
        const head = Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="DSJ0001_100001_20260306080000_0001.MP4"\r\nContent-Type: video/mp4\r\n\r\n`,
        );
        const clip = await readFile(clipA);
        const req = http.request({
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/recordings',
          headers: { Authorization: `Bearer ${tokens.station}`, 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': 20 * 1024 * 1024 },
        });
        req.on('error', () => undefined);
        req.write(head);
        req.write(clip);
        // s3 needs more than one 5 MiB part in flight to exercise the multipart path.
        req.write(Buffer.concat([randomBytes(6 * 1024 * 1024)]));
        await new Promise((r) => setTimeout(r, 300));
        req.destroy();
        await new Promise((r) => setTimeout(r, 700));
      });
    } finally {
      await close();
    }
  });

  test('a client that disconnects at any moment (mid-check, just after a part) leaves nothing, no open temp file either', async () => {
    const { port, close } = await listen(env.app);
    const clip = await readFile(clipA);
    try {
      await changesNothing(async () => {
        for (const [bytes, delayMs] of [[100, 0], [100, 2], [clip.length, 0], [clip.length, 20], [clip.length, 80]] as const) {
          const boundary = 'bce-cut';
          const req = http.request({
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/api/recordings',
            headers: { Authorization: `Bearer ${tokens.station}`, 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': 50 * 1024 * 1024 },
          });
          req.on('error', () => undefined);
          req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="DSJ0001_100001_20260308080000_0001.MP4"\r\n\r\n`);
          req.write(Buffer.concat([clip.subarray(0, bytes - 16), randomBytes(16)]));
          if (bytes === clip.length) req.write(`\r\n--${boundary}\r\n`);
          await new Promise((r) => setTimeout(r, delayMs));
          req.destroy();
        }
        await new Promise((r) => setTimeout(r, 1500));
      });
      if (driver === 'filesystem') {
        expect(await readdir(path.join(env.dataDir, 'objects', '.incoming'))).toEqual([]);
      }
    } finally {
      await close();
    }
  });

  test('a refused file is answered at once, not after the client has sent all of it', async () => {
    const { port, close } = await listen(env.app);
    try {
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const boundary = 'bce-early';
        const req = http.request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/api/recordings',
            headers: { Authorization: `Bearer ${tokens.station}`, 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': 500 * 1024 * 1024 },
          },
          (res) => {
            let body = '';
            res.on('data', (d) => (body += d));
            res.on('end', () => resolve({ status: res.statusCode!, body }));
          },
        );
        req.on('error', reject);
        req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="DSJ0001_100001_20260308090000_0001.MP4"\r\n\r\n`);
        req.write(Buffer.from('not a video at all\n'.repeat(4000))); // 76 KB of the 500 MB announced, then nothing
        setTimeout(() => reject(new Error('no answer before the body was complete')), 5000);
      });
      expect(answer.status).toBe(415);
      expect(JSON.parse(answer.body).code).toBe('not_media');
    } finally {
      await close();
    }
  });

  test('UTF-8 file names are kept as sent; a field repeated after a file is refused', async () => {
    const named = await upload().field('recorderSerial', 'DSJ0001').field('startedAt', '2026-03-09T08:00:00+08:00').attach('file', await makeClip(dir, 'x.mp4'), '执法记录_张三.MP4');
    expect(named.status).toBe(201);
    expect(named.body.recordings[0].filename).toBe('执法记录_张三.MP4');
    await changesNothing(async () => {
      const res = await upload().field('important', 'false').attach('file', await makeClip(dir, 'DSJ0001_100001_20260309090000_0001.MP4')).field('important', 'true');
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'field_after_file', field: 'important' });
    });
  });

  test('an officer whose upload matches another officer\'s footage is not told whose it is', async () => {
    const clip = await makeClip(dir, 'DSJ0002_100002_20260309100000_0001.MP4');
    expect((await upload().attach('file', clip)).status).toBe(201);
    const res = await upload(tokens.officer).field('recorderSerial', 'DSJ0001').field('badgeNo', '100001').field('startedAt', '2026-03-09T10:00:00+08:00').attach('file', clip, 'mine.MP4');
    expect(res.status).toBe(200);
    expect(res.body.recordings[0]).toMatchObject({ duplicate: true, badgeNo: '100001', filename: 'mine.MP4', recorderSerial: 'DSJ0001' });
  });

  test('lookup tells a station which hashes are stored', async () => {
    const known = sha256(await readFile(clipA));
    const res = await request(env.app)
      .post('/api/recordings/lookup')
      .set('Authorization', `Bearer ${tokens.station}`)
      .send({ sha256: [known.toUpperCase(), 'b'.repeat(64)] });
    expect(res.body).toEqual({ known: [known] });
    const bad = await request(env.app).post('/api/recordings/lookup').set('Authorization', `Bearer ${tokens.station}`).send({ sha256: ['xyz'] });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('sha256.0');
  });

  test('a recording reads back for its officer and in-scope supervisors only', async () => {
    const { rows } = await env.ctx.pool.query("SELECT id FROM recordings WHERE filename = 'DSJ0001_100001_20260301083000_0001.MP4'");
    const id = rows[0].id as string;
    const get = (token: string) => request(env.app).get(`/api/recordings/${id}`).set('Authorization', `Bearer ${token}`);
    const res = await get(tokens.supervisorZF1);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, unitCode: 'ZF1', badgeNo: '100001', recorderSerial: 'DSJ0001', status: 'received', dockedAt: '2026-03-01T10:05:00.000Z', cases: [] });
    expect((await get(tokens.officer)).status).toBe(200);
    expect((await get(tokens.supervisorZF2)).status).toBe(403);
    expect((await get(tokens.station)).status).toBe(403);
    expect((await request(env.app).get('/api/recordings/not-a-uuid').set('Authorization', `Bearer ${tokens.admin}`)).status).toBe(404);
  });

  test('storage unavailable → 503 with Retry-After, nothing recorded', async () => {
    const clip = await makeClip(dir, 'DSJ0001_100001_20260307080000_0001.MP4');
    const before = await count('recordings');
    const restore = await breakStorage();
    try {
      const res = await upload().attach('file', clip);
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBeDefined();
      expect(res.body.code).toBe('storage_unavailable');
    } finally {
      await restore();
    }
    expect(await count('recordings')).toBe(before);
    const again = await upload().attach('file', clip);
    expect(again.status).toBe(201);
  });

  async function breakStorage(): Promise<() => Promise<void>> {
    if (driver === 'minio') {
      const { port } = new URL(s3!.endPoint);
      const directory = s3!.directory;
      await s3!.close({ keepDirectory: true });
      return async () => {
        s3 = await startS3rver('implemented', { port: Number(port), directory });
      };
    }
    // The filesystem store writes through objects/.incoming: a plain file in its place makes every put fail.
    const incoming = path.join(env.dataDir, 'objects', '.incoming');
    await rm(incoming, { recursive: true, force: true });
    await writeFile(incoming, 'in the way');
    return async () => {
      await rm(incoming, { force: true });
    };
  }
});
