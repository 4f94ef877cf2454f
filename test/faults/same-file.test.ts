import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dockMain } from '../../src/dock/main';
import { seedBureau } from '../support/bureau';
import { startTestEnv, userWithToken, type TestEnv } from '../support/harness';
import { listen } from '../support/listen';
import { storageSettings, type TestServer } from '../support/s3rver';
import { footage, MiB, objectKeys, tusClient } from './upload-helpers';

/*
 * Issue 8, "two stations upload the same file at the same moment → one recording", for resumable (tus) uploads
 * (test/ingest/multipart.test.ts has it for multipart POSTs). The unique SHA-256 decides: one recording, one
 * object; per API.md a finished upload answers as the multipart ingest does, so both stations are told the same
 * recording id, the second with X-Recording-Duplicate: true.
 */
describe.each(['filesystem', 'minio'] as const)('the same file from two stations at once, on the %s store', (driver) => {
  let env: TestEnv;
  let s3: TestServer | undefined;
  let stations: [string, string];
  let dir: string;
  let served: Awaited<ReturnType<typeof listen>>;

  beforeAll(async () => {
    const chosen = await storageSettings(driver);
    s3 = chosen.s3;
    env = await startTestEnv({ ...chosen.settings, MINIO_BUCKET: 'evidence' });
    stations = [(await seedBureau(env)).station, await userWithToken(env, 'dock-02', 'station')];
    dir = await mkdtemp(path.join(tmpdir(), 'bce-samefile-'));
    served = await listen(env.app);
  });
  afterAll(async () => {
    await served?.close();
    await env?.close();
    await s3?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const query = async (sql: string, params: unknown[] = []) => (await env.ctx.pool.query(sql, params)).rows;

  /** Nothing of either upload is left half-way: no data files, no multipart upload on record or on the server. */
  async function nothingHalfWay(): Promise<void> {
    expect(await readdir(path.join(env.dataDir, 'uploads'))).toEqual([]);
    expect(await query('SELECT * FROM multipart_uploads')).toEqual([]);
    if (s3) expect(await s3.unfinishedUploads('evidence')).toEqual([]);
  }

  test('two tus uploads finishing together: one recording and one object; both told its id, the second as a duplicate', async () => {
    const name = 'DSJ0001_100001_20260314080000_0001.MP4';
    const file = await footage(dir, name, 6 * MiB);
    const clients = stations.map((token) => tusClient(served.base, token));
    const ids = await Promise.all(clients.map((c) => c.create(file.bytes.length, { filename: name, sha256: file.sha256 })));
    const half = 3 * MiB;
    await Promise.all(clients.map(async (c, i) => expect((await c.patch(ids[i]!, 0, file.bytes.subarray(0, half))).status).toBe(204)));

    // The last bytes of both at the same moment: both ingests run side by side.
    const answers = await Promise.all(clients.map((c, i) => c.patch(ids[i]!, half, file.bytes.subarray(half))));

    expect(answers.map((a) => a.status)).toEqual([204, 204]);
    const told = answers.map((a) => ({ id: a.headers.get('x-recording-id'), sha256: a.headers.get('x-content-sha256'), duplicate: a.headers.get('x-recording-duplicate') }));
    const recordings = await query('SELECT id, sha256, object_key FROM recordings');
    expect(recordings).toEqual([{ id: told[0]!.id, sha256: file.sha256, object_key: expect.any(String) }]);
    expect(told.map((t) => t.id)).toEqual([recordings[0].id, recordings[0].id]);
    expect(told.map((t) => t.sha256)).toEqual([file.sha256, file.sha256]);
    expect(told.map((t) => t.duplicate).sort()).toEqual(['false', 'true']);
    // The loser's copy was removed after the commit: the store holds the recording's object only.
    expect(await objectKeys(env.ctx.store)).toEqual([recordings[0].object_key]);
    // One ingest on the record, one duplicate; the processing is queued once.
    const custody = await query('SELECT action, actor FROM custody_events WHERE target = $1 ORDER BY action', [`recording:${recordings[0].id}`]);
    expect(custody.map((e) => e.action)).toEqual(['ingest', 'ingest_duplicate']);
    expect(custody.map((e) => e.actor).sort()).toEqual(['dock-01', 'dock-02']);
    expect(await query('SELECT job_id FROM outbox WHERE job_id = $1', [`probe-${recordings[0].id}`])).toHaveLength(1);
    // A station that lost the answer asks again with HEAD and is told the same.
    for (const [i, c] of clients.entries()) {
      const head = await c.head(ids[i]!);
      expect(head.headers.get('x-recording-id')).toBe(recordings[0].id);
      expect(head.headers.get('x-recording-duplicate')).toBe(told[i]!.duplicate);
    }
    await nothingHalfWay();
  });

  test('two docking stations run bce-dock on copies of one file at once: both succeed, one recording', async () => {
    const name = 'DSJ0002_100002_20260314090000_0001.MP4';
    const recorders = [path.join(dir, 'recorder-a'), path.join(dir, 'recorder-b')];
    await mkdir(recorders[0]!);
    await mkdir(recorders[1]!);
    const file = await footage(recorders[0]!, name, 6 * MiB);
    await copyFile(file.path, path.join(recorders[1]!, name));

    const runs = await Promise.all(
      stations.map(async (token, i) => {
        let out = '';
        const code = await dockMain({
          argv: [recorders[i]!, '--json', '--chunk-size', '1', '--state-dir', path.join(dir, `state-${i}`)],
          env: { BCE_SERVER: served.base, BCE_TOKEN: token },
          stdout: { write: (t: string) => (out += t) },
          stderr: { write: () => true, isTTY: false },
        });
        return { code, files: (JSON.parse(out) as { files: { status: string; sha256: string; recordingId: string | null }[] }).files };
      }),
    );

    expect(runs.map((r) => r.code)).toEqual([0, 0]);
    const recordings = await query('SELECT id FROM recordings WHERE sha256 = $1', [file.sha256]);
    expect(recordings).toHaveLength(1);
    for (const { files } of runs) {
      expect(files).toEqual([expect.objectContaining({ sha256: file.sha256, status: expect.stringMatching(/^(uploaded|duplicate|already-stored)$/) })]);
      // Whoever uploaded is told the one recording; a station that found it stored already has no upload to ask about.
      if (files[0]!.status !== 'already-stored') expect(files[0]!.recordingId).toBe(recordings[0].id);
    }
    expect(runs.filter((r) => r.files[0]!.status === 'uploaded')).toHaveLength(1);
    expect((await objectKeys(env.ctx.store)).length).toBe((await query('SELECT id FROM recordings')).length);
    await nothingHalfWay();
  });
});
