import { inTransaction, type Pool } from '../db/pool';
import { integrityDashboard } from '../integrity/report';

/**
 * Which retention class a recording is in, by what keeps it (the strongest reason first): `held` (a legal
 * hold on it or on one of its cases), `open_case` (kept while the case is open), `closed_case` (kept for the
 * closed-case period), `important` (in no case, kept for the important period), `unlinked` (deleted after
 * RETENTION_UNLINKED_MONTHS), `deleted` (a tombstone).
 */
export const RETENTION_CLASSES = ['held', 'open_case', 'closed_case', 'important', 'unlinked', 'deleted'] as const;
export type RetentionClass = (typeof RETENTION_CLASSES)[number];

export interface ClassFigures {
  recordings: number;
  /** Originals still in the store (a tombstone's until the retention run purges it). */
  originalBytes: number;
  /** Proxies, posters and sprite sheets still in the store. */
  derivedBytes: number;
  /** Originals docked in the last 30 days, whatever became of them since: the month's intake. */
  dockedLast30dBytes: number;
}

export interface CatalogFigures {
  classes: Record<RetentionClass, ClassFigures>;
  integrity: {
    /** When the last audit run ended (null before the first). */
    lastRunAt: Date | null;
    /** Whether that run finished without an error (the store readable). */
    lastRunOk: boolean | null;
    /** Recordings whose latest check found the bytes changed or missing. */
    failing: number;
    /** Stored originals checked within the audit cycle, and how many there were, as the last run counted them. */
    covered: number;
    live: number;
  };
}

// One pass over the catalog: a recording's class from its own hold and importance and from its cases'. On
// 1 M recordings with 100 k cases (667 k links) it takes 2–3 s here (4 s with PostgreSQL's JIT, which spends
// longer compiling it than running it: off for this query). So scrapes read it through a cache
// (METRICS_CACHE_S) and never wait for a recomputation but the first: disks fill in days, not seconds.
const BY_CLASS = `
  WITH linked AS (
    SELECT l.recording_id, bool_or(c.hold IS NOT NULL) AS held, bool_or(c.status = 'open') AS open
      FROM case_links l JOIN cases c ON c.id = l.case_id
     GROUP BY l.recording_id
  )
  SELECT class, count(*)::bigint AS recordings,
         coalesce(sum(stored), 0)::bigint AS original_bytes,
         coalesce(sum(derived), 0)::bigint AS derived_bytes,
         coalesce(sum(size) FILTER (WHERE docked_at >= now() - interval '30 days'), 0)::bigint AS recent_bytes
    FROM (
      SELECT CASE WHEN r.status = 'deleted' THEN 'deleted'
                  WHEN r.hold IS NOT NULL OR k.held THEN 'held'
                  WHEN k.open THEN 'open_case'
                  WHEN k.recording_id IS NOT NULL THEN 'closed_case'
                  WHEN r.important THEN 'important'
                  ELSE 'unlinked' END AS class,
             r.size, r.docked_at,
             CASE WHEN r.purged_at IS NULL THEN r.size ELSE 0 END AS stored,
             CASE WHEN r.purged_at IS NULL
                  THEN coalesce((r.proxy->>'size')::bigint, 0) + coalesce((r.thumbnails->'poster'->>'size')::bigint, 0)
                       + coalesce((r.thumbnails->'sprite'->>'size')::bigint, 0)
                  ELSE 0 END AS derived
        FROM recordings r LEFT JOIN linked k ON k.recording_id = r.id
    ) x
   GROUP BY class`;

const empty = (): ClassFigures => ({ recordings: 0, originalBytes: 0, derivedBytes: 0, dockedLast30dBytes: 0 });

/** The catalog's figures for /metrics: bytes and recordings per retention class, and the integrity audit's state. */
export async function readCatalogFigures(pool: Pool, integrityCycleDays: number): Promise<CatalogFigures> {
  const [byClass, integrity] = await Promise.all([
    inTransaction(pool, async (c) => {
      await c.query('SET LOCAL jit = off');
      return c.query<{ class: RetentionClass; recordings: string; original_bytes: string; derived_bytes: string; recent_bytes: string }>(BY_CLASS);
    }),
    integrityDashboard(pool, { cycleDays: integrityCycleDays, limit: 1 }),
  ]);
  const classes = Object.fromEntries(RETENTION_CLASSES.map((c) => [c, empty()])) as Record<RetentionClass, ClassFigures>;
  for (const r of byClass.rows) {
    classes[r.class] = {
      recordings: Number(r.recordings),
      originalBytes: Number(r.original_bytes),
      derivedBytes: Number(r.derived_bytes),
      dockedLast30dBytes: Number(r.recent_bytes),
    };
  }
  const last = integrity.lastRun;
  return {
    classes,
    integrity: {
      lastRunAt: last?.at ?? null,
      lastRunOk: last ? last.error === null : null,
      failing: integrity.failureCount,
      covered: integrity.coverage.audited,
      live: integrity.coverage.total,
    },
  };
}
