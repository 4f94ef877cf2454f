import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { loadConfig } from '../../config/schema';
import { createScratchDatabase } from '../../scripts/scratch';
import { closeContext, createContext, type Context } from '../../src/context';
import { createApp, type App } from '../../src/http/app';
import { auditRecordings } from '../../src/integrity/audit';
import { runIntegrityAudit } from '../../src/integrity/run';
import { createLogger } from '../../src/logger';
import { FilesystemStore } from '../../storage/filesystem-store';
import { seedBureau } from '../support/bureau';
import { startTestEnv, type TestEnv } from '../support/harness';
import { docker } from '../integrity/helpers';

// Backup and restore as the README describes it: the catalog dumped with pg_dump -Fc first, the object store's
// files copied after it, both restored elsewhere, and the restored system checked with custody/verify and the
// integrity audit. Copying the objects before the dump is the wrong order, and the test shows what it loses.

const exec = promisify(execFile);

let env: TestEnv;
let tokens: Awaited<ReturnType<typeof seedBureau>>;
let work: string;
let restoredDb: Awaited<ReturnType<typeof createScratchDatabase>> | undefined;

beforeAll(async () => {
  env = await startTestEnv({ INTEGRITY_AUDIT_AT: 'off', RETENTION_RUN_AT: 'off' });
  tokens = await seedBureau(env);
  work = await mkdtemp(path.join(tmpdir(), 'bce-backup-'));
}, 60_000);
afterAll(async () => {
  await restoredDb?.drop();
  await env.close();
  await rm(work, { recursive: true, force: true });
});

/** pg_dump and pg_restore of the server's own major version (Debian keeps each in /usr/lib/postgresql/<major>/bin). */
async function pgTool(name: 'pg_dump' | 'pg_restore'): Promise<string> {
  const { rows } = await env.ctx.pool.query<{ v: string }>('SHOW server_version_num');
  const major = Math.floor(Number(rows[0]!.v) / 10_000);
  const exact = `/usr/lib/postgresql/${major}/bin/${name}`;
  return existsSync(exact) ? exact : name;
}

const admin = (app: App['app'], url: string) => request(app).get(url).set('Authorization', `Bearer ${tokens.admin}`);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A system of its own (Context and app) on the given database and data folder, as a restored deployment starts. */
async function startOn(databaseUrl: string, dataDir: string): Promise<{ ctx: Context; app: App; close(): Promise<void> }> {
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    REDIS_PREFIX: `${env.config.redis.prefix}-restored`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_POOL_SIZE: '3',
  });
  const ctx = await createContext(config, 'restored', createLogger(config.logLevel));
  const app = createApp(ctx);
  return {
    ctx,
    app,
    async close() {
      await app.close();
      const keys = await ctx.redis.keys(`${config.redis.prefix}:*`);
      if (keys.length) await ctx.redis.del(...keys);
      await closeContext(ctx);
    },
  };
}

