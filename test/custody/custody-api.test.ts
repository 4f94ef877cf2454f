import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { inTransaction } from '../../src/db/pool';
import { appendCustody } from '../../src/custody/log';
import { makeClip } from '../fixtures/clips';
import { seedBureau } from '../support/bureau';
import { startTestEnv, type TestEnv } from '../support/harness';

let env: TestEnv;
let tokens: Awaited<ReturnType<typeof seedBureau>>;
let dir: string;
let recordingId: string;
let clipBytes: Buffer;

beforeAll(async () => {
  env = await startTestEnv();
  tokens = await seedBureau(env);
  dir = await mkdtemp(path.join(tmpdir(), 'bce-custody-'));
  const clip = await makeClip(dir, 'DSJ0001_20260301_083000_0001.MP4');
  clipBytes = await readFile(clip);
  const res = await request(env.app).post('/api/recordings').set('Authorization', `Bearer ${tokens.station}`).attach('file', clip);
  expect(res.status).toBe(201);
  recordingId = res.body.recordings[0].id;
}, 60_000);
afterAll(async () => {
  await env.close();
  await rm(dir, { recursive: true, force: true });
});

const get = (token: string, url: string) => request(env.app).get(url).set('Authorization', `Bearer ${token}`);

test('the original downloads as stored, with its SHA-256, in ranges, and once on record per user and window', async () => {
  const whole = await get(tokens.supervisorZF1, `/api/recordings/${recordingId}/original`).buffer(true).parse((r, cb) => {
    const chunks: Buffer[] = [];
    r.on('data', (c: Buffer) => chunks.push(c));
    r.on('end', () => cb(null, Buffer.concat(chunks)));
  });
  expect(whole.status).toBe(200);
  expect(Buffer.compare(whole.body as Buffer, clipBytes)).toBe(0);
  expect(whole.headers['x-content-sha256']).toMatch(/^[0-9a-f]{64}$/);
  expect(whole.headers['content-disposition']).toContain('DSJ0001_20260301_083000_0001.MP4');
  const part = await get(tokens.supervisorZF1, `/api/recordings/${recordingId}/original`).set('Range', 'bytes=10-19');
  expect(part.status).toBe(206);
  expect(part.headers['content-range']).toBe(`bytes 10-19/${clipBytes.length}`);
  expect((await get(tokens.supervisorZF2, `/api/recordings/${recordingId}/original`)).status).toBe(403);
  const events = await get(tokens.admin, `/api/custody?recordingId=${recordingId}`);
  expect(events.status).toBe(200);
  expect(events.body.items.map((e: { action: string; actor: string }) => `${e.action} ${e.actor}`)).toEqual(['ingest dock-01', 'download sup-zf1']);
});

test('custody events of a recording, for readers in scope; the whole log only for the admin', async () => {
  const mine = await get(tokens.supervisorZF1, `/api/custody?recordingId=${recordingId}`);
  expect(mine.status).toBe(200);
  expect(mine.body.items[0]).toMatchObject({ seq: expect.any(Number), action: 'ingest', target: `recording:${recordingId}`, prevHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  expect((await get(tokens.supervisorZF2, `/api/custody?recordingId=${recordingId}`)).status).toBe(403);
  const unfiltered = await get(tokens.supervisorZF1, '/api/custody');
  expect(unfiltered.status).toBe(400);
  expect(unfiltered.body.field).toBe('recordingId');
  expect((await get(tokens.admin, '/api/custody?recordingId=not-a-uuid')).status).toBe(400);
  expect((await get(tokens.admin, '/api/custody?limit=0')).status).toBe(400);
  const page = await get(tokens.admin, '/api/custody?limit=1');
  expect(page.body).toMatchObject({ items: [{ seq: 1 }], nextAfterSeq: 1 });
  expect((await get(tokens.admin, '/api/custody?afterSeq=1&limit=1000')).body.items[0].seq).toBe(2);
});

test('concurrent appenders keep one unbroken chain, and verify finds the first event altered or removed behind the application', async () => {
  await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      inTransaction(env.ctx.pool, (c) => appendCustody(c, { actor: `tester-${i % 4}`, action: 'view', target: `recording:${recordingId}`, detail: { n: i, 名: '张三' } })),
    ),
  );
  const ok = await get(tokens.supervisorZF2, '/api/custody/verify');
  expect(ok.status).toBe(200);
  const { rows } = await env.ctx.pool.query<{ n: number; head: string }>('SELECT count(*)::int AS n, (SELECT hash FROM custody_events ORDER BY seq DESC LIMIT 1) AS head FROM custody_events');
  expect(ok.body).toEqual({ ok: true, events: rows[0]!.n, head: rows[0]!.head });

  // The table refuses changes: only someone who switches its guard off can tamper, and verify sees it.
  await expect(env.ctx.pool.query(`UPDATE custody_events SET actor = 'someone' WHERE seq = 5`)).rejects.toThrow(/append-only/);
  const tamper = async (sql: string) => {
    await env.ctx.pool.query('ALTER TABLE custody_events DISABLE TRIGGER custody_events_no_update');
    try {
      await env.ctx.pool.query(sql);
    } finally {
      await env.ctx.pool.query('ALTER TABLE custody_events ENABLE TRIGGER custody_events_no_update');
    }
  };
  const original = (await env.ctx.pool.query('SELECT detail FROM custody_events WHERE seq = 7')).rows[0].detail;
  await tamper(`UPDATE custody_events SET detail = '{"n": 999}' WHERE seq = 7`);
  let v = (await get(tokens.admin, '/api/custody/verify')).body;
  expect(v).toMatchObject({ ok: false, firstBadSeq: 7, events: 7 });
  await tamper(`UPDATE custody_events SET detail = '${JSON.stringify(original)}' WHERE seq = 7`);
  expect((await get(tokens.admin, '/api/custody/verify')).body.ok).toBe(true);

  await tamper('DELETE FROM custody_events WHERE seq = 12');
  v = (await get(tokens.admin, '/api/custody/verify')).body;
  expect(v).toMatchObject({ ok: false, firstBadSeq: 13, reason: 'event 12 is missing' });
});
