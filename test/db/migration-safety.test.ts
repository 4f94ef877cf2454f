import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createScratchDatabase } from '../../scripts/scratch';
import { migrate, migrationsDir } from '../../src/db/migrate';
import { createPool, type Pool } from '../../src/db/pool';

// Upgrades run the new version's migrations at its start-up while the old version still serves (docs/deploy.md,
// "Upgrades"). So a migration may only add: nothing the old version reads or writes may disappear, change type or
// start refusing its writes, and nothing may hold a long lock on a table the old version uses. A statement that
// does anything on the list below needs `-- upgrade-safe: <why it is safe here>` in its paragraph (the lines
// from the blank line before it up to it), so a reviewer sees the reason next to the statement.
//
// Migrations run inside a transaction each (src/db/migrate.ts), where CREATE INDEX CONCURRENTLY cannot run: an
// index on an existing table blocks writes to that table while it builds and must say why that is acceptable.

const RUNNER_NAME = /^\d{4}_[a-z0-9_]+\.sql$/; // the pattern src/db/migrate.ts applies; others are skipped silently

interface Statement {
  text: string; // without comments, white space collapsed
  paragraph: string; // raw source from the blank line before the statement up to its start
}

/** Splits SQL into statements, keeping string literals, dollar-quoted bodies and comments intact. */
function splitStatements(sql: string): Statement[] {
  const out: Statement[] = [];
  let i = 0;
  let start = -1; // offset of the statement's first code character
  let code = '';
  const flush = () => {
    if (start >= 0 && code.trim()) {
      const before = sql.slice(0, start);
      const blank = before.search(/\n[ \t]*\n(?![\s\S]*\n[ \t]*\n)/);
      out.push({ text: code.replace(/\s+/g, ' ').trim(), paragraph: blank < 0 ? before : before.slice(blank) });
    }
    start = -1;
    code = '';
  };
  while (i < sql.length) {
    const rest = sql.slice(i);
    if (rest.startsWith('--')) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
      code += ' ';
      continue;
    }
    if (rest.startsWith('/*')) {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
      code += ' ';
      continue;
    }
    const ch = sql[i]!;
    if (start < 0 && /\S/.test(ch) && ch !== ';') start = i;
    const dollar = /^\$([A-Za-z_]\w*)?\$/.exec(rest);
    if (dollar) {
      const end = sql.indexOf(dollar[0], i + dollar[0].length);
      const stop = end < 0 ? sql.length : end + dollar[0].length;
      code += sql.slice(i, stop);
      i = stop;
      continue;
    }
    if (ch === "'") {
      let j = i + 1;
      while (j < sql.length && !(sql[j] === "'" && sql[j + 1] !== "'")) j += sql[j] === "'" ? 2 : 1;
      code += sql.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (ch === ';') {
      flush();
      i++;
      continue;
    }
    code += ch;
    i++;
  }
  flush();
  return out;
}

/** ALTER TABLE actions split at top-level commas. */
function actions(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of body) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) parts.push(cur.trim());
  return parts;
}

