import { get as httpGet } from 'node:http';
import { readdir, readlink, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { eventHash, GENESIS_HASH } from '../../src/custody/chain';
import type { CustodyEvent } from '../../src/custody/log';
import { packagePath } from '../../src/evidence/export';
import { originalKey } from '../../storage/keys';
import { seedBureau } from '../support/bureau';
import { startTestEnv, userWithToken, type TestEnv } from '../support/harness';
import { listen } from '../support/listen';
import { caseWith, exportUrl, fakeMp4, getBytes, ingest, sha256, unzip } from './helpers';

let env: TestEnv;
let tokens: Awaited<ReturnType<typeof seedBureau>>;
let reviewerZF1: string;
let reviewerZF2: string;
let integration: string;

beforeAll(async () => {
  env = await startTestEnv();
  tokens = await seedBureau(env);
  reviewerZF1 = await userWithToken(env, 'rev-zf1', 'reviewer', { unitCode: 'ZF1' });
  reviewerZF2 = await userWithToken(env, 'rev-zf2', 'reviewer', { unitCode: 'ZF2' });
  integration = await userWithToken(env, 'penalty-system', 'integration');
}, 60_000);
afterAll(() => env.close());

const get = (token: string, url: string) => request(env.app).get(url).set('Authorization', `Bearer ${token}`);
const objectPath = (id: string) => path.join(env.dataDir, 'objects', ...originalKey(id).split('/'));
const eventsOf = async (target: string, action: string) =>
  (await env.ctx.pool.query('SELECT seq, actor, detail FROM custody_events WHERE target = $1 AND action = $2 ORDER BY seq', [target, action])).rows;

test('a case with two officers’ footage exports every original as stored, its custody events chained, and the log head', async () => {
  const CASE = '某交执罚〔2023〕123号';
  const zhang = fakeMp4(200_000);
  const li = fakeMp4(150_000);
  const zhangId = await ingest(env, tokens.station, 'DSJ0001_20230504_091000_0001.MP4', zhang);
  const liId = await ingest(env, tokens.station, 'DSJ0002_20230504_090500_0007.MP4', li);
  const otherId = await ingest(env, tokens.station, 'DSJ0001_20230504_100000_0002.MP4', fakeMp4(1000));
  await caseWith(env, tokens, CASE, [zhangId, liId, otherId]);
  // Unlinked again: no longer the case's footage, so neither in the package nor among the case's events.
  expect((await request(env.app).delete(`/api/cases/${encodeURIComponent(CASE)}/links/${otherId}?reason=wrong`).set('Authorization', `Bearer ${tokens.supervisorZF1}`)).status).toBe(204);

  const res = await getBytes(env, reviewerZF1, exportUrl(CASE));
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('application/zip');
  expect(res.headers['content-disposition']).toContain(`filename*=UTF-8''${encodeURIComponent(CASE)}.zip`);
  const entries = await unzip(res.body as Buffer);
  expect(entries.map((e) => e.name)).toEqual([
    `originals/100002/20230504T010500Z_${liId.slice(0, 8)}_DSJ0002_20230504_090500_0007.MP4`,
    `originals/100001/20230504T011000Z_${zhangId.slice(0, 8)}_DSJ0001_20230504_091000_0001.MP4`,
    'custody.json',
    'manifest.json',
  ]);
  const manifest = JSON.parse(entries[3]!.data.toString('utf8'));
  expect(manifest).toEqual({
    caseNo: CASE,
    exportedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    exportedBy: 'rev-zf1',
    custodyHead: expect.stringMatching(/^[0-9a-f]{64}$/),
    files: [
      { path: entries[0]!.name, recordingId: liId, sha256: sha256(li), size: li.length },
      { path: entries[1]!.name, recordingId: zhangId, sha256: sha256(zhang), size: zhang.length },
    ],
    deleted: [],
  });
  // The originals as stored, uncompressed, each the bytes and size the manifest states.
  for (const [i, original] of [li, zhang].entries()) {
    expect(entries[i]!.compressionMethod).toBe(0);
    expect(Buffer.compare(entries[i]!.data, original)).toBe(0);
    expect(sha256(entries[i]!.data)).toBe(manifest.files[i].sha256);
  }

  // custody.json: the case's events, each hash recomputable, chained where consecutive, the export last.
  const custody = JSON.parse(entries[2]!.data.toString('utf8')) as { caseNo: string; events: CustodyEvent[] };
  const events = custody.events;
  for (const [i, e] of events.entries()) {
    expect(eventHash(e.prevHash, e)).toBe(e.hash);
    if (e.seq === 1) expect(e.prevHash).toBe(GENESIS_HASH);
    if (i > 0 && events[i - 1]!.seq === e.seq - 1) expect(e.prevHash).toBe(events[i - 1]!.hash);
  }
  expect(events.every((e) => [`case:${CASE}`, `recording:${zhangId}`, `recording:${liId}`].includes(e.target))).toBe(true);
  expect(events.map((e) => `${e.action} ${e.target}`).slice(-3)).toEqual([`export recording:${liId}`, `export recording:${zhangId}`, `export case:${CASE}`]);
  expect(events.at(-1)).toMatchObject({ actor: 'rev-zf1', at: manifest.exportedAt, hash: manifest.custodyHead, detail: { recordingIds: [liId, zhangId], files: 2, deleted: [] } });
  expect(events.at(-2)!.detail).toEqual({ caseNo: CASE, sha256: sha256(zhang), size: zhang.length, path: entries[1]!.name });
  expect(events.filter((e) => e.action === 'ingest').map((e) => e.target)).toEqual([`recording:${zhangId}`, `recording:${liId}`]);
  // The head printed into the package is the whole log's head at export time.
  expect((await get(tokens.admin, '/api/custody/verify')).body).toMatchObject({ ok: true, head: manifest.custodyHead });

  // The export is among the case's events and each recording's.
  const byCase = await get(reviewerZF1, `/api/custody?caseNo=${encodeURIComponent(CASE)}`);
  expect(byCase.status).toBe(200);
  expect(byCase.body.items).toEqual(events);
  const byRecording = await get(reviewerZF1, `/api/custody?recordingId=${zhangId}`);
  expect(byRecording.body.items.at(-1)).toMatchObject({ action: 'export', actor: 'rev-zf1', detail: { caseNo: CASE } });
  const paged = await get(tokens.admin, `/api/custody?caseNo=${encodeURIComponent(CASE)}&limit=2`);
  expect(paged.body).toEqual({ items: events.slice(0, 2), nextAfterSeq: events[1]!.seq });
  // The unlinked recording's events are its own, not the case's (each link change re-dates its retention).
  expect((await get(tokens.admin, `/api/custody?recordingId=${otherId}`)).body.items.map((e: CustodyEvent) => e.action)).toEqual([
    'ingest', 'link', 'retention', 'unlink', 'retention',
  ]);
});

test('package paths: per officer, in time order, readable, never two alike, never outside the folder', () => {
  const taken = new Set<string>();
  const rec = { id: '0123abcd-0000-4000-8000-000000000001', badgeNo: '100001', startedAt: '2023-05-04T01:10:00.000Z' };
  expect(packagePath(rec, 'DSJ0001_20230504_091000_0001.MP4', taken)).toBe('originals/100001/20230504T011000Z_0123abcd_DSJ0001_20230504_091000_0001.MP4');
  const twin = { ...rec, id: '0123abcd-0000-4000-8000-000000000002' };
  expect(packagePath(twin, 'DSJ0001_20230504_091000_0001.MP4', taken)).toBe(`originals/100001/20230504T011000Z_${twin.id}_DSJ0001_20230504_091000_0001.MP4`);
  expect(packagePath({ ...rec, id: 'ffffffff-0000-4000-8000-000000000003' }, '../a\\b:c?.MP4', taken)).toBe('originals/100001/20230504T011000Z_ffffffff___a_b_c_.MP4');
});

test('custody by case: in scope only, a known case, and not together with a recording', async () => {
  const CASE = 'ZF1-SCOPE-1';
  await caseWith(env, tokens, CASE, []);
  const url = `/api/custody?caseNo=${CASE}`;
  expect((await get(tokens.supervisorZF1, url)).body.items.map((e: CustodyEvent) => e.action)).toEqual([]);
  // A case without footage still exports: its documents alone, the export its only event.
  const empty = await unzip((await getBytes(env, tokens.supervisorZF1, exportUrl(CASE))).body as Buffer);
  expect(empty.map((e) => e.name)).toEqual(['custody.json', 'manifest.json']);
  expect((await get(tokens.supervisorZF1, url)).body.items.map((e: CustodyEvent) => `${e.action} ${e.target}`)).toEqual([`export case:${CASE}`]);
  expect((await get(tokens.supervisorZF2, url)).status).toBe(403);
  expect((await get(reviewerZF2, url)).status).toBe(403);
  expect((await get(tokens.officer, url)).status).toBe(403);
  expect((await get(tokens.admin, '/api/custody?caseNo=NOPE-1')).status).toBe(404);
  const both = await get(tokens.admin, `${url}&recordingId=00000000-0000-4000-8000-000000000000`);
  expect(both.status).toBe(400);
  expect(both.body).toMatchObject({ code: 'conflicting_filters', field: 'caseNo' });
});

test('export needs the permission and the case in scope; a refusal exports nothing and records nothing', async () => {
  const CASE = 'ZF1-SCOPE-2';
  await caseWith(env, tokens, CASE, [await ingest(env, tokens.station, 'DSJ0001_20230601_080000_0001.MP4', fakeMp4(5000))]);
  const before = (await env.ctx.pool.query(`SELECT count(*)::int AS n FROM custody_events WHERE action = 'export'`)).rows[0].n;
  expect((await get(reviewerZF2, exportUrl(CASE))).status).toBe(403);
  expect((await get(tokens.supervisorZF2, exportUrl(CASE))).status).toBe(403);
  expect((await get(tokens.officer, exportUrl(CASE))).status).toBe(403);
  expect((await get(tokens.station, exportUrl(CASE))).status).toBe(403);
  expect((await get(integration, exportUrl(CASE))).status).toBe(403);
  const unknown = await get(tokens.admin, exportUrl('NOPE-2'));
  expect(unknown.status).toBe(404);
  expect(unknown.headers['content-type']).toContain('application/problem+json');
  expect((await request(env.app).head(exportUrl(CASE)).set('Authorization', `Bearer ${tokens.admin}`)).status).toBe(200);
  expect((await env.ctx.pool.query(`SELECT count(*)::int AS n FROM custody_events WHERE action = 'export'`)).rows[0].n).toBe(before);
  // The admin and the unit's supervisor may.
  expect((await getBytes(env, tokens.admin, exportUrl(CASE))).status).toBe(200);
  expect((await getBytes(env, tokens.supervisorZF1, exportUrl(CASE))).status).toBe(200);
});

test('footage whose bytes retention removed is listed as deleted, not packed', async () => {
  const CASE = 'ZF1-DELETED-1';
  const kept = fakeMp4(3000);
  const keptId = await ingest(env, tokens.station, 'DSJ0002_20230701_080000_0001.MP4', kept);
  const goneBytes = fakeMp4(4000);
  const goneId = await ingest(env, tokens.station, 'DSJ0002_20230701_090000_0002.MP4', goneBytes);
  await caseWith(env, tokens, CASE, [keptId, goneId]);
  // What the retention run leaves: a tombstone row (with its deletion time where the schema has one), no bytes.
  const stamped = (await env.ctx.pool.query(`SELECT 1 FROM information_schema.columns WHERE table_name = 'recordings' AND column_name = 'deleted_at'`)).rowCount;
  await env.ctx.pool.query(`UPDATE recordings SET status = 'deleted'${stamped ? ', deleted_at = now()' : ''} WHERE id = $1`, [goneId]);
  await env.ctx.store.remove(originalKey(goneId));

  const res = await getBytes(env, tokens.admin, exportUrl(CASE));
  expect(res.status).toBe(200);
  const entries = await unzip(res.body as Buffer);
  expect(entries.map((e) => e.name)).toEqual([expect.stringMatching(new RegExp(`^originals/100002/20230701T000000Z_${keptId.slice(0, 8)}_`)), 'custody.json', 'manifest.json']);
  const manifest = JSON.parse(entries[2]!.data.toString('utf8'));
  expect(manifest.files.map((f: { recordingId: string }) => f.recordingId)).toEqual([keptId]);
  expect(manifest.deleted).toEqual([{ recordingId: goneId, sha256: sha256(goneBytes) }]);
  expect(await eventsOf(`case:${CASE}`, 'export')).toEqual([{ seq: expect.any(Number), actor: 'root', detail: { recordingIds: [keptId], files: 1, deleted: [goneId] } }]);
  expect(await eventsOf(`recording:${goneId}`, 'export')).toEqual([]);
});

/** A GET over a real socket, reporting whether the response arrived complete (a cut one is not). */
function rawGet(base: string, url: string, token: string, onFirstData?: (stop: () => void) => void): Promise<{ status: number; body: Buffer; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const req = httpGet(`${base}${url}`, { headers: { Authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        if (chunks.push(c) === 1 && onFirstData) {
          res.pause(); // a client that stops reading: the server is held by backpressure until it hangs up
          onFirstData(() => req.destroy());
        }
      });
      res.on('error', () => undefined);
      res.on('close', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks), complete: res.complete }));
    });
    req.on('error', (err) => (onFirstData ? undefined : reject(err)));
  });
}

