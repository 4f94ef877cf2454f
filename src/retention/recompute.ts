import type { Client, Db } from '../db/pool';
import { appendCustody } from '../custody/log';
import { iso } from '../time';
import { retainUntil, type RetentionFacts, type RetentionPolicy } from './policy';

interface FactsRow {
  id: string;
  docked_at: Date;
  important: boolean;
  retain_until: Date | null;
  cases: { status: 'open' | 'closed'; closedAt: string | null }[];
}

/** The retention facts of recordings still stored, with their current date. */
export async function retentionFacts(db: Db, ids: string[]): Promise<(RetentionFacts & { id: string; current: Date | null })[]> {
  const { rows } = await db.query<FactsRow>(
    `SELECT r.id, r.docked_at, r.important, r.retain_until,
            coalesce(json_agg(json_build_object('status', c.status, 'closedAt', c.closed_at)) FILTER (WHERE c.id IS NOT NULL), '[]') AS cases
       FROM recordings r
       LEFT JOIN case_links l ON l.recording_id = r.id
       LEFT JOIN cases c ON c.id = l.case_id
      WHERE r.id = ANY($1::uuid[]) AND r.status <> 'deleted'
      GROUP BY r.id`,
    [ids],
  );
  return rows.map((r) => ({
    id: r.id,
    dockedAt: r.docked_at,
    important: r.important,
    current: r.retain_until,
    cases: r.cases.map((c) => ({ status: c.status, closedAt: c.closedAt === null ? null : new Date(c.closedAt) })),
  }));
}

export interface RetentionChange {
  recordingId: string;
  from: string | null;
  to: string | null;
}

/**
 * Brings the retention dates of recordings in line with their links, marks and the policy, in the
 * caller's transaction; each change is a custody event (`retention`, with why). Unchanged dates write
 * nothing. Tombstones are left alone.
 */
export async function recomputeRetention(client: Client, ids: string[], policy: RetentionPolicy, actor: string, why: string): Promise<RetentionChange[]> {
  if (!ids.length) return [];
  // Locked first (in id order, so two recomputations cannot deadlock): a link committed meanwhile would
  // otherwise be overwritten by a date computed without it.
  await client.query('SELECT 1 FROM recordings WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE', [ids]);
  const changes: RetentionChange[] = [];
  for (const f of await retentionFacts(client, ids)) {
    const next = retainUntil(f, policy);
    if ((next?.getTime() ?? null) === (f.current?.getTime() ?? null)) continue;
    await client.query('UPDATE recordings SET retain_until = $2 WHERE id = $1', [f.id, next]);
    const change = { recordingId: f.id, from: iso(f.current), to: iso(next) };
    await appendCustody(client, { actor, action: 'retention', target: `recording:${f.id}`, detail: { from: change.from, to: change.to, why } });
    changes.push(change);
  }
  return changes;
}