const VOLATILE_DEFAULT = /\bDEFAULT\b.*\b(RANDOM|GEN_RANDOM_UUID|UUID_GENERATE_V4|CLOCK_TIMESTAMP|TIMEOFDAY|NEXTVAL)\s*\(/;
const ANNOTATION = /--\s*upgrade-safe:\s*\S.{9,}/;
const name = (n: string) => n.toLowerCase().replace(/^public\./, '').replace(/"/g, '');

/** Why each statement would hurt a running old version, for one migration file's SQL. */
function unsafeStatements(sql: string): { statement: string; problems: string[]; annotated: boolean }[] {
  const statements = splitStatements(sql);
  const createdHere = new Set(
    statements.flatMap((s) => {
      const m = /^CREATE\s+(?:UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([\w."]+)/i.exec(s.text);
      return m ? [name(m[1]!)] : [];
    }),
  );
  const existing = (table: string) => !createdHere.has(name(table));
  const result = [];
  for (const s of statements) {
    const t = s.text.toUpperCase();
    const problems: string[] = [];
    let m: RegExpExecArray | null;
    if ((m = /^DROP\s+(TABLE|VIEW|MATERIALIZED\s+VIEW|SCHEMA|TYPE|DOMAIN|FUNCTION|PROCEDURE|TRIGGER|INDEX|EXTENSION|SEQUENCE|RULE|POLICY)\b/.exec(t))) {
      problems.push(`drops a ${m[1]!.toLowerCase()} the running version may use`);
    }
    if (/^(TRUNCATE|DELETE|UPDATE)\b/.test(t)) problems.push('rewrites or removes existing rows (long row locks; the old version may need them)');
    if (/^(LOCK|CLUSTER|VACUUM\s+FULL|REINDEX)\b/.test(t)) problems.push('takes an exclusive lock on existing data');
    if (/^CREATE\s+OR\s+REPLACE\b/.test(t)) problems.push('replaces something the running version uses');
    if (/^ALTER\s+(TYPE|DOMAIN|FUNCTION|SEQUENCE|VIEW|INDEX|SCHEMA)\b.*\b(RENAME|DROP)\b/.test(t)) problems.push('renames or drops part of something the running version uses');
    if ((m = /^CREATE\s+(?:UNIQUE\s+)?INDEX\s+(CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(?:[\w"]+\s+)?ON\s+(?:ONLY\s+)?([\w."]+)/.exec(t))) {
      if (!m[1] && existing(m[2]!)) {
        problems.push(`builds an index on existing table ${name(m[2]!)}: writes to it wait until the build ends (no CONCURRENTLY inside a migration's transaction)`);
      }
    }
    if ((m = /^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?([\w."]+)\s+([\s\S]*)$/.exec(t))) {
      const table = m[1]!;
      const old = existing(table);
      for (const a of actions(m[2]!)) {
        if (/^RENAME\b/.test(a)) problems.push('renames: the running version still uses the old name');
        else if (/^DROP\s+CONSTRAINT\b/.test(a)) problems.push('drops a constraint');
        else if (/^DROP\b/.test(a)) problems.push('drops a column the running version may read or write');
        else if (/^ALTER\s+(COLUMN\s+)?\S+\s+(SET\s+DATA\s+)?TYPE\b/.test(a)) problems.push('changes a column type (rewrites the table under an exclusive lock)');
        else if (/^ALTER\b.*\bSET\s+NOT\s+NULL\b/.test(a)) problems.push('SET NOT NULL: scans the table under an exclusive lock, and the old version may still write NULL');
        else if (/^ALTER\b.*\bDROP\s+DEFAULT\b/.test(a)) problems.push("drops a default the old version's inserts may rely on");
        else if (/^ADD\s+(CONSTRAINT\b|CHECK\b|FOREIGN\s+KEY\b|UNIQUE\b|PRIMARY\s+KEY\b|EXCLUDE\b)/.test(a)) {
          if (old && !/\bNOT\s+VALID\b/.test(a)) {
            problems.push('adds a constraint to an existing table: checked against every row under an exclusive lock (use NOT VALID, then VALIDATE CONSTRAINT)');
          }
        } else if (old && /^ADD\b/.test(a)) {
          if (/\bNOT\s+NULL\b/.test(a) && !/\bDEFAULT\b/.test(a)) problems.push("adds a NOT NULL column without a default: the old version's inserts fail");
          if (/\b(CHECK|REFERENCES|UNIQUE|PRIMARY\s+KEY)\b/.test(a)) problems.push('adds a column with a constraint: the table is scanned under an exclusive lock');
          if (VOLATILE_DEFAULT.test(a)) problems.push('adds a column with a volatile default: the table is rewritten under an exclusive lock');
        }
      }
    }
    if (problems.length) result.push({ statement: s.text.slice(0, 100), problems, annotated: ANNOTATION.test(s.paragraph) });
  }
  return result;
}

const files = () => readdirSync(migrationsDir()).filter((f) => f.endsWith('.sql')).sort();

describe('migrations are forward-only and safe while the old version serves', () => {
  test('every file is one the runner applies, numbered without gaps or twins', () => {
    const all = readdirSync(migrationsDir());
    expect(all.filter((f) => !RUNNER_NAME.test(f))).toEqual([]);
    const numbers = files().map((f) => Number(f.slice(0, 4)));
    expect(numbers).toEqual(numbers.map((_, i) => i + 1));
    expect(files().filter((f) => /(^|_)(down|revert|rollback|undo)(_|\.)/.test(f))).toEqual([]);
  });

  test.each(files())('%s has nothing unsafe for a running old version, or says why it is safe', (file) => {
    const sql = readFileSync(path.join(migrationsDir(), file), 'utf8');
    const unexplained = unsafeStatements(sql).filter((u) => !u.annotated);
    expect(unexplained).toEqual([]);
  });

  test('the check finds what it should, and an annotation covers only its own paragraph', () => {
    const sql = `
CREATE TABLE fresh (id int);
CREATE INDEX fresh_id ON fresh (id);
ALTER TABLE fresh ADD COLUMN n int NOT NULL;

CREATE INDEX old_a ON recordings (a);
CREATE INDEX CONCURRENTLY old_b ON recordings (b);
ALTER TABLE recordings DROP COLUMN a, ADD COLUMN b int NOT NULL, ALTER COLUMN c TYPE bigint, ADD COLUMN d int CHECK (d > 0);
ALTER TABLE recordings ALTER COLUMN e SET NOT NULL, ADD CONSTRAINT f CHECK (e > 0), ADD CONSTRAINT g CHECK (e < 9) NOT VALID;
ALTER TABLE recordings RENAME COLUMN x TO y;
ALTER TABLE recordings ADD COLUMN ok1 int, ADD COLUMN ok2 text NOT NULL DEFAULT 'x', ADD COLUMN bad uuid DEFAULT gen_random_uuid();
DROP TABLE gone;
UPDATE recordings SET a = 1;
CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM x; DROP TABLE y; RETURN NULL; END; $$;
SELECT 'DROP TABLE z; ''quoted''';

-- upgrade-safe: the table is empty in every installation (a reason of some length)
CREATE INDEX annotated ON cases (a);
CREATE INDEX same_paragraph ON cases (b);

CREATE INDEX next_paragraph ON cases (c);
`;
    const found = unsafeStatements(sql).map((u) => [u.statement.split(' ').slice(0, 4).join(' '), u.problems.length, u.annotated]);
    expect(found).toEqual([
      ['CREATE INDEX old_a ON', 1, false],
      ['ALTER TABLE recordings DROP', 4, false],
      ['ALTER TABLE recordings ALTER', 2, false],
      ['ALTER TABLE recordings RENAME', 1, false],
      ['ALTER TABLE recordings ADD', 1, false],
      ['DROP TABLE gone', 1, false],
      ['UPDATE recordings SET a', 1, false],
      ['CREATE INDEX annotated ON', 1, true],
      ['CREATE INDEX same_paragraph ON', 1, true],
      ['CREATE INDEX next_paragraph ON', 1, false],
    ]);
  });

  describe('on PostgreSQL', () => {
    let db: { url: string; drop(): Promise<void> };
    let pool: Pool;
    let dir: string;

    beforeAll(async () => {
      db = await createScratchDatabase('bce_test');
      pool = createPool(db.url, 4, () => undefined);
      dir = await mkdtemp(path.join(tmpdir(), 'bce-migrations-'));
    });
    afterAll(async () => {
      await pool?.end();
      await db?.drop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    interface Column {
      table: string;
      column: string;
      type: string;
      notNull: boolean;
      hasDefault: boolean;
    }
    const columns = async (): Promise<Map<string, Column>> => {
      const { rows } = await pool.query<Column>(
        `SELECT c.relname AS "table", a.attname AS "column", format_type(a.atttypid, a.atttypmod) AS type,
                a.attnotnull AS "notNull", (a.atthasdef OR a.attidentity <> '') AS "hasDefault"
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped AND c.relname <> 'schema_migrations'`,
      );
      return new Map(rows.map((r) => [`${r.table}.${r.column}`, r]));
    };
    /** Everything a migration can create: columns, indexes, constraints, triggers, functions. */
    const schema = async (): Promise<string[]> => {
      const { rows } = await pool.query<{ item: string }>(
        `SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS item
           FROM information_schema.columns WHERE table_schema = 'public'
         UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
         UNION ALL SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
           FROM pg_constraint WHERE connamespace = 'public'::regnamespace
         UNION ALL SELECT 'trigger ' || tgrelid::regclass || ' ' || tgname FROM pg_trigger WHERE NOT tgisinternal
         UNION ALL SELECT 'function ' || proname || ' ' || md5(prosrc) FROM pg_proc WHERE pronamespace = 'public'::regnamespace
         ORDER BY 1`,
      );
      return rows.map((r) => r.item);
    };

    test('one at a time, each migration keeps every table and column the version before it used, writable as before', async () => {
      const all = files();
      let before = await columns();
      for (const file of all) {
        await copyFile(path.join(migrationsDir(), file), path.join(dir, file));
        expect(await migrate(pool, dir)).toEqual([file]);
        const after = await columns();
        const broken: string[] = [];
        for (const [key, col] of before) {
          const now = after.get(key);
          if (!now) broken.push(`${key} is gone`);
          else if (now.type !== col.type) broken.push(`${key} changed type ${col.type} -> ${now.type}`);
          else if (now.notNull && !col.notNull) broken.push(`${key} became NOT NULL`);
        }
        const tablesBefore = new Set([...before.values()].map((c) => c.table));
        for (const [key, col] of after) {
          // The old version's INSERTs do not name a new column: it needs a default or must allow NULL.
          if (!before.has(key) && tablesBefore.has(col.table) && col.notNull && !col.hasDefault) broken.push(`${key} is new, NOT NULL, without default`);
        }
        expect({ file, broken }).toEqual({ file, broken: [] });
        before = after;
      }
      expect(before.size).toBeGreaterThan(100);
    });

    test('applying them again changes nothing, even with a comment edited in an applied file', async () => {
      const first = await schema();
      expect(first.length).toBeGreaterThan(100);
      expect(await migrate(pool)).toEqual([]);
      // src/db/migrate.ts records names, not checksums: an annotation added later to an applied file is harmless.
      const file = files()[0]!;
      const edited = path.join(dir, file);
      await writeFile(edited, `-- upgrade-safe: an edited comment (this test)\n${await readFile(edited, 'utf8')}`);
      expect(await migrate(pool, dir)).toEqual([]);
      expect(await schema()).toEqual(first);
      const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
      expect(rows[0]!.n).toBe(files().length);
    });

    test('two processes starting at once take turns: every migration runs once', async () => {
      const other = await createScratchDatabase('bce_test');
      const a = createPool(other.url, 2, () => undefined);
      const b = createPool(other.url, 2, () => undefined);
      try {
        const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
        expect([...ra, ...rb].sort()).toEqual(files());
        expect(Math.min(ra.length, rb.length)).toBe(0);
        const { rows } = await a.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
        expect(rows[0]!.n).toBe(files().length);
      } finally {
        await a.end();
        await b.end();
        await other.drop();
      }
    });
  });
});

