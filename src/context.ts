import { Redis } from 'ioredis';
import type { Config } from '../config/schema';
import { createPool, type Pool } from './db/pool';
import { migrate } from './db/migrate';
import { createLogger, type Logger } from './logger';
import { createObjectStore, type ObjectStore } from '../storage';
import { multipartRegistry } from './ingest/multipart-registry';
import { timedStore } from './metrics/timed-store';

/** The connections a process holds: created once at start-up, closed once at shutdown. */
export interface Context {
  config: Config;
  logger: Logger;
  pool: Pool;
  /** For commands and health checks; BullMQ opens its own connections (it needs blocking ones). */
  redis: Redis;
  store: ObjectStore;
}

export async function createContext(config: Config, role: string, logger = createLogger(config.logLevel, { role })): Promise<Context> {
  const pool = createPool(config.database.url, config.database.poolSize, (err) => logger.error({ err }, 'idle PostgreSQL client failed'));
  await migrate(pool);
  const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: (n) => Math.min(n * 200, 5000) });
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
  const store = timedStore(await createObjectStore(config.storage, { registry: multipartRegistry(pool), logger }));
  return { config, logger, pool, redis, store };
}

export async function closeContext(ctx: Context): Promise<void> {
  ctx.redis.disconnect();
  await ctx.pool.end();
}
