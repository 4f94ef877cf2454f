import type { Logger } from '../logger';
import type { Client, Db, Pool } from '../db/pool';
import { inTransaction } from '../db/pool';
import { appendCustody } from '../custody/log';
import { iso } from '../time';
import { derivedPrefix } from '../../storage/keys';
import type { ObjectStore } from '../../storage/object-store';
import { retainUntil, type RetentionPolicy } from './policy';
import { recomputeRetention, retentionFacts } from './recompute';
import { countRetention } from '../metrics/record';

export interface DueRecording {
  recordingId: string;
  filename: string;
  sha256: string;
  size: number;
  badgeNo: string;
  startedAt: string;
  dockedAt: string;
  retainUntil: string;
}

export interface RetentionReport {
  /** The moment the run judged expiry against (today, or a simulated date). */
  at: string;
  dryRun: boolean;
  /** Recordings whose date the run brought in line with the policy first (0 in a dry run). */
  recomputed: number;
  /** What was deleted, or in a dry run what the run would delete. */
  due: DueRecording[];
  /** Expired, but kept by a legal hold on the recording or on one of its cases. */
  held: number;
  /** Tombstones whose bytes were removed by this run (including ones a previous run left). */
  purged: number;
  /** Objects that could not be removed: the run tries again next time. */
  purgeErrors: number;
}

export interface RetentionDeps {
  pool: Pool;
  store: ObjectStore;
  logger: Logger;
  policy: RetentionPolicy;
}

const ACTOR = 'system';
const BATCH = 500;

// A recording whose date has passed may still not go: a hold on it or on a case of it, or an open case.
const KEPT_BY = `(r.hold IS NOT NULL OR EXISTS (
    SELECT 1 FROM case_links l JOIN cases c ON c.id = l.case_id
     WHERE l.recording_id = r.id AND (c.hold IS NOT NULL OR c.status = 'open')))`;

const DUE_COLUMNS = `r.id AS "recordingId", r.filename, r.sha256, r.size, o.badge_no AS "badgeNo", r.started_at AS "startedAt",
       r.docked_at AS "dockedAt", r.retain_until AS "retainUntil"`;

interface DueRow extends Omit<DueRecording, 'startedAt' | 'dockedAt' | 'retainUntil'> {
  startedAt: Date;
  dockedAt: Date;
  retainUntil: Date;
}
const toDue = (r: DueRow): DueRecording => ({ ...r, size: Number(r.size), startedAt: iso(r.startedAt)!, dockedAt: iso(r.dockedAt)!, retainUntil: iso(r.retainUntil)! });

/** Expired recordings, oldest date first, after the keyset (retainUntil, id). */
async function dueAfter(db: Db, at: Date, after: { until: Date; id: string } | null): Promise<DueRow[]> {
  const { rows } = await db.query<DueRow>(
    `SELECT ${DUE_COLUMNS}
       FROM recordings r JOIN officers o ON o.id = r.officer_id
      WHERE r.status <> 'deleted' AND r.retain_until <= $1 AND NOT ${KEPT_BY}
        AND ($2::timestamptz IS NULL OR (r.retain_until, r.id) > ($2, $3::uuid))
      ORDER BY r.retain_until, r.id LIMIT ${BATCH}`,
    [at, after?.until ?? null, after?.id ?? null],
  );
  return rows;
}

