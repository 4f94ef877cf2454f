import { DateTime } from 'luxon';
import type { Regulation, RuleCode } from '../../config/regulation';
import type { Db } from '../db/pool';
import { activitiesInPeriod, loadActivityFacts } from './facts';
import { evaluateActivity } from './rules';
import type { ActivityFacts, OfficerFinding } from './types';

// Continuous compliance (REGULATION.md, "Continuous compliance"): the automatic rules over every activity of a
// period, not a sample, counted per unit, per officer and per month in the bureau's zone. An activity belongs
// to the month its start falls in and to its case's unit; an officer's figures are kept per unit of the
// activities they took part in (an officer who helps another unit has a row in each). Each figure counts the
// activity-officer pairs a rule passed and failed; `na` is left out, so the recording rate (R1, na for types
// that need not be recorded) is passes ÷ mandatory pairs, and R2–R4 (na without footage) count pairs with footage.

/** The figures and the rule each counts. */
export const FIGURE_RULES = { recording: 'R1', onTime: 'R3', fullProcess: 'R2', ownRecorder: 'R4' } as const satisfies Record<string, RuleCode>;
export type FigureName = keyof typeof FIGURE_RULES;
const FIGURE_NAMES = Object.keys(FIGURE_RULES) as FigureName[];
const FIGURE_OF = new Map<RuleCode, FigureName>(FIGURE_NAMES.map((n) => [FIGURE_RULES[n], n]));

/** `rate` = pass ÷ (pass + fail) as a fraction; null when nothing passed or failed. */
export interface Figure {
  pass: number;
  fail: number;
  rate: number | null;
}
export type Figures = Record<FigureName, Figure>;

export type UnitMonth = { unitCode: string; month: string } & Figures;
export type OfficerMonth = { badgeNo: string; name: string; unitCode: string; month: string } & Figures;
export type UnitTotal = { unitCode: string } & Figures;
export type OfficerTotal = { badgeNo: string; name: string; unitCode: string } & Figures;

export interface ComplianceFigures {
  /** Per unit and month: every month of the period for each unit with an activity in it. */
  units: UnitMonth[];
  /** Per officer, unit and month: every month of the period for each officer with an activity in it. */
  officers: OfficerMonth[];
  /** Per unit, the whole period. */
  unitTotals: UnitTotal[];
  /** Per officer and unit, the whole period. */
  officerTotals: OfficerTotal[];
}

/** What the aggregation reads of one evaluated activity. */
export interface EvaluatedActivity {
  unitCode: string;
  /** `YYYY-MM` of the activity's start in the bureau's zone. */
  month: string;
  officers: { badgeNo: string; name: string }[];
  byOfficer: Pick<OfficerFinding, 'rule' | 'badgeNo' | 'result'>[];
}

export interface AggregateOptions {
  /** Only this officer's rows (and no unit rows when `units` is false). */
  badgeNo?: string | null;
  /** Whether unit rows are shown (an officer sees only their own rows). */
  units?: boolean;
}

type Counts = Record<FigureName, { pass: number; fail: number }>;
const emptyCounts = (): Counts => ({ recording: { pass: 0, fail: 0 }, onTime: { pass: 0, fail: 0 }, fullProcess: { pass: 0, fail: 0 }, ownRecorder: { pass: 0, fail: 0 } });
const figures = (c: Counts): Figures =>
  Object.fromEntries(FIGURE_NAMES.map((n) => [n, { ...c[n], rate: c[n].pass + c[n].fail ? c[n].pass / (c[n].pass + c[n].fail) : null }])) as Figures;

/** Counts kept per key and per month, plus the key's total over the period. */
class Tally<K> {
  readonly rows = new Map<string, { key: K; months: Map<string, Counts>; total: Counts }>();

