import { RULE_CODES, type Regulation, type RuleCode } from '../../config/regulation';
import type { ActivityFacts, FootageFacts, Finding, OfficerFacts, OfficerFinding, Result } from './types';

// The automatic rules R1–R6 of REGULATION.md ("Automatic rules"), as pure functions of the facts
// (src/compliance/facts.ts loads them) and the regulation's numbers. Nothing here reads a clock or the catalog.
//
// Decisions the regulation leaves open, made once here:
// - R2, a zero-length activity (start = end): covered (100 %) when some recording's span contains its instant,
//   else 0 %; it has no uncovered stretch longer than 0 s, so only the coverage can fail it.
// - R2, a recording with no known end is a point at its start: it adds nothing to the coverage, but the
//   instant it covers does split an uncovered stretch in two.
// - R4 looks at the assignment at each recording's start: a file begun on another officer's recorder stays
//   that officer's recorder for the whole file, even when the recorder is reassigned to O while it runs.
// - R5, a recording whose status is `deleted` (its original gone by retention) is missing footage and fails;
//   a recording never audited yet does not. Segment holes are looked for per recorder in time order: a
//   number at or below the one before starts a new run (the recorder restarted its numbering), and inside a
//   run every number from one to the next must be there (1, 2, 4 → a hole at 3). A recording without a
//   number is left out: it neither makes a hole nor fills one (1, null, 3 → a hole at 2).

type Rule = (activity: ActivityFacts, officer: OfficerFacts, regulation: Regulation) => Omit<OfficerFinding, 'rule' | 'badgeNo'>;

// The evidence each rule stores for an officer it passes or fails (instants as ISO strings, UTC): what
// src/compliance/finding-text.ts renders for people. Fields marked optional are absent from findings stored
// before they were added.

/** R1 (applicable): the recordings found, and the window they were looked for in (the activity ± the buffer). */
export type RecordedEvidence = { recordingIds: string[]; windowStart?: string; windowEnd?: string; bufferMinutes?: number };
/** An uncovered stretch of the activity's window. */
export type GapEvidence = { start: string; end: string; seconds: number };
/** R2: a zero-length activity has no coveredSeconds nor longGaps. */
export type FullProcessEvidence = {
  minCoverage: number;
  maxGapSeconds: number;
  windowStart: string;
  windowEnd: string;
  windowSeconds: number;
  coveredSeconds?: number;
  coverage: number;
  gaps: GapEvidence[];
  longGaps?: GapEvidence[];
  recordingIds: string[];
};
export type TimelyUploadEvidence = {
  uploadDeadlineHours: number;
  recordings: { recordingId: string; filename: string; dockedAt: string; hoursAfterEnd: number; hoursLate: number }[];
  late: string[];
};
export type OwnRecorderEvidence = {
  badgeNo: string;
  recordings: { recordingId: string; filename: string; recorderSerial: string; startedAt: string; assignedTo: string | null }[];
  notOwn: string[];
};
export type IntegrityEvidence = {
  failed: { recordingId: string; filename: string; status: FootageFacts['status']; audit: { result: 'ok' | 'mismatch' | 'missing'; checkedAt: string } | null }[];
  holes: { recorderSerial: string; missing: number[]; between: [string, string] }[];
  unaudited: string[];
};
export type LinkedToCaseEvidence = {
  caseNo: string;
  linked: string[];
  unlinkedByHand: { recordingId: string; filename: string; by: string; reason: string }[];
  notLinked: string[];
  notLinkedRecordings?: { recordingId: string; filename: string }[];
};
export interface RuleEvidence {
  R1: RecordedEvidence;
  R2: FullProcessEvidence;
  R3: TimelyUploadEvidence;
  R4: OwnRecorderEvidence;
  R5: IntegrityEvidence;
  R6: LinkedToCaseEvidence;
}

const MS_PER_HOUR = 3_600_000;

/** A recording's span in ms: [start, end], a point at its start while the end is unknown (or precedes the start). */
function span(f: FootageFacts): [number, number] {
  const start = f.startedAt.getTime();
  return [start, Math.max(start, f.endedAt?.getTime() ?? start)];
}