async function countHeld(db: Db, at: Date): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM recordings r
      WHERE r.status <> 'deleted' AND r.retain_until <= $1 AND (r.hold IS NOT NULL OR EXISTS (
        SELECT 1 FROM case_links l JOIN cases c ON c.id = l.case_id WHERE l.recording_id = r.id AND c.hold IS NOT NULL))`,
    [at],
  );
  return Number(rows[0]!.n);
}

/**
 * Every stored recording's date recomputed under the current policy (a changed setting applies to old
 * footage too; rows from before retention existed get their first date), in batches of their own
 * transactions. Returns how many changed.
 */
export async function reconcileRetention(pool: Pool, policy: RetentionPolicy): Promise<number> {
  let changed = 0;
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const { rows } = await pool.query<{ id: string }>(`SELECT id FROM recordings WHERE status <> 'deleted' AND id > $1 ORDER BY id LIMIT ${BATCH}`, [after]);
    if (!rows.length) return changed;
    const ids = rows.map((r) => r.id);
    changed += (await inTransaction(pool, (c) => recomputeRetention(c, ids, policy, ACTOR, 'retention policy'))).length;
    after = ids.at(-1)!;
  }
}

/**
 * Deletes one expired recording if it still may go, deciding under its row lock (a link, mark or hold
 * committed meanwhile wins): the row becomes a tombstone and the deletion a custody event. The bytes are
 * removed after commit (purge), so a crash in between leaves bytes of a tombstone, never a row without bytes.
 */
async function deleteIfExpired(client: Client, id: string, at: Date, policy: RetentionPolicy): Promise<boolean> {
  const { rows } = await client.query<{ status: string; hold: unknown; sha256: string; size: string; retain_until: Date | null }>(
    'SELECT status, hold, sha256, size, retain_until FROM recordings WHERE id = $1 FOR UPDATE',
    [id],
  );
  const row = rows[0];
  if (!row || row.status === 'deleted' || row.hold) return false;
  // FOR SHARE: a hold or a reopening of one of its cases waits for this decision, or this waits for it.
  const { rows: cases } = await client.query<{ case_no: string; status: string; hold: unknown }>(
    `SELECT c.case_no, c.status, c.hold FROM case_links l JOIN cases c ON c.id = l.case_id WHERE l.recording_id = $1 FOR SHARE OF c`,
    [id],
  );
  if (cases.some((c) => c.hold || c.status === 'open')) return false;
  const [facts] = await retentionFacts(client, [id]);
  const until = retainUntil(facts!, policy);
  if (!until || until > at) {
    await recomputeRetention(client, [id], policy, ACTOR, 'recomputed before deletion');
    return false;
  }
  await client.query(
    `UPDATE recordings SET status = 'deleted', status_reason = $2, deleted_at = now(), retain_until = $3, progress = NULL, pending = '{}' WHERE id = $1`,
    [id, `retention period ended ${until.toISOString()}`, until],
  );
  await appendCustody(client, {
    actor: ACTOR,
    action: 'delete',
    target: `recording:${id}`,
    detail: { sha256: row.sha256, size: Number(row.size), retainUntil: until.toISOString(), judgedAt: at.toISOString(), cases: cases.map((c) => c.case_no) },
  });
  return true;
}

/** Removes the bytes of tombstones (original and everything derived), then marks them purged. */
async function purgeTombstones(deps: RetentionDeps): Promise<{ purged: number; errors: number }> {
  let purged = 0;
  let errors = 0;
  const failed = new Set<string>();
  for (;;) {
    const { rows } = await deps.pool.query<{ id: string; object_key: string }>(
      `SELECT id, object_key FROM recordings WHERE status = 'deleted' AND purged_at IS NULL AND NOT (id = ANY($1::uuid[])) ORDER BY deleted_at LIMIT ${BATCH}`,
      [[...failed]],
    );
    if (!rows.length) return { purged, errors };
    for (const r of rows) {
      try {
        await deps.store.remove(r.object_key);
        for await (const obj of deps.store.list(derivedPrefix(r.id))) await deps.store.remove(obj.key);
        await deps.pool.query('UPDATE recordings SET purged_at = now(), proxy = NULL, thumbnails = NULL WHERE id = $1', [r.id]);
        purged++;
      } catch (err) {
        deps.logger.error({ err, recordingId: r.id }, 'could not remove the bytes of a deleted recording; the next retention run tries again');
        failed.add(r.id);
        errors++;
      }
    }
  }
}

/**
 * The retention run (REGULATION.md, Retention): dates brought in line with the policy, then every
 * recording expired at `at` and not kept by a hold or an open case becomes a tombstone, and its bytes go.
 * A dry run changes nothing and reports what a run at `at` would delete.
 */
export async function runRetention(deps: RetentionDeps, options: { at: Date; dryRun: boolean }): Promise<RetentionReport> {
  const { pool, policy } = deps;
  const { at, dryRun } = options;
  const recomputed = dryRun ? 0 : await reconcileRetention(pool, policy);
  const due: DueRecording[] = [];
  let after: { until: Date; id: string } | null = null;
  for (;;) {
    const batch = await dueAfter(pool, at, after);
    if (!batch.length) break;
    after = { until: batch.at(-1)!.retainUntil, id: batch.at(-1)!.recordingId };
    if (dryRun) {
      // The stored date may predate a policy change: judge by the date the run itself would compute.
      const facts = new Map((await retentionFacts(pool, batch.map((r) => r.recordingId))).map((f) => [f.id, f]));
      for (const r of batch) {
        const f = facts.get(r.recordingId);
        const until = f && retainUntil(f, policy);
        if (until && until <= at) due.push(toDue({ ...r, retainUntil: until }));
      }
    } else {
      for (const r of batch) {
        if (await inTransaction(pool, (c) => deleteIfExpired(c, r.recordingId, at, policy))) due.push(toDue(r));
      }
    }
  }
  const held = await countHeld(pool, at);
  const { purged, errors } = dryRun ? { purged: 0, errors: 0 } : await purgeTombstones(deps);
  const report: RetentionReport = { at: at.toISOString(), dryRun, recomputed, due, held, purged, purgeErrors: errors };
  if (!dryRun) countRetention(report);
  deps.logger.info({ at: report.at, dryRun, recomputed, deleted: due.length, held, purged, purgeErrors: errors }, dryRun ? 'retention dry run' : 'retention run');
  return report;
}