  /** Makes sure `key` is listed (an activity with only na still lists its unit and officers). */
  touch(id: string, key: K): { months: Map<string, Counts>; total: Counts } {
    let row = this.rows.get(id);
    if (!row) this.rows.set(id, (row = { key, months: new Map(), total: emptyCounts() }));
    return row;
  }

  add(id: string, key: K, month: string, figure: FigureName, result: 'pass' | 'fail'): void {
    const row = this.touch(id, key);
    let counts = row.months.get(month);
    if (!counts) row.months.set(month, (counts = emptyCounts()));
    counts[figure][result]++;
    row.total[figure][result]++;
  }

  /** Rows sorted by `order`: every month of the period for each, then the totals. */
  out<M, T>(months: string[], order: (a: K, b: K) => number, month: (key: K, m: string, f: Figures) => M, total: (key: K, f: Figures) => T): { months: M[]; totals: T[] } {
    const rows = [...this.rows.values()].sort((a, b) => order(a.key, b.key));
    return {
      months: rows.flatMap((r) => months.map((m) => month(r.key, m, figures(r.months.get(m) ?? emptyCounts())))),
      totals: rows.map((r) => total(r.key, figures(r.total))),
    };
  }
}

/**
 * The figures of evaluated activities over `months` (ascending `YYYY-MM`; activities in other months are left
 * out). Pure: the loading is complianceFigures' job.
 */
export function aggregateCompliance(activities: EvaluatedActivity[], months: string[], options: AggregateOptions = {}): ComplianceFigures {
  const inPeriod = new Set(months);
  const showUnits = options.units ?? true;
  const only = options.badgeNo ?? null;
  const units = new Tally<{ unitCode: string }>();
  const officers = new Tally<{ badgeNo: string; name: string; unitCode: string }>();
  for (const a of activities) {
    if (!inPeriod.has(a.month)) continue;
    const names = new Map(a.officers.map((o) => [o.badgeNo, o.name]));
    const unit = { unitCode: a.unitCode };
    if (showUnits) units.touch(a.unitCode, unit);
    const officerKey = (badgeNo: string) => ({ id: `${a.unitCode}\u0000${badgeNo}`, key: { badgeNo, name: names.get(badgeNo) ?? '', unitCode: a.unitCode } });
    for (const o of a.officers) {
      if (only === null || o.badgeNo === only) {
        const k = officerKey(o.badgeNo);
        officers.touch(k.id, k.key);
      }
    }
    for (const f of a.byOfficer) {
      const figure = FIGURE_OF.get(f.rule);
      if (!figure || (f.result !== 'pass' && f.result !== 'fail')) continue;
      if (showUnits) units.add(a.unitCode, unit, a.month, figure, f.result);
      if (only !== null && f.badgeNo !== only) continue;
      const k = officerKey(f.badgeNo);
      officers.add(k.id, k.key, a.month, figure, f.result);
    }
  }
  const u = units.out(
    months,
    (a, b) => a.unitCode.localeCompare(b.unitCode),
    (k, month, f): UnitMonth => ({ unitCode: k.unitCode, month, ...f }),
    (k, f): UnitTotal => ({ unitCode: k.unitCode, ...f }),
  );
  const o = officers.out(
    months,
    (a, b) => a.unitCode.localeCompare(b.unitCode) || a.badgeNo.localeCompare(b.badgeNo),
    (k, month, f): OfficerMonth => ({ ...k, month, ...f }),
    (k, f): OfficerTotal => ({ ...k, ...f }),
  );
  return { units: u.months, officers: o.months, unitTotals: u.totals, officerTotals: o.totals };
}

// --- Months in the bureau's zone -------------------------------------------------------------------------

export const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
/** The most months one request may span. */
export const MAX_MONTHS = 36;

const monthStart = (month: string, zone: string) => DateTime.fromFormat(month, 'yyyy-MM', { zone });

/** `YYYY-MM` of an instant in the zone. */
export const monthOf = (at: Date, zone: string) => DateTime.fromJSDate(at, { zone }).toFormat('yyyy-MM');