/** `HH:mm:ss` of an instant, UTC. */
const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19);
const iso = (ms: number) => new Date(ms).toISOString();
const two = (n: number) => String(n).padStart(2, '0');

/** A duration for people: `m:ss min` under an hour, `h:mm:ss h` from one hour on (whole seconds, rounded down). */
export function duration(ms: number): string {
  const s = Math.floor(Math.abs(ms) / 1000);
  const sign = ms < 0 ? '-' : '';
  if (s < 3600) return `${sign}${Math.floor(s / 60)}:${two(s % 60)} min`;
  return `${sign}${Math.floor(s / 3600)}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)} h`;
}

/** A fraction as a percentage with one decimal, rounded down: 94.99 % shows as 94.9 %, never as the 95 % it missed. */
const percent = (covered: number, total: number) => `${Math.floor((covered * 1000) / total) / 10} %`;

/** A fraction of the regulation as a percentage (0.95 → 95, 0.07 → 7, not 7.000000000000001). */
const pct = (fraction: number) => Number((fraction * 100).toFixed(4));
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const windowText = (a: ActivityFacts) => `${clock(a.startedAt.getTime())}–${clock(a.endedAt.getTime())} UTC`;
const na = (detail: string, evidence?: Record<string, unknown>) => ({ result: 'na' as const, detail, ...(evidence ? { evidence } : {}) });

/** R2–R6 cannot apply to an officer with no footage. */
const noFootage = (officer: OfficerFacts) => (officer.footage.length ? null : na('no footage'));

/** R1 开启记录: F(A, O) is not empty; `na` for an activity type the regulation does not require to be recorded. */
export const recorded: Rule = (activity, officer, regulation) => {
  if (!(regulation.mandatoryActivityTypes as string[]).includes(activity.type)) {
    return na(`activity type ${activity.type} need not be recorded`, { type: activity.type });
  }
  const bufferMinutes = regulation.footageBufferMinutes;
  const where = `${windowText(activity)} ± ${bufferMinutes} min`;
  const recordingIds = officer.footage.map((f) => f.recordingId);
  const evidence: RecordedEvidence = { recordingIds, windowStart: activity.startedAt.toISOString(), windowEnd: activity.endedAt.toISOString(), bufferMinutes };
  return officer.footage.length
    ? { result: 'pass', detail: `${plural(recordingIds.length, 'recording')} within ${where}`, evidence }
    : { result: 'fail', detail: `no recording within ${where}`, evidence };
};

interface Stretch {
  start: number;
  end: number;
}

/**
 * The union of the spans clipped to [start, end] (start < end) and the uncovered stretches left inside it, the
 * window's two ends included. Touching or overlapping spans merge; a point adds nothing but splits a stretch.
 */
export function coverage(spans: [number, number][], start: number, end: number): { covered: number; gaps: Stretch[] } {
  const clipped = spans
    .filter(([a, b]) => a <= end && b >= start)
    .map(([a, b]): Stretch => ({ start: Math.max(a, start), end: Math.min(b, end) }))
    .sort((x, y) => x.start - y.start);
  let covered = 0;
  const gaps: Stretch[] = [];
  let cursor = start;
  for (const s of clipped) {
    if (s.start > cursor) gaps.push({ start: cursor, end: s.start });
    if (s.end < cursor) continue; // inside what is covered already
    covered += s.end - Math.max(s.start, cursor);
    cursor = s.end;
  }
  if (cursor < end) gaps.push({ start: cursor, end });
  return { covered, gaps };
}

/**
 * R2 全过程记录: the union of F(A, O) covers at least minCoverage of [A.start, A.end] and no uncovered stretch
 * inside it (its ends included) is longer than maxGapSeconds. See the decisions above for points and zero-length activities.
 */
