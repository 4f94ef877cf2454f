import { UUID } from '../../directory/identifiers';

// How the evidence pages write custody events and check what a reviewer types before it is sent. Pure (no
// DOM, no messages): unit-tested in test/web/evidence-format.test.ts.

/** The custody actions a recording's log can hold (src/**: appendCustody, recordAccess); others show as written. */
export const CUSTODY_ACTIONS = [
  'ingest', 'ingest_duplicate', 'view', 'download', 'export', 'link', 'unlink', 'mark_important', 'unmark_important',
  'hold', 'release_hold', 'retention', 'delete', 'integrity_failure',
] as const;
export type CustodyAction = (typeof CUSTODY_ACTIONS)[number];
export const isCustodyAction = (a: string): a is CustodyAction => (CUSTODY_ACTIONS as readonly string[]).includes(a);

/** A hash short enough for a table cell; the page puts the whole one in the title. */
export const shortHash = (hash: string, n = 10): string => (hash.length > n ? `${hash.slice(0, n)}…` : hash);

function valueText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map(valueText).join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** A custody event's detail as one line, `key: value · key: value`, in the order the event wrote it. */
export function detailText(detail: Record<string, unknown> | null | undefined): string {
  if (!detail) return '';
  return Object.entries(detail)
    .map(([k, v]) => [k, valueText(v)] as const)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}: ${v}`)
    .join(' · ');
}

/** The API's limit on a link, unlink or mark reason (src/http/routes/cases.ts `text(500)`). */
export const REASON_MAX = 500;

export type ReasonProblem = 'required' | 'tooLong' | null;
export function reasonProblem(reason: string): ReasonProblem {
  const r = reason.trim();
  if (!r) return 'required';
  return r.length > REASON_MAX ? 'tooLong' : null;
}

export const isRecordingId = (s: string): boolean => UUID.test(s.trim());


/**
 * What to ask GET /api/recordings for when offering footage to link: each officer of each activity, over
 * the activity's days (bureau-local dates from `day`), each (officer, days) once.
 */
export function candidateQueries(
  activities: { badgeNos: string[]; startedAt: string; endedAt: string }[],
  day: (iso: string) => string,
  max = 20,
): { badgeNo: string; from: string; to: string }[] {
  const seen = new Map<string, { badgeNo: string; from: string; to: string }>();
  for (const a of activities) {
    for (const badgeNo of a.badgeNos) {
      const q = { badgeNo, from: day(a.startedAt), to: day(a.endedAt) };
      seen.set(`${q.badgeNo}|${q.from}|${q.to}`, q);
    }
  }
  return [...seen.values()].slice(0, max);
}

/** Footage that could be linked: not linked already, not deleted, each once, in time order. */
export function linkCandidates<T extends { id: string; startedAt: string; status: string }>(found: T[], linkedIds: Set<string>): T[] {
  const byId = new Map<string, T>();
  for (const r of found) if (!linkedIds.has(r.id) && r.status !== 'deleted') byId.set(r.id, r);
  return [...byId.values()].sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.id.localeCompare(b.id));
}

/**
 * The recording a case page shows: the one the address names, or else the case's first. A name that is not
 * the case's is still shown (a shared address after an unlink): the page says it is not linked.
 */
export function selectedRecording(requested: string | null, linked: { id: string }[]): string | null {
  if (requested && isRecordingId(requested)) return requested;
  return linked[0]?.id ?? null;
}
