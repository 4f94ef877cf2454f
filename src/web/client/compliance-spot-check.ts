// Spot checks and bulletins as the API returns them (src/compliance/spot-checks.ts, lists.ts), and the small
// decisions the pages take on them: who may record verdicts, which footage an item has, which bulletin is current.

export type Result = 'pass' | 'fail' | 'na' | 'pending';
export const RULES = ['R1', 'R2', 'R3', 'R4', 'R5', 'R6'] as const;
export const MANUAL = ['M1', 'M2', 'M3', 'M4'] as const;
export type RuleCode = (typeof RULES)[number];
export type ManualCode = (typeof MANUAL)[number];
export type Verdict = 'pass' | 'fail';

export interface Finding {
  rule: string;
  result: Result;
  detail: string;
  evidence?: Record<string, unknown>;
}

export interface SpotCheckItem {
  id: number;
  caseNo: string;
  activityKey: string;
  activityType: string;
  unitCode: string;
  badgeNos: string[];
  startedAt: string;
  endedAt: string;
  inspector: string | null;
  findings: Finding[];
  note: string | null;
  result: 'pass' | 'fail' | 'pending';
  recordingIds: string[];
}

export interface Summary {
  items: number;
  passed: number;
  failed: number;
  pending: number;
  passRate: number | null;
}

export type CheckStatus = 'open' | 'complete' | 'abandoned';

export interface SpotCheckHead {
  id: string;
  seed: string;
  regulationVersion: string;
  from: string;
  to: string;
  unitCodes: string[] | null;
  sample: { mode: 'ratio' | 'perUnit'; value: number };
  inspectors: string[] | null;
  status: CheckStatus;
  openedBy: string;
  openedAt: string;
  closedAt: string | null;
  abandonedReason: string | null;
  summary: Summary;
}

export interface SpotCheck extends SpotCheckHead {
  draws: number;
  items: SpotCheckItem[];
  hiddenItems?: number;
  /** Its bulletins the reader may read, oldest first. */
  bulletins: BulletinSummary[];
}

export interface BulletinSummary {
  id: string;
  number: string;
  version: number;
  spotCheckId: string;
  locale: string;
  issuedAt: string;
  issuedBy: string;
  replaces: string | null;
  current: boolean;
}

export type SpotCheckListItem = SpotCheckHead & {
  bulletins: Pick<BulletinSummary, 'id' | 'number' | 'version' | 'locale' | 'issuedAt' | 'current'>[];
};

export interface VerdictState {
  result: Result;
  by?: string;
  at?: string;
}

/** M1–M4 of an item: pending, na (no footage to watch), or the verdict recorded with who and when. */
export function verdictsOf(item: Pick<SpotCheckItem, 'findings'>): Record<ManualCode, VerdictState> {
  const out = {} as Record<ManualCode, VerdictState>;
  for (const code of MANUAL) {
    const f = item.findings.find((x) => x.rule === code);
    const e = f?.evidence ?? {};
    out[code] = { result: f?.result ?? 'pending', ...(typeof e.by === 'string' ? { by: e.by } : {}), ...(typeof e.at === 'string' ? { at: e.at } : {}) };
  }
  return out;
}

/**
 * Whether to offer the verdict form: on an open check, to an admin, the item's inspector, or anyone (in scope:
 * the API decides that) when the item is assigned to nobody. An item of someone else is shown read-only.
 */
export function mayRecordVerdicts(check: Pick<SpotCheck, 'status'>, item: Pick<SpotCheckItem, 'inspector' | 'findings'>, user: { username: string; role: string }): boolean {
  if (check.status !== 'open') return false;
  if (MANUAL.every((m) => verdictsOf(item)[m].result === 'na')) return false;
  if (user.role === 'admin' || item.inspector === null) return true;
  return item.inspector.toLowerCase() === user.username.toLowerCase();
}

export interface FootageLabel {
  recordingId: string;
  filename: string | null;
  badgeNo: string | null;
  startedAt: string | null;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown) => (typeof v === 'string' ? v : null);

/**
 * What the item's footage is, for the chooser beside the player: the file name, officer and start that the
 * R4 (or R3) evidence stored per officer; the bare id for footage whose evidence says nothing.
 */
export function footageLabels(item: Pick<SpotCheckItem, 'recordingIds' | 'findings'>): FootageLabel[] {
  const known = new Map<string, FootageLabel>();
  for (const rule of ['R4', 'R3']) {
    const officers = item.findings.find((f) => f.rule === rule)?.evidence?.officers;
    if (!Array.isArray(officers)) continue;
    for (const o of officers) {
      if (!isRecord(o) || !isRecord(o.evidence) || !Array.isArray(o.evidence.recordings)) continue;
      for (const r of o.evidence.recordings) {
        const id = isRecord(r) ? str(r.recordingId) : null;
        if (!isRecord(r) || !id || known.has(id)) continue;
        known.set(id, { recordingId: id, filename: str(r.filename), badgeNo: str(o.badgeNo), startedAt: str(r.startedAt) });
      }
    }
  }
  return item.recordingIds.map((id) => known.get(id) ?? { recordingId: id, filename: null, badgeNo: null, startedAt: null });
}

/** The check's bulletin that has not been replaced (one at most), from a list of bulletins. */
export const currentBulletinOf = (spotCheckId: string, bulletins: BulletinSummary[]) =>
  bulletins.find((b) => b.spotCheckId === spotCheckId && b.current) ?? null;