export const fullProcess: Rule = (activity, officer, regulation) => {
  const empty = noFootage(officer);
  if (empty) return empty;
  const { minCoverage, maxGapSeconds } = regulation.rules.R2;
  const start = activity.startedAt.getTime();
  const end = activity.endedAt.getTime();
  const { covered, gaps } = coverage(officer.footage.map(span), start, end);
  const recordingIds = officer.footage.map((f) => f.recordingId);
  const maxGapMs = maxGapSeconds * 1000;
  const long = gaps.filter((g) => g.end - g.start > maxGapMs);
  const gapEvidence = (g: Stretch): GapEvidence => ({ start: iso(g.start), end: iso(g.end), seconds: (g.end - g.start) / 1000 });
  const limits = { minCoverage, maxGapSeconds };

  if (start === end) {
    const inside = officer.footage.some((f) => span(f)[0] <= start && span(f)[1] >= start);
    const ratio = inside ? 1 : 0;
    return {
      result: ratio >= minCoverage ? 'pass' : 'fail',
      detail: `zero-length activity at ${clock(start)} UTC ${inside ? 'within' : 'not within'} a recording (covered ${ratio * 100} %, minimum ${pct(minCoverage)} %)`,
      evidence: { ...limits, windowStart: iso(start), windowEnd: iso(end), windowSeconds: 0, coverage: ratio, gaps: [], recordingIds } satisfies FullProcessEvidence,
    };
  }

  const total = end - start;
  const ratio = covered / total;
  const largest = gaps.reduce<Stretch | null>((m, g) => (!m || g.end - g.start > m.end - m.start ? g : m), null);
  const fail = ratio < minCoverage || long.length > 0;
  const gapText = largest
    ? `largest gap ${(largest.end - largest.start) / 1000} s at ${clock(largest.start)}–${clock(largest.end)} UTC` +
      (long.length > 1 ? ` (${long.length} gaps over ${maxGapSeconds} s)` : '')
    : 'no gap';
  return {
    result: fail ? 'fail' : 'pass',
    detail: `covered ${percent(covered, total)} of ${duration(total)} (minimum ${pct(minCoverage)} %); ${gapText} (maximum ${maxGapSeconds} s)`,
    evidence: {
      ...limits,
      windowStart: iso(start),
      windowEnd: iso(end),
      windowSeconds: total / 1000,
      coveredSeconds: covered / 1000,
      coverage: ratio,
      gaps: gaps.map(gapEvidence),
      longGaps: long.map(gapEvidence),
      recordingIds,
    } satisfies FullProcessEvidence,
  };
};

/** R3 及时上传: every recording docked no later than uploadDeadlineHours after the activity's end (exactly the deadline passes). */
export const timelyUpload: Rule = (activity, officer, regulation) => {
  const empty = noFootage(officer);
  if (empty) return empty;
  const hours = regulation.rules.R3.uploadDeadlineHours;
  const deadlineMs = Math.round(hours * MS_PER_HOUR);
  const end = activity.endedAt.getTime();
  const rows = officer.footage.map((f) => {
    const afterMs = f.dockedAt.getTime() - end;
    return {
      recordingId: f.recordingId,
      filename: f.filename,
      dockedAt: f.dockedAt.toISOString(),
      afterMs,
      hoursAfterEnd: afterMs / MS_PER_HOUR,
      hoursLate: Math.max(0, afterMs - deadlineMs) / MS_PER_HOUR,
    };
  });
  const late = rows.filter((r) => r.afterMs > deadlineMs);
  const evidence: TimelyUploadEvidence = { uploadDeadlineHours: hours, recordings: rows.map(({ afterMs: _afterMs, ...r }) => r), late: late.map((r) => r.recordingId) };
  if (!late.length) {
    const latest = Math.max(...rows.map((r) => r.afterMs));
    return { result: 'pass', detail: `${plural(rows.length, 'recording')} docked within ${hours} h of the end (latest ${duration(latest)} after)`, evidence };
  }
  const list = late.map((r) => `${r.filename} ${duration(r.afterMs)} after the end (${duration(r.afterMs - deadlineMs)} late)`).join(', ');
  return { result: 'fail', detail: `${late.length} of ${rows.length} docked more than ${hours} h after the end: ${list}`, evidence };
};

