import { randomBytes } from 'node:crypto';
import { createScratchDatabase } from '../../scripts/scratch';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import type { Express } from 'express';
import { loadConfig, type Config } from '../../config/schema';
import { closeContext, createContext, type Context } from '../../src/context';
import { createApp, type App } from '../../src/http/app';
import { createLogger } from '../../src/logger';
import { createUser } from '../../src/directory/users';
import type { Role } from '../../src/auth/roles';

/** A database of its own for one test file, so files run in parallel. */
export const createTestDatabase = () => createScratchDatabase('bce_test');

export interface TestEnv {
  config: Config;
  ctx: Context;
  app: Express;
  routes: App['routes'];
  dataDir: string;
  close(): Promise<void>;
}

/** A configured system on its own database, Redis prefix and data folder; storage on the filesystem unless overridden. */
export async function startTestEnv(env: Record<string, string> = {}): Promise<TestEnv> {
  const db = await createTestDatabase();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'bce-test-'));
  const config = loadConfig({
    DATABASE_URL: db.url,
    DATA_DIR: dataDir,
    REDIS_PREFIX: `bcetest-${randomBytes(4).toString('hex')}`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_POOL_SIZE: '5',
    ...env,
  });
  const ctx = await createContext(config, 'test', createLogger(config.logLevel));
  const { app, routes, close: closeApp } = createApp(ctx);
  return {
    config,
    ctx,
    app,
    routes,
    dataDir,
    async close() {
      await closeApp();
      // Queues of this file's prefix (jobs the pipeline ran) go with its database.
      let cursor = '0';
      do {
        const [next, keys] = await ctx.redis.scan(cursor, 'MATCH', `${config.redis.prefix}:*`, 'COUNT', 1000);
        if (keys.length) await ctx.redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      await closeContext(ctx);
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates a user straight in the catalog and logs in through the API; returns the bearer token. */
export async function userWithToken(
  env: TestEnv,
  username: string,
  role: Role,
  extra: { unitCode?: string; badgeNo?: string } = {},
): Promise<string> {
  const password = `pw-${username}-long-enough`;
  await createUser(env.ctx.pool, { username, password, role, ...extra }, env.config.auth.passwordMinLength);
  const res = await request(env.app).post('/api/auth/login').send({ username, password });
  if (res.status !== 200) throw new Error(`login of ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token as string;
}