test('pg_dump of the catalog, objects copied after it, restored into an empty database: custody verifies with the same head, originals download intact, the audit finds every object', async () => {
  const dock = docker(env, tokens.station, work);
  // A small catalog: two clips, a case they are linked to, views on the custody record.
  const [a, b] = [await dock(), await dock()];
  const caseNo = '某交执罚〔2026〕7号';
  const put = await request(env.app)
    .put(`/api/cases/${encodeURIComponent(caseNo)}`)
    .set('Authorization', `Bearer ${tokens.admin}`)
    .send({ title: '备份测试', kind: 'penalty', status: 'open', unitCode: 'ZF1', activities: [{ key: 'A1', type: 'inspection', badgeNos: ['100001', '100002'], startedAt: '2026-01-10T09:00:00+08:00', endedAt: '2026-01-10T09:30:00+08:00' }] });
  expect(put.status).toBe(201);
  for (const rec of [a, b]) {
    const link = await request(env.app).post(`/api/cases/${encodeURIComponent(caseNo)}/links`).set('Authorization', `Bearer ${tokens.admin}`).send({ recordingId: rec.id, reason: 'backup test' });
    expect(link.status).toBe(201);
    expect((await admin(env.app, `/api/recordings/${rec.id}/original`)).status).toBe(200);
  }

  // The wrong order: the object store copied first, then more footage arrives, then the dump.
  const objectsTooEarly = path.join(work, 'objects-too-early');
  await cp(path.join(env.dataDir, 'objects'), path.join(objectsTooEarly, 'objects'), { recursive: true });
  const c = await dock();

  // The right order: the dump first...
  const before = await admin(env.app, '/api/custody/verify');
  expect(before.body).toMatchObject({ ok: true });
  const actions = (await env.ctx.pool.query('SELECT DISTINCT action FROM custody_events ORDER BY action')).rows.map((r) => r.action);
  expect(actions).toEqual(expect.arrayContaining(['download', 'link']));
  expect(before.body.events).toBeGreaterThan(6);
  const dump = path.join(work, 'catalog.dump');
  await exec(await pgTool('pg_dump'), ['-Fc', '--file', dump, '--dbname', env.config.database.url]);
  // ...footage still arriving meanwhile (the dump does not know it: its object is an orphan in the copy)...
  const late = await dock();
  // ...then the objects (rsync in production).
  const restoredData = path.join(work, 'restored-data');
  await cp(path.join(env.dataDir, 'objects'), path.join(restoredData, 'objects'), { recursive: true });

  // Restore into an empty database: pg_restore inserts, which the custody log's guard allows.
  restoredDb = await createScratchDatabase('bce_restore');
  await exec(await pgTool('pg_restore'), ['--no-owner', '--exit-on-error', '--dbname', restoredDb.url, dump]);

  const restored = await startOn(restoredDb.url, restoredData);
  try {
    // The chain verifies, with the head the original had when it was dumped.
    const verify = await admin(restored.app.app, '/api/custody/verify');
    expect(verify.status).toBe(200);
    expect(verify.body).toEqual({ ok: true, events: before.body.events, head: before.body.head });
    // The guard came back with the table: the restored log is append-only too.
    await expect(restored.ctx.pool.query('DELETE FROM custody_events')).rejects.toThrow(/append-only/);

    // An original downloads with the SHA-256 it was docked with.
    for (const rec of [a, c]) {
      const res = await admin(restored.app.app, `/api/recordings/${rec.id}/original`).buffer(true).parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (d: Buffer) => chunks.push(d));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
      expect(res.status).toBe(200);
      expect(sha256(res.body as Buffer)).toBe(rec.sha256);
      expect(res.headers['x-content-sha256']).toBe(rec.sha256);
    }
    // The footage docked after the dump is not in the restored catalog (it is re-docked from the station).
    expect((await admin(restored.app.app, `/api/recordings/${late.id}`)).status).toBe(404);
    const linked = await admin(restored.app.app, `/api/cases/${encodeURIComponent(caseNo)}`);
    expect(linked.body.recordings.map((r: { id: string }) => r.id).sort()).toEqual([a.id, b.id].sort());

    // The integrity audit over the restored catalog: every catalogued object present and intact.
    const report = await runIntegrityAudit(restored.ctx);
    expect(report).toMatchObject({ checked: 3, ok: 3, mismatch: 0, missing: 0 });

    // The objects copied before the dump lack what the dump catalogues since: that order loses footage.
    const early = await auditRecordings(
      { pool: restored.ctx.pool, store: new FilesystemStore(objectsTooEarly), logger: createLogger('silent') },
      { limit: 100, olderThan: new Date(Date.now() + 60_000) },
    );
    expect(early).toMatchObject({ checked: 3, ok: 2, missing: 1, failures: [{ recordingId: c.id, result: 'missing' }] });
  } finally {
    await restored.close();
  }
}, 120_000);