/** R4 一人一机: every recording was made on a recorder assigned to O at the recording's start. */
export const ownRecorder: Rule = (_activity, officer) => {
  const empty = noFootage(officer);
  if (empty) return empty;
  const rows = officer.footage.map((f) => ({
    recordingId: f.recordingId,
    filename: f.filename,
    recorderSerial: f.recorderSerial,
    startedAt: f.startedAt.toISOString(),
    assignedTo: f.recorderAssignedTo,
  }));
  const foreign = rows.filter((r) => r.assignedTo !== officer.badgeNo);
  const evidence: OwnRecorderEvidence = { badgeNo: officer.badgeNo, recordings: rows, notOwn: foreign.map((r) => r.recordingId) };
  if (!foreign.length) {
    const serials = [...new Set(rows.map((r) => r.recorderSerial))].join(', ');
    return { result: 'pass', detail: `${plural(rows.length, 'recording')} on ${officer.badgeNo}'s own recorder ${serials}`, evidence };
  }
  const list = foreign
    .map((r) => `${r.filename} on ${r.recorderSerial} (assigned to ${r.assignedTo ?? 'nobody'} at ${clock(Date.parse(r.startedAt))} UTC)`)
    .join(', ');
  return { result: 'fail', detail: `${foreign.length} of ${rows.length} not on ${officer.badgeNo}'s own recorder: ${list}`, evidence };
};

/**
 * The holes in a recorder's segment numbers, per recorder in time order (see the decisions above): the
 * numbers missing inside each run of increasing numbers.
 */
export function segmentHoles(footage: FootageFacts[]): { recorderSerial: string; missing: number[]; between: [string, string] }[] {
  const byRecorder = new Map<string, FootageFacts[]>();
  for (const f of footage) {
    if (f.seq === null) continue;
    byRecorder.set(f.recorderSerial, [...(byRecorder.get(f.recorderSerial) ?? []), f]);
  }
  const holes: { recorderSerial: string; missing: number[]; between: [string, string] }[] = [];
  for (const [recorderSerial, list] of [...byRecorder].sort(([a], [b]) => a.localeCompare(b))) {
    list.sort((x, y) => x.startedAt.getTime() - y.startedAt.getTime() || x.seq! - y.seq!);
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1]!.seq!;
      const next = list[i]!.seq!;
      if (next <= prev + 1) continue; // the next number, or a restart
      const missing = Array.from({ length: next - prev - 1 }, (_, k) => prev + 1 + k);
      holes.push({ recorderSerial, missing, between: [list[i - 1]!.recordingId, list[i]!.recordingId] });
    }
  }
  return holes;
}

/** Missing numbers for people: `3`, `3–5`. */
const numbers = (missing: number[]) => (missing.length === 1 ? `${missing[0]}` : `${missing[0]}–${missing[missing.length - 1]}`);

/**
 * R5 资料完整: no recording failed its latest integrity audit (mismatch, missing) or was deleted, and no
 * recorder's segment numbers have a hole. A recording never audited yet is not a failure.
 */
export const integrity: Rule = (_activity, officer) => {
  const empty = noFootage(officer);
  if (empty) return empty;
  const failed = officer.footage
    .filter((f) => f.status === 'deleted' || (f.audit && f.audit.result !== 'ok'))
    .map((f) => ({
      recordingId: f.recordingId,
      filename: f.filename,
      status: f.status,
      audit: f.audit ? { result: f.audit.result, checkedAt: f.audit.checkedAt.toISOString() } : null,
    }));
  const holes = segmentHoles(officer.footage);
  const unaudited = officer.footage.filter((f) => !f.audit).map((f) => f.recordingId);
  const evidence: IntegrityEvidence = { failed, holes, unaudited };
  if (!failed.length && !holes.length) {
    const audited = officer.footage.length - unaudited.length;
    return { result: 'pass', detail: `${plural(officer.footage.length, 'recording')}, ${audited} audited ok, no segment missing`, evidence };
  }
  const parts = [
    ...failed.map((f) => {
      const why = [f.audit && f.audit.result !== 'ok' ? `audit ${f.audit.result} at ${f.audit.checkedAt}` : null, f.status === 'deleted' ? 'deleted' : null];
      return `${f.filename} ${why.filter(Boolean).join(', ')}`;
    }),
    ...holes.map((h) => `${h.recorderSerial} segment ${numbers(h.missing)} missing`),
  ];
  return { result: 'fail', detail: parts.join('; '), evidence };
};