test('an original that no longer matches its SHA-256 stops the export: a broken download, an error log, an integrity_failure event', async () => {
  const CASE = 'ZF1-INTEGRITY-1';
  const good = fakeMp4(64 * 1024);
  const id = await ingest(env, tokens.station, 'DSJ0001_20230801_080000_0001.MP4', good);
  await caseWith(env, tokens, CASE, [id]);
  // Behind the application's back: same size, one byte changed.
  const altered = Buffer.from(good);
  altered[good.length - 10] ^= 0xff;
  await writeFile(objectPath(id), altered);

  const logged = jest.spyOn(env.ctx.logger, 'error');
  const server = await listen(env.app);
  try {
    const res = await rawGet(server.base, exportUrl(CASE), reviewerZF1);
    expect(res.status).toBe(200);
    expect(res.complete).toBe(false);
    await expect(unzip(res.body)).rejects.toThrow();
    expect(logged).toHaveBeenCalledWith(expect.objectContaining({ recordingId: id, caseNo: CASE }), expect.stringContaining('does not match'));
    // Recorded once the transfer is cut (its own transaction, after the response was destroyed).
    const failures = () => eventsOf(`recording:${id}`, 'integrity_failure');
    expect(await until(async () => (await failures()).length === 1)).toBe(true);
    expect(await failures()).toEqual([
      {
        seq: expect.any(Number),
        actor: 'rev-zf1',
        detail: { caseNo: CASE, expected: sha256(good), actual: sha256(altered), result: 'mismatch', expectedSize: good.length, actualSize: altered.length },
      },
    ]);
    // The same finding the integrity audit would record: rule R5 of the regulation reads it.
    const audits = () => env.ctx.pool.query('SELECT result, actual_sha256 FROM integrity_audits WHERE recording_id = $1 ORDER BY id', [id]);
    expect((await audits()).rows).toEqual([{ result: 'mismatch', actual_sha256: sha256(altered) }]);

    // An original gone from the store altogether is the same failure.
    await rm(objectPath(id));
    const missing = await rawGet(server.base, exportUrl(CASE), reviewerZF1);
    expect(missing.complete).toBe(false);
    expect(await until(async () => (await failures()).length === 2)).toBe(true);
    expect((await failures())[1]!.detail).toEqual({ caseNo: CASE, expected: sha256(good), actual: null, result: 'missing', expectedSize: good.length, actualSize: null });
    expect((await audits()).rows.map((r) => r.result)).toEqual(['mismatch', 'missing']);
  } finally {
    logged.mockRestore();
    await server.close();
  }
  expect((await get(tokens.admin, '/api/custody/verify')).body.ok).toBe(true);
});

async function isOpenHere(file: string): Promise<boolean> {
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target === file) return true;
  }
  return false;
}

async function until(condition: () => Promise<boolean>, ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 25))) if (await condition()) return true;
  return condition();
}

test('a client that goes away mid-download stops the reading from the store', async () => {
  const CASE = 'ZF1-ABORT-1';
  const id = await ingest(env, tokens.station, 'DSJ0002_20230901_080000_0001.MP4', fakeMp4(32 * 1024 * 1024));
  await caseWith(env, tokens, CASE, [id]);
  const file = objectPath(id);
  const server = await listen(env.app);
  try {
    let openWhileReading = false;
    const res = await rawGet(server.base, exportUrl(CASE), tokens.admin, (stop) => {
      void until(() => isOpenHere(file)).then((open) => {
        openWhileReading = open;
        stop();
      });
    });
    expect(res.complete).toBe(false);
    expect(openWhileReading).toBe(true);
    expect(await until(async () => !(await isOpenHere(file)))).toBe(true);
  } finally {
    await server.close();
  }
  expect(await eventsOf(`recording:${id}`, 'integrity_failure')).toEqual([]);
}, 60_000);
