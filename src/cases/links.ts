import type { Client, Db } from '../db/pool';
import { appendCustody } from '../custody/log';
import { iso } from '../time';
import type { RetentionPolicy } from '../retention/policy';
import { recomputeRetention } from '../retention/recompute';

/** A link or unlink by hand: which pair, who, and why (required). */
export interface HandChange {
  caseId: number;
  caseNo: string;
  recordingId: string;
  by: string;
  reason: string;
}

/**
 * Links a recording to a case by hand, with a reason, in the caller's transaction: a link the machine made
 * becomes a manual one (the machine will not remove it), and an earlier unlink by hand is forgotten.
 * Returns false when it was already linked by hand (nothing changes, nothing is logged).
 */
export async function linkByHand(client: Client, change: HandChange, retention: RetentionPolicy): Promise<boolean> {
  const { caseId, caseNo, recordingId, by, reason } = change;
  // The recording first, as every writer of its links and its date does (retention decides under this lock).
  await client.query('SELECT 1 FROM recordings WHERE id = $1 FOR UPDATE', [recordingId]);
  const { rows } = await client.query<{ source: string }>('SELECT source FROM case_links WHERE case_id = $1 AND recording_id = $2 FOR UPDATE', [caseId, recordingId]);
  if (rows[0]?.source === 'manual') return false;
  await client.query(
    `INSERT INTO case_links (case_id, recording_id, source, reason, linked_by) VALUES ($1, $2, 'manual', $3, $4)
     ON CONFLICT (case_id, recording_id) DO UPDATE SET source = 'manual', reason = EXCLUDED.reason, linked_by = EXCLUDED.linked_by, linked_at = now()`,
    [caseId, recordingId, reason, by],
  );
  await client.query('DELETE FROM case_unlinks WHERE case_id = $1 AND recording_id = $2', [caseId, recordingId]);
  await appendCustody(client, { actor: by, action: 'link', target: `recording:${recordingId}`, detail: { caseNo, reason, source: 'manual' } });
  await recomputeRetention(client, [recordingId], retention, by, `linked to case ${caseNo}`);
  return true;
}

/** Unlinks by hand, with a reason; remembered so the machine never links the pair again. False when not linked. */
export async function unlinkByHand(client: Client, change: HandChange, retention: RetentionPolicy): Promise<boolean> {
  const { caseId, caseNo, recordingId, by, reason } = change;
  await client.query('SELECT 1 FROM recordings WHERE id = $1 FOR UPDATE', [recordingId]);
  const { rows } = await client.query<{ source: string }>('DELETE FROM case_links WHERE case_id = $1 AND recording_id = $2 RETURNING source', [caseId, recordingId]);
  if (!rows[0]) return false;
  await client.query(
    `INSERT INTO case_unlinks (case_id, recording_id, reason, unlinked_by) VALUES ($1, $2, $3, $4)
     ON CONFLICT (case_id, recording_id) DO UPDATE SET reason = EXCLUDED.reason, unlinked_by = EXCLUDED.unlinked_by, unlinked_at = now()`,
    [caseId, recordingId, reason, by],
  );
  await appendCustody(client, { actor: by, action: 'unlink', target: `recording:${recordingId}`, detail: { caseNo, reason, was: rows[0].source } });
  await recomputeRetention(client, [recordingId], retention, by, `unlinked from case ${caseNo}`);
  return true;
}

export interface LinkedRecording {
  id: string;
  badgeNo: string;
  startedAt: string;
  endedAt: string | null;
  status: string;
  link: { source: string; reason: string | null; by: string; at: string };
}

/** A case's footage on one timeline across officers. */
export async function linkedRecordings(db: Db, caseId: number): Promise<LinkedRecording[]> {
  const { rows } = await db.query(
    `SELECT r.id, o.badge_no, r.started_at, r.ended_at, r.status, l.source, l.reason, l.linked_by, l.linked_at
       FROM case_links l JOIN recordings r ON r.id = l.recording_id JOIN officers o ON o.id = r.officer_id
      WHERE l.case_id = $1 ORDER BY r.started_at, o.badge_no, r.id`,
    [caseId],
  );
  return rows.map((r) => ({
    id: r.id,
    badgeNo: r.badge_no,
    startedAt: iso(r.started_at)!,
    endedAt: iso(r.ended_at),
    status: r.status,
    link: { source: r.source, reason: r.reason, by: r.linked_by, at: iso(r.linked_at)! },
  }));
}
