import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { startWorkerRole, type WorkerRole } from '../../workers/worker';
import { makeClip } from '../fixtures/clips';
import { seedBureau } from '../support/bureau';
import { startTestEnv, userWithToken, type TestEnv } from '../support/harness';

let env: TestEnv;
let tokens: Awaited<ReturnType<typeof seedBureau>>;
let integration: string;
let worker: WorkerRole;
let dir: string;

beforeAll(async () => {
  env = await startTestEnv({ OUTBOX_POLL_MS: '200' });
  tokens = await seedBureau(env);
  integration = await userWithToken(env, 'penalty-system', 'integration');
  worker = startWorkerRole(env.ctx);
  dir = await mkdtemp(path.join(tmpdir(), 'bce-autolink-'));
}, 60_000);
afterAll(async () => {
  await worker.close();
  await env.close();
  await rm(dir, { recursive: true, force: true });
});

const CASE = '某交执罚〔2023〕777号';
const url = `/api/cases/${encodeURIComponent(CASE)}`;
const activity = (startedAt: string, endedAt: string, badgeNos = ['100001', '100002']) => ({ key: 'A1', type: 'inspection', badgeNos, startedAt, endedAt });
const putCase = (activities: object[]) =>
  request(env.app).put(url).set('Authorization', `Bearer ${integration}`).send({ kind: 'penalty', status: 'open', unitCode: 'ZF1', activities });

async function dock(name: string): Promise<string> {
  const clip = await makeClip(dir, name, { seconds: 2 });
  const res = await request(env.app).post('/api/recordings').set('Authorization', `Bearer ${tokens.station}`).attach('file', clip);
  expect(res.status).toBe(201);
  return res.body.recordings[0].id;
}

/** Waits until the relay and the workers have nothing left to do for this database. */
async function settledLinks(): Promise<{ id: string; link: { source: string } }[]> {
  const until = Date.now() + 20_000;
  for (;;) {
    const busy = await env.ctx.pool.query(`SELECT
      (SELECT count(*)::int FROM outbox WHERE relayed_at IS NULL) + (SELECT count(*)::int FROM recordings WHERE status IN ('received', 'processing')) AS n`);
    if (busy.rows[0].n === 0) {
      // Nothing queued or processing: give the link jobs a moment, and take two equal readings as settled.
      await new Promise((r) => setTimeout(r, 400));
      const a = (await request(env.app).get(url).set('Authorization', `Bearer ${tokens.admin}`)).body.recordings;
      await new Promise((r) => setTimeout(r, 400));
      const b = (await request(env.app).get(url).set('Authorization', `Bearer ${tokens.admin}`)).body.recordings;
      if (JSON.stringify(a) === JSON.stringify(b)) return b;
    }
    if (Date.now() > until) throw new Error('the pipeline did not settle');
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('footage docked before its case is entered is linked when the case arrives; the window has a buffer; changes re-evaluate auto-links; unlinks by hand hold', async () => {
  // 2023-05-04, bureau time. The activity runs 09:00–09:40; the buffer is 5 minutes.
  const inside = await dock('DSJ0001_20230504_091000_0001.MP4'); // officer 100001, inside
  const justAfter = await dock('DSJ0002_20230504_094400_0001.MP4'); // officer 100002, within the buffer
  const tooLate = await dock('DSJ0001_20230504_095000_0002.MP4'); // 100001, ten minutes after: not linked
  const otherOfficer = await dock('DSJ0003_20230504_091500_0001.MP4'); // 200001 took no part
  await settledLinks();

  expect((await putCase([activity('2023-05-04 09:00:00', '2023-05-04 09:40:00')])).status).toBe(201);
  let linked = await settledLinks();
  expect(linked.map((r) => r.id).sort()).toEqual([inside, justAfter].sort());
  expect(linked.every((r) => r.link.source === 'auto')).toBe(true);
  expect(linked.map((r) => r.id)).not.toContain(tooLate);
  expect(linked.map((r) => r.id)).not.toContain(otherOfficer);

  // An unlink by hand is never undone by the machine.
  const del = await request(env.app).delete(`${url}/links/${justAfter}?reason=${encodeURIComponent('另一起案件')}`).set('Authorization', `Bearer ${tokens.supervisorZF1}`);
  expect(del.status).toBe(204);
  // The activity moves to the afternoon: its auto-links go; a manual link stays.
  const manual = await request(env.app).post(`${url}/links`).set('Authorization', `Bearer ${tokens.admin}`).send({ recordingId: tooLate, reason: '补充录像' });
  expect(manual.status).toBe(201);
  expect((await putCase([activity('2023-05-04 15:00:00', '2023-05-04 15:30:00')])).status).toBe(200);
  linked = await settledLinks();
  expect(linked.map((r) => `${r.id}:${r.link.source}`)).toEqual([`${tooLate}:manual`]);

  // Back to the morning: relinked, except the pair unlinked by hand.
  await putCase([activity('2023-05-04 09:00:00', '2023-05-04 09:40:00')]);
  linked = await settledLinks();
  expect(linked.map((r) => `${r.id}:${r.link.source}`).sort()).toEqual([`${inside}:auto`, `${tooLate}:manual`].sort());

  const events = await env.ctx.pool.query(`SELECT action, actor FROM custody_events WHERE target = $1 AND action IN ('link', 'unlink') ORDER BY seq`, [`recording:${inside}`]);
  expect(events.rows).toEqual([
    { action: 'link', actor: 'system' },
    { action: 'unlink', actor: 'system' },
    { action: 'link', actor: 'system' },
  ]);
}, 90_000);