/** R6 关联案件: every recording linked to the activity's case, or unlinked from it by hand with a reason. */
export const linkedToCase: Rule = (activity, officer) => {
  const empty = noFootage(officer);
  if (empty) return empty;
  const linked = officer.footage.filter((f) => f.linkedToCase).map((f) => f.recordingId);
  const unlinked = officer.footage
    .filter((f) => !f.linkedToCase && f.unlinkedByHand)
    .map((f) => ({ recordingId: f.recordingId, filename: f.filename, by: f.unlinkedByHand!.by, reason: f.unlinkedByHand!.reason }));
  const missing = officer.footage.filter((f) => !f.linkedToCase && !f.unlinkedByHand).map((f) => ({ recordingId: f.recordingId, filename: f.filename }));
  const evidence: LinkedToCaseEvidence = { caseNo: activity.caseNo, linked, unlinkedByHand: unlinked, notLinked: missing.map((m) => m.recordingId), notLinkedRecordings: missing };
  const unlinkText = unlinked.map((u) => `${u.filename} unlinked by ${u.by}: ${u.reason}`).join('; ');
  if (!missing.length) {
    const detail = `${linked.length} linked to ${activity.caseNo}` + (unlinked.length ? `, ${unlinked.length} unlinked by hand (${unlinkText})` : '');
    return { result: 'pass', detail, evidence };
  }
  const detail = `${missing.length} of ${officer.footage.length} not linked to ${activity.caseNo}: ${missing.map((m) => m.filename).join(', ')}` +
    (unlinked.length ? `; unlinked by hand: ${unlinkText}` : '');
  return { result: 'fail', detail, evidence };
};

export const RULES: Record<RuleCode, Rule> = { R1: recorded, R2: fullProcess, R3: timelyUpload, R4: ownRecorder, R5: integrity, R6: linkedToCase };

/** One rule for one officer of an activity. */
export function evaluateRule(rule: RuleCode, activity: ActivityFacts, officer: OfficerFacts, regulation: Regulation): OfficerFinding {
  return { rule, badgeNo: officer.badgeNo, ...RULES[rule](activity, officer, regulation) };
}

const SEVERITY: Record<Result, number> = { na: 0, pass: 1, pending: 2, fail: 3 };

/** The worst of the officers' results for one rule: fail > pass > na (an item whose every officer is na is na). */
function worstOf(rule: RuleCode, officers: OfficerFinding[]): Finding {
  if (!officers.length) return { rule, result: 'na', detail: 'no officer named', evidence: { officers: [] } };
  const result = officers.reduce<Result>((w, f) => (SEVERITY[f.result] > SEVERITY[w] ? f.result : w), 'na');
  const shown = officers.filter((f) => f.result === result);
  return {
    rule,
    result,
    detail: shown.map((f) => `${f.badgeNo}: ${f.detail}`).join('; '),
    evidence: { officers: officers.map((f) => ({ badgeNo: f.badgeNo, result: f.result, detail: f.detail, ...(f.evidence ? { evidence: f.evidence } : {}) })) },
  };
}

/**
 * Every rule for every officer of an activity (`byOfficer`, officer by officer, R1..R6 each), and per rule the
 * item's finding: the worst of its officers, its detail listing the officers with that result.
 */
export function evaluateActivity(facts: ActivityFacts, regulation: Regulation): { findings: Finding[]; byOfficer: OfficerFinding[] } {
  const byOfficer = facts.officers.flatMap((o) => RULE_CODES.map((rule) => evaluateRule(rule, facts, o, regulation)));
  const findings = RULE_CODES.map((rule) => worstOf(rule, byOfficer.filter((f) => f.rule === rule)));
  return { findings, byOfficer };
}

/** An item's result from its findings (rules and manual verdicts): fail if any fails, else pending if any is pending, else pass (na counts as a pass). */
export function itemResult(findings: Pick<Finding, 'result'>[]): 'pass' | 'fail' | 'pending' {
  // Pending while a verdict is still to be given, even after an automatic rule failed: the inspector watches
  // the footage of every item, and the bulletin counts what they found (M1–M4) on failed items too.
  if (findings.some((f) => f.result === 'pending')) return 'pending';
  if (findings.some((f) => f.result === 'fail')) return 'fail';
  return 'pass';
}
