import { once } from 'node:events';
import type { Express } from 'express';
import type { Context } from '../../context';

async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export type Check = 'ok' | { error: string };

const FIRST_CONNECTION = new Set(['wait', 'connecting', 'connect']);

/** Asks each dependency in parallel; a slow one counts as down, so the probe itself never hangs. */
export async function checkHealth(ctx: Context, timeoutMs = 2000): Promise<{ ok: boolean; checks: Record<'db' | 'redis' | 'storage', Check> }> {
  const probe = async (fn: () => Promise<unknown>): Promise<Check> => {
    try {
      await within(timeoutMs, fn());
      return 'ok';
    } catch (err) {
      // The reason goes to the log; the public answer says only that it failed (no paths, hosts or users).
      ctx.logger.warn({ err: (err as Error).message || String(err) }, 'health check failed');
      return { error: (err as Error).message?.startsWith('no answer within') ? 'timeout' : 'unavailable' };
    }
  };
  const [db, redis, storage] = await Promise.all([
    probe(() => ctx.pool.query('SELECT 1')),
    probe(async () => {
      // A process just started is still making its first connection: wait for it (within the timeout) rather
      // than report an outage that is not one. A connection that was lost is asked at once, and fails.
      if (FIRST_CONNECTION.has(ctx.redis.status)) await once(ctx.redis, 'ready', { signal: AbortSignal.timeout(timeoutMs) });
      if ((await ctx.redis.ping()) !== 'PONG') throw new Error('unexpected PING reply');
    }),
    probe(() => ctx.store.check()),
  ]);
  return { ok: db === 'ok' && redis === 'ok' && storage === 'ok', checks: { db, redis, storage } };
}

export function healthRoutes(app: Express, ctx: Context): void {
  app.get('/healthz', async (_req, res) => {
    const { ok, checks } = await checkHealth(ctx);
    const failing = Object.entries(checks).filter(([, v]) => v !== 'ok').map(([k]) => k);
    res
      .status(ok ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json(ok ? { status: 'ok', checks } : { status: 'unavailable', failing, checks });
  });
}