/** Every month from `from` to `to`, both included, ascending (empty when `to` precedes `from`). */
export function monthsBetween(from: string, to: string, zone: string): string[] {
  const months: string[] = [];
  const end = monthStart(to, zone);
  for (let m = monthStart(from, zone); m <= end; m = m.plus({ months: 1 })) months.push(m.toFormat('yyyy-MM'));
  return months;
}

/** The month `n` months after (before, when negative) `month`: calendar arithmetic, no zone involved. */
export const shiftMonth = (month: string, n: number) => DateTime.fromFormat(month, 'yyyy-MM', { zone: 'utc' }).plus({ months: n }).toFormat('yyyy-MM');

// --- Loading ---------------------------------------------------------------------------------------------

export interface ComplianceQuery {
  /** `YYYY-MM`, inclusive, in `zone`. */
  from: string;
  to: string;
  /** Units in scope; null: all. */
  unitCodes: string[] | null;
  /** One officer's rows only (unit rows are the units' whole figures still). */
  badgeNo: string | null;
  /** Whether unit rows are computed (false: an officer's own figures). */
  units: boolean;
}

export interface ComplianceSettings {
  regulation: Regulation;
  zone: string;
  /** The footage buffer (the regulation's, as config.linkBufferMs). */
  bufferMs: number;
}

export interface ComplianceReport extends ComplianceFigures {
  from: string;
  to: string;
  regulationVersion: string;
}

/** Activities loaded and evaluated at once: bounds the facts held in memory. */
const CHUNK = 1000;

/** Evaluates every activity of the ids, chunk by chunk, keeping only what the aggregation needs. */
export async function evaluateActivities(db: Db, ids: number[], s: ComplianceSettings): Promise<EvaluatedActivity[]> {
  const out: EvaluatedActivity[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) {
    const facts: ActivityFacts[] = await loadActivityFacts(db, ids.slice(i, i + CHUNK), s.bufferMs);
    for (const f of facts) {
      const { byOfficer } = evaluateActivity(f, s.regulation);
      out.push({
        unitCode: f.unitCode,
        month: monthOf(f.startedAt, s.zone),
        officers: f.officers.map((o) => ({ badgeNo: o.badgeNo, name: o.name })),
        byOfficer: byOfficer.map(({ rule, badgeNo, result }) => ({ rule, badgeNo, result })),
      });
    }
  }
  return out;
}

/**
 * The figures of a period: every activity of the units in scope that starts in it (activitiesInPeriod),
 * evaluated by the automatic rules and aggregated. Without unit rows and with a badge (an officer's own
 * figures), only that officer's activities are loaded.
 */
export async function complianceFigures(db: Db, s: ComplianceSettings, q: ComplianceQuery): Promise<ComplianceReport> {
  const months = monthsBetween(q.from, q.to, s.zone);
  const from = monthStart(q.from, s.zone).toJSDate();
  const to = monthStart(q.to, s.zone).plus({ months: 1 }).toJSDate();
  let ids = (await activitiesInPeriod(db, { from, to, unitCodes: q.unitCodes })).map((a) => a.activityId);
  if (q.badgeNo !== null && !q.units && ids.length) {
    const { rows } = await db.query<{ id: number }>(
      `SELECT ao.activity_id AS id FROM activity_officers ao JOIN officers o ON o.id = ao.officer_id
        WHERE o.badge_no = $1 AND ao.activity_id = ANY($2::bigint[]) ORDER BY ao.activity_id`,
      [q.badgeNo, ids],
    );
    ids = rows.map((r) => r.id);
  }
  const evaluated = await evaluateActivities(db, ids, s);
  return {
    from: q.from,
    to: q.to,
    regulationVersion: s.regulation.version,
    ...aggregateCompliance(evaluated, months, { badgeNo: q.badgeNo, units: q.units }),
  };
}
