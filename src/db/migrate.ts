import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Pool } from './pool';
import { projectRoot } from '../paths';

export const migrationsDir = () => path.join(projectRoot(), 'src', 'db', 'migrations');

// Any fixed number: every process that migrates takes the same lock, so two starting at once take turns.
const MIGRATION_LOCK = 7_316_401;

/**
 * Applies the SQL files in migrations/ that have not run yet, in name order, each in its own transaction.
 * Migrations are forward-only; a file that already ran is never edited, only followed by a new one.
 */
export async function migrate(pool: Pool, dir = migrationsDir()): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await client.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name));
    for (const file of files) {
      if (done.has(file)) continue;
      const sql = await readFile(path.join(dir, file), 'utf8');
      try {
        await client.query('BEGIN');
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(file);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
  return applied;
}
