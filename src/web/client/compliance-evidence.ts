import { date, dateTime, time } from './format';
import type messages from './messages/compliance';
import type { Finding, Result } from './compliance-spot-check';

// A finding's stored evidence (src/compliance/rules.ts, per officer) said in plain words in the reader's
// language with bureau-local times: which window, which gap, how late, which files. It mirrors what the
// bulletin says (src/compliance/finding-text.ts); the API's `detail` line (codes and UTC) is the fallback for
// evidence in a shape this does not know.

type Key = keyof typeof messages.zh & string;
/** The page's t() (or, in tests, a translator over the same messages). */
export type Say = (key: Key, params?: Record<string, string | number>) => string;

export interface OfficerEvidence {
  badgeNo: string;
  result: Result;
  lines: string[];
}

type Ev = Record<string, unknown>;
const isObj = (v: unknown): v is Ev => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): Ev[] => (Array.isArray(v) ? v.filter(isObj) : []);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const s = (v: unknown): string => (typeof v === 'string' ? v : '');

/** `10:00:00–10:20:00`; both dates when the stretch crosses midnight in the bureau's zone. */
export function timeRange(start: string, end: string): string {
  return date(start) === date(end) ? `${time(start)}–${time(end)}` : `${dateTime(start)} – ${dateTime(end)}`;
}

/** Hours as whole hours, minutes and seconds: `30 h 1 min`, `5 min`, `0 s`. */
export function hoursText(hours: number, say: Say): string {
  const total = Math.floor(Math.round(hours * 3_600_000) / 1000);
  const [h, m, sec] = [Math.floor(total / 3600), Math.floor(total / 60) % 60, total % 60];
  const parts = [h ? say('sc.ev.hours', { n: h }) : '', m ? say('sc.ev.minutes', { n: m }) : '', sec || !total ? say('sc.ev.seconds', { n: sec }) : ''];
  return parts.filter(Boolean).join(' ');
}

/** A share rounded down to a tenth of a per cent: never up to a limit it missed (94.96 % is 94.9 %). */
export const shareText = (fraction: number) => `${(Math.floor(fraction * 1000 + 1e-9) / 10).toFixed(1)}%`;
/** A limit of the regulation: 0.95 → `95%`. */
const limitText = (fraction: number) => `${Number((fraction * 100).toFixed(4))}%`;
const numbersText = (missing: number[]) => (missing.length === 1 ? `${missing[0]}` : `${missing[0]}–${missing[missing.length - 1]}`);

function recorded(e: Ev, result: Result, say: Say): string[] | null {
  const ids = strs(e.recordingIds);
  if (!Array.isArray(e.recordingIds)) return null;
  const window = e.windowStart && e.windowEnd ? timeRange(s(e.windowStart), s(e.windowEnd)) : '';
  const buffer = num(e.bufferMinutes) ?? 0;
  if (result === 'pass') return [say('sc.ev.R1.pass', { n: ids.length, window, buffer })];
  return [window ? say('sc.ev.R1.fail', { window, buffer }) : say('sc.ev.R1.failNoWindow')];
}

function fullProcess(e: Ev, say: Say): string[] | null {
  const [windowSeconds, coverage, min, max] = [num(e.windowSeconds), num(e.coverage), num(e.minCoverage), num(e.maxGapSeconds)];
  if (windowSeconds === null || coverage === null || min === null || max === null || !Array.isArray(e.gaps)) return null;
  if (windowSeconds === 0) return [say('sc.ev.R2.instant', { at: time(s(e.windowStart)), share: shareText(coverage), min: limitText(min) })];
  const covered = num(e.coveredSeconds);
  const lines = [say('sc.ev.R2.coverage', { share: shareText(covered !== null ? covered / windowSeconds : coverage), min: limitText(min), window: timeRange(s(e.windowStart), s(e.windowEnd)) })];
  const gaps = arr(e.gaps);
  const largest = gaps.reduce<Ev | null>((m, g) => (!m || (num(g.seconds) ?? 0) > (num(m.seconds) ?? 0) ? g : m), null);
  if (!largest) lines.push(say('sc.ev.R2.noGap', { max }));
  else lines.push(say('sc.ev.R2.gap', { seconds: Number((num(largest.seconds) ?? 0).toFixed(3)), range: timeRange(s(largest.start), s(largest.end)), max }));
  const long = Array.isArray(e.longGaps) ? arr(e.longGaps).length : gaps.filter((g) => (num(g.seconds) ?? 0) > max).length;
  if (long > 1) lines.push(say('sc.ev.R2.longGaps', { n: long, max }));
  return lines;
}

