import pg from 'pg';

// timestamptz comes back as Date, bigint (counts, sizes) as number: sizes stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export type Pool = pg.Pool;
export type Client = pg.PoolClient;
/** Anything that runs a query: the pool or a client inside a transaction. */
export type Db = Pick<pg.Pool, 'query'> | pg.PoolClient;

export function createPool(url: string, max: number, onError: (err: Error) => void): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 5000, idleTimeoutMillis: 30_000 });
  // An idle client that loses its server emits here; without a listener it would crash the process.
  pool.on('error', onError);
  // A client checked out (a transaction) has no pool listener while it is out: when the server goes away
  // (a restart ends every session) it would emit an unhandled 'error' and end the process. The query in
  // flight fails with the error anyway, a later one with "not queryable", and release() drops the client.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** Runs `fn` in a transaction; rolls back when it throws. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** Postgres error codes the domain maps to client errors. */
export const PgCode = {
  uniqueViolation: '23505',
  exclusionViolation: '23P01',
} as const;

export function pgCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}
