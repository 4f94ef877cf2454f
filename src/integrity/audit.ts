import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { appendCustody } from '../custody/log';
import { inTransaction, type Client, type Pool } from '../db/pool';
import type { Logger } from '../logger';
import { StorageNotFoundError, type ObjectStore } from '../../storage/object-store';

// The integrity audit (DESIGN.md, invariant 2): originals re-hashed from the store and compared with the SHA-256
// and size the catalog recorded at ingest. Each check is an integrity_audits row, which rule R5 of the
// regulation reads; a failure is also a custody event, so it is on the record whatever happens to the row.

export type AuditResult = 'ok' | 'mismatch' | 'missing';

export interface AuditDeps {
  pool: Pool;
  store: ObjectStore;
  logger: Logger;
}

export interface AuditOptions {
  /** Most recordings re-hashed by this run. */
  limit: number;
  /** Recordings whose latest audit is at or after this are not due (a retry of today's run does not redo its work). */
  olderThan: Date;
}

export interface AuditFailure {
  recordingId: string;
  result: Exclude<AuditResult, 'ok'>;
  expected: { sha256: string; size: number };
  actual: { sha256: string | null; size: number | null };
}

export interface AuditReport {
  checked: number;
  ok: number;
  mismatch: number;
  missing: number;
  /** Bytes read from the store. */
  bytes: number;
  /** Recordings deleted by retention between the choice and the check: not audited. */
  skipped: number;
  failures: AuditFailure[];
}

const ACTOR = 'system';

interface Due {
  id: string;
  objectKey: string;
  sha256: string;
  size: number;
}

/**
 * The recordings due, never audited first, then those whose latest check failed (checked again at every run
 * until one passes, so the alert stays up until the original is restored), then the longest unaudited;
 * tombstones (status `deleted`) have no bytes to check. The latest audit of each is found through
 * integrity_audits_latest.
 */
async function dueRecordings(pool: Pool, o: AuditOptions): Promise<Due[]> {
  const { rows } = await pool.query<Due>(
    `SELECT r.id, r.object_key AS "objectKey", r.sha256, r.size
       FROM recordings r
       LEFT JOIN LATERAL (SELECT checked_at, result FROM integrity_audits a WHERE a.recording_id = r.id ORDER BY checked_at DESC, id DESC LIMIT 1) last ON true
      WHERE r.status <> 'deleted' AND (last.checked_at IS NULL OR last.checked_at < $1)
      ORDER BY last.checked_at IS NOT NULL, last.result = 'ok', last.checked_at, r.ingested_at, r.id
      LIMIT $2`,
    [o.olderThan, o.limit],
  );
  return rows;
}

/** SHA-256 and size of a stream, read chunk by chunk: memory does not grow with the object. */
export async function hashStream(body: Readable): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** What the store holds now under the recording's key; other storage errors (unavailable) are thrown. */
async function rehash(store: ObjectStore, rec: Due): Promise<{ result: AuditResult; sha256: string | null; size: number | null }> {
  let body: Readable;
  try {
    body = await store.get(rec.objectKey);
  } catch (err) {
    if (err instanceof StorageNotFoundError) return { result: 'missing', sha256: null, size: null };
    throw err;
  }
  const actual = await hashStream(body);
  return { result: actual.sha256 === rec.sha256 && actual.size === rec.size ? 'ok' : 'mismatch', ...actual };
}

/**
 * Records one check under the recording's row lock: a recording that became a tombstone meanwhile is not
 * audited (retention removes the bytes only after the tombstone commits, so a "missing" read then is no
 * finding). A failure is also an `integrity_failure` custody event on `recording:<id>`.
 */
async function record(pool: Pool, rec: Due, found: Awaited<ReturnType<typeof rehash>>): Promise<boolean> {
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query<{ status: string }>('SELECT status FROM recordings WHERE id = $1 FOR SHARE', [rec.id]);
    if (!rows[0] || rows[0].status === 'deleted') return false;
    await recordIntegrityCheck(client, ACTOR, rec, found);
    return true;
  });
}

/**
 * An original checked against the catalog, wherever it was read (the audit, an export), in the caller's
 * transaction: an integrity_audits row, which rule R5 reads, and for a failure an `integrity_failure` custody
 * event on `recording:<id>` (`context`, e.g. the case being exported, goes into its detail).
 */
export async function recordIntegrityCheck(
  client: Client,
  actor: string,
  rec: { id: string; sha256: string; size: number },
  found: { result: AuditResult; sha256: string | null; size: number | null },
  context: Record<string, unknown> = {},
): Promise<void> {
  await client.query('INSERT INTO integrity_audits (recording_id, result, actual_sha256, actual_size) VALUES ($1, $2, $3, $4)', [
    rec.id,
    found.result,
    found.sha256,
    found.size,
  ]);
  if (found.result === 'ok') return;
  await appendCustody(client, {
    actor,
    action: 'integrity_failure',
    target: `recording:${rec.id}`,
    detail: { ...context, expected: rec.sha256, actual: found.sha256, result: found.result, expectedSize: rec.size, actualSize: found.size },
  });
}

export const emptyAuditReport = (): AuditReport => ({ checked: 0, ok: 0, mismatch: 0, missing: 0, bytes: 0, skipped: 0, failures: [] });

/**
 * One audit run: up to `limit` stored recordings not audited since `olderThan`, never-audited first, then those
 * whose latest check failed, then the longest unaudited, each re-hashed from the store one at a time and recorded as it is checked (a run cut
 * short keeps what it did, and `report`, filled as it goes, says how far it got). A store that cannot be read
 * (other than an absent object) fails the run. Each failure is logged at error level: it is an alert.
 */
export async function auditRecordings(deps: AuditDeps, options: AuditOptions, report: AuditReport = emptyAuditReport()): Promise<AuditReport> {
  for (const rec of await dueRecordings(deps.pool, options)) {
    const found = await rehash(deps.store, rec);
    if (!(await record(deps.pool, rec, found))) {
      report.skipped++;
      continue;
    }
    report.checked++;
    report[found.result]++;
    report.bytes += found.size ?? 0;
    if (found.result !== 'ok') {
      const failure: AuditFailure = { recordingId: rec.id, result: found.result, expected: { sha256: rec.sha256, size: rec.size }, actual: { sha256: found.sha256, size: found.size } };
      report.failures.push(failure);
      deps.logger.error({ ...failure, objectKey: rec.objectKey }, found.result === 'missing' ? 'integrity audit: original missing from the store' : 'integrity audit: original does not match the catalog');
    }
  }
  const { failures: _f, ...counts } = report;
  deps.logger.info(counts, 'integrity audit run');
  return report;
}