function timelyUpload(e: Ev, result: Result, say: Say): string[] | null {
  const deadlineHours = num(e.uploadDeadlineHours);
  if (deadlineHours === null || !Array.isArray(e.recordings) || !Array.isArray(e.late)) return null;
  const deadline = hoursText(deadlineHours, say);
  const rows = arr(e.recordings);
  const late = new Set(strs(e.late));
  if (result === 'pass') {
    const latest = Math.max(0, ...rows.map((r) => num(r.hoursAfterEnd) ?? 0));
    return [say('sc.ev.R3.pass', { n: rows.length, deadline, latest: hoursText(latest, say) })];
  }
  return rows
    .filter((r) => late.has(s(r.recordingId)))
    .map((r) =>
      say('sc.ev.R3.late', {
        file: s(r.filename),
        docked: dateTime(s(r.dockedAt)),
        after: hoursText(num(r.hoursAfterEnd) ?? 0, say),
        late: hoursText(num(r.hoursLate) ?? 0, say),
        deadline,
      }),
    );
}

function ownRecorder(e: Ev, result: Result, say: Say): string[] | null {
  if (!Array.isArray(e.recordings) || !Array.isArray(e.notOwn)) return null;
  const rows = arr(e.recordings);
  if (result === 'pass') return [say('sc.ev.R4.pass', { n: rows.length, serials: [...new Set(rows.map((r) => s(r.recorderSerial)))].join(', ') })];
  const notOwn = new Set(strs(e.notOwn));
  return rows
    .filter((r) => notOwn.has(s(r.recordingId)))
    .map((r) =>
      r.assignedTo
        ? say('sc.ev.R4.notOwn', { file: s(r.filename), serial: s(r.recorderSerial), at: time(s(r.startedAt)), to: s(r.assignedTo) })
        : say('sc.ev.R4.unassigned', { file: s(r.filename), serial: s(r.recorderSerial), at: time(s(r.startedAt)) }),
    );
}

function integrity(e: Ev, result: Result, say: Say): string[] | null {
  if (!Array.isArray(e.failed) || !Array.isArray(e.holes)) return null;
  const unaudited = strs(e.unaudited).length;
  if (result === 'pass') return [unaudited ? say('sc.ev.R5.passUnaudited', { n: unaudited }) : say('sc.ev.R5.pass')];
  const lines: string[] = [];
  for (const f of arr(e.failed)) {
    const audit = isObj(f.audit) ? f.audit : null;
    if (audit && audit.result === 'mismatch') lines.push(say('sc.ev.R5.mismatch', { file: s(f.filename), at: dateTime(s(audit.checkedAt)) }));
    if (audit && audit.result === 'missing') lines.push(say('sc.ev.R5.missing', { file: s(f.filename), at: dateTime(s(audit.checkedAt)) }));
    if (f.status === 'deleted') lines.push(say('sc.ev.R5.deleted', { file: s(f.filename) }));
  }
  for (const h of arr(e.holes)) {
    const missing = Array.isArray(h.missing) ? h.missing.filter((n): n is number => typeof n === 'number') : [];
    if (missing.length) lines.push(say('sc.ev.R5.hole', { serial: s(h.recorderSerial), numbers: numbersText(missing) }));
  }
  return lines;
}

function linkedToCase(e: Ev, result: Result, say: Say): string[] | null {
  if (!Array.isArray(e.notLinked) || !Array.isArray(e.unlinkedByHand)) return null;
  const byHand = arr(e.unlinkedByHand).map((u) => say('sc.ev.R6.byHand', { file: s(u.filename), by: s(u.by), reason: s(u.reason) }));
  if (result === 'pass') return [say('sc.ev.R6.pass', { n: strs(e.linked).length, caseNo: s(e.caseNo) }), ...byHand];
  const files = Array.isArray(e.notLinkedRecordings) ? arr(e.notLinkedRecordings).map((r) => s(r.filename)) : [];
  const first = files.length ? say('sc.ev.R6.notLinked', { files: files.join(', '), caseNo: s(e.caseNo) }) : say('sc.ev.R6.notLinkedCount', { n: strs(e.notLinked).length, caseNo: s(e.caseNo) });
  return [first, ...byHand];
}

const TEXT: Record<string, (e: Ev, result: Result, say: Say) => string[] | null> = {
  R1: recorded,
  R2: (e, _r, say) => fullProcess(e, say),
  R3: timelyUpload,
  R4: ownRecorder,
  R5: integrity,
  R6: linkedToCase,
};

/** One officer's result for an automatic rule in plain words. */
function officerLines(rule: string, o: Ev, say: Say): string[] {
  const result = o.result as Result;
  const e = isObj(o.evidence) ? o.evidence : null;
  if (result === 'na') return [e && typeof e.type === 'string' ? say('sc.ev.na.type') : say('sc.ev.na.noFootage')];
  const lines = e && TEXT[rule] ? TEXT[rule]!(e, result, say) : null;
  return lines && lines.length ? lines : [s(o.detail)];
}

/**
 * An item's automatic finding officer by officer (REGULATION.md: the item's result is the worst of its
 * officers'), each with its evidence in plain words. A finding with no per-officer evidence is its detail line.
 */
export function describeFinding(finding: Finding, say: Say): OfficerEvidence[] {
  const officers = arr(finding.evidence?.officers);
  if (!officers.length) return finding.detail ? [{ badgeNo: '', result: finding.result, lines: [finding.detail] }] : [];
  return officers.map((o) => ({ badgeNo: s(o.badgeNo), result: o.result as Result, lines: officerLines(finding.rule, o, say) }));
}
