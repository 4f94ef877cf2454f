import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { canonicalJson } from '../../src/custody/chain';
import { makeClip } from '../fixtures/clips';
import { seedBureau } from '../support/bureau';
import { startTestEnv, type TestEnv } from '../support/harness';

let env: TestEnv;
let dir: string;
beforeAll(async () => {
  env = await startTestEnv();
  dir = await mkdtemp(path.join(tmpdir(), 'bce-custody-'));
});
afterAll(async () => {
  await env.close();
  await rm(dir, { recursive: true, force: true });
});

test('canonical JSON sorts keys at every depth and has no white space', () => {
  expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 'é' }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"y":"é","z":1}]},"b":1}');
});

test('concurrent ingests leave one unbroken chain, recomputable from the rows alone', async () => {
  const { station } = await seedBureau(env);
  const clips = await Promise.all(
    Array.from({ length: 8 }, (_, i) => makeClip(dir, `DSJ0001_100001_20260315${String(80000 + i * 100).padStart(6, '0')}_000${i}.MP4`)),
  );
  // Each clip twice, all at once: new recordings and duplicates append concurrently.
  const results = await Promise.all([...clips, ...clips].map((c) => request(env.app).post('/api/recordings').set('Authorization', `Bearer ${station}`).attach('file', c)));
  expect(results.every((r) => r.status === 200 || r.status === 201)).toBe(true);

  const { rows } = await env.ctx.pool.query('SELECT seq, at, actor, action, target, detail, prev_hash, hash FROM custody_events ORDER BY seq');
  expect(rows).toHaveLength(16);
  // Written from DESIGN.md's definition, independently of src/custody: sorted keys, no white space.
  const sorted = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sorted) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])])) : v;
  let prev = '0'.repeat(64);
  rows.forEach((r, i) => {
    expect(Number(r.seq)).toBe(i + 1);
    expect(r.prev_hash).toBe(prev);
    const body = JSON.stringify(sorted({ seq: Number(r.seq), at: (r.at as Date).toISOString(), actor: r.actor, action: r.action, target: r.target, detail: r.detail }));
    expect(r.hash).toBe(createHash('sha256').update(prev + body, 'utf8').digest('hex'));
    prev = r.hash;
  });
  expect(rows.filter((r) => r.action === 'ingest')).toHaveLength(8);
  expect(rows.filter((r) => r.action === 'ingest_duplicate')).toHaveLength(8);
});

test.each(["UPDATE custody_events SET actor = 'someone else'", 'DELETE FROM custody_events', 'TRUNCATE custody_events'])(
  'the database refuses: %s',
  async (sql) => {
    await expect(env.ctx.pool.query(sql)).rejects.toThrow(/append-only/);
  },
);
