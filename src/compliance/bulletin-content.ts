import { DateTime } from 'luxon';
import { MANUAL_CODES, RULE_CODES, type Locale, type ManualCode, type Regulation, type RuleCode } from '../../config/regulation';
import { describeOfficerFinding, isOfficerEvidence } from './finding-text';
import type { Finding, Result } from './types';
import { UUID } from '../directory/identifiers';

// Everything an inspection bulletin (通报, REGULATION.md) says, computed once at issue from a complete spot
// check and stored as the bulletin's content: HTML, PDF and CSV are renderings of it and add no facts.
// Pure: no clock, no database; the caller gives the issue time, the bureau's zone and what the catalog knows.
//
// Rounding: a pass rate is passed ÷ checked, computed in integers and rounded half up to a tenth of a per
// cent (`rateTenths`: 875 is 87.5 %). A change against the previous bulletin is the difference of the two
// printed rates, in tenths of a percentage point, so a reader can check it by subtracting. "Below the
// threshold" (通报批评) is decided exactly: passed × 10000 < threshold (in basis points) × checked.

export const CATEGORIES = [...RULE_CODES, ...MANUAL_CODES] as const;
export type Category = RuleCode | ManualCode;

/** A spot check as stored (0012's spot_checks), dates as `YYYY-MM-DD`. */
export interface BulletinSpotCheck {
  id: string;
  periodFrom: string;
  periodTo: string;
  /** null: every unit. */
  unitCodes: string[] | null;
  sampleMode: 'ratio' | 'perUnit';
  /** numeric as PostgreSQL gives it: '0.1', '5'. */
  sampleValue: string;
  seed: string;
  regulationVersion: string;
  status: string;
}

export interface Verdict {
  result: Result;
  by?: string;
  at?: string;
}

/** An item as stored (spot_check_items). Findings may carry the failing officer's `badgeNo`. */
export interface BulletinItem {
  position: number;
  caseNo: string;
  activityKey: string;
  activityType: string;
  unitCode: string;
  badgeNos: string[];
  inspector: string | null;
  findings: (Finding & { badgeNo?: string })[];
  /** The truth for M1–M4 (an M entry in `findings` may still say pending). */
  verdicts: Partial<Record<ManualCode, Verdict>>;
  note: string | null;
  result: 'pass' | 'fail' | 'pending';
}

/** What an earlier bulletin said, for the change and the trend (summaryOf reads it from stored content). */
export interface PreviousBulletin {
  id: string;
  number: string;
  issuedAt: string;
  periodFrom: string;
  checked: number;
  passed: number;
  units: { unitCode: string; checked: number; passed: number }[];
}

export interface BulletinInput {
  spotCheck: BulletinSpotCheck;
  /** The regulation the spot check applied (its snapshot): names, thresholds, issuing body. */
  regulation: Regulation;
  items: BulletinItem[];
  /** Unit code → name; officer badge → name (codes and badges stand in for names not known). */
  unitNames: Record<string, string>;
  officerNames: Record<string, string>;
  /** Earlier bulletins of the same scope, any order; the newest trendBulletins (and at least one) count. */
  previous: PreviousBulletin[];
  /** Draws (spot checks opened, abandoned ones too) for the same period and an overlapping scope. */
  draws: number;
  recordingsChecked: number;
  /** The custody log's head when the content was computed: its last event's seq and hash (0 and 64 zeros when empty). */
  custody: { seq: number; head: string };
  number: string;
  version: number;
  replaces: { id: string; number: string; version: number; issuedAt: string } | null;
  issuedAt: Date;
  issuedBy: string;
  /** The bureau's zone (BUREAU_TZ): the issue date and the deadline are dates there. */
  zone: string;
}

export interface UnitRow {
  rank: number;
  unitCode: string;
  unitName: string;
  checked: number;
  passed: number;
  failed: number;
  rateTenths: number | null;
  rate: string;
  /** Items of the unit failing each category. */
  fails: Record<Category, number>;
  criticized: boolean;
}

export interface TypicalCase {
  caseNo: string;
  activityKey: string;
  unitCode: string;
  officers: string;
  /** What failed: for a rule, each failing officer's evidence in the bulletin's language at the bureau's times (src/compliance/finding-text.ts); for a manual item, the inspector's note. */
  detail: string;
  text: string;
}

export interface CategoryProblem {
  code: Category;
  name: string;
  finding: string;
  count: number;
  heading: string;
  cases: TypicalCase[];
}

export interface ItemRow {
  position: number;
  unitCode: string;
  unitName: string;
  caseNo: string;
  activityKey: string;
  activityType: string;
  officers: string;
  inspector: string;
  /** Per category: the item's result (an R rule's worst over its officers; an M verdict), null when none is stored. */
  results: Record<Category, Result | null>;
  result: 'pass' | 'fail' | 'pending';
}

export interface TrendSeries {
  unitCode: string;
  unitName: string;
  /** Below the criticism line (decided on the exact ratio, as in the table). */
  criticized: boolean;
  /** One per trend column (oldest first, this bulletin last); null where the unit was not in that bulletin. */
  rateTenths: (number | null)[];
}

export interface BulletinContent {
  schema: 1;
  locale: Locale;
  labels: Labels;
  spotCheckId: string;
  title: string;
  number: string;
  version: number;
  versionText: string;
  replaces: { id: string; number: string; version: number; issuedAt: string } | null;
  correctionText: string | null;
  issuingBody: string;
  issuedAt: string;
  issuedDate: string;
  issuedDateText: string;
  issuedBy: string;
  basics: {
    period: { from: string; to: string; text: string };
    scope: { unitCodes: string[] | null; text: string };
    method: { sampleMode: 'ratio' | 'perUnit'; sampleValue: string; text: string };
    seed: string;
    draws: number;
    drawsText: string;
    regulationVersion: string;
    regulationText: string;
    activitiesChecked: number;
    recordingsChecked: number;
    text: string;
  };
  overall: {
    checked: number;
    passed: number;
    failed: number;
    rateTenths: number | null;
    rate: string;
    /** deltaText: percentage points, signed ('+7.5', '-2.0', '0.0'; ASCII: the PDF font has no U+2212), or '—' when either rate is missing. */
    change: { previousId: string; previousNumber: string; previousRateTenths: number | null; deltaTenths: number | null; deltaText: string } | null;
    changeText: string;
    text: string;
  };
  units: UnitRow[];
  /** Every category, in code order, with its name (the table's legend). */
  categories: { code: Category; name: string }[];
  /** Categories with at least one failing item, in code order. */
  problems: CategoryProblem[];
  problemsText: string;
  rectification: {
    days: number;
    deadline: string;
    deadlineText: string;
    thresholdBp: number;
    threshold: string;
    criticized: { unitCode: string; unitName: string; rate: string }[];
    requirements: string[];
  };
  chart: {
    /** Column labels, oldest first; the last is this bulletin. */
    columns: { number: string; current: boolean }[];
    thresholdTenths: number;
    series: TrendSeries[];
    caption: string;
  };
  custody: { seq: number; head: string; text: string };
  roundingNote: string;
  items: ItemRow[];
}

/** The fixed wording, per locale. `{n}` and `{total}` in `page` are filled by the PDF renderer. */
export interface Labels {
  basics: string;
  overall: string;
  units: string;
  problems: string;
  rectification: string;
  chart: string;
  custody: string;
  number: string;
  version: string;
  issuingBody: string;
  issuedDate: string;
  period: string;
  scope: string;
  method: string;
  seed: string;
  draws: string;
  regulation: string;
  activities: string;
  recordings: string;
  checked: string;
  passed: string;
  failed: string;
  rate: string;
  change: string;
  rank: string;
  unitCode: string;
  unit: string;
  criticized: string;
  deadline: string;
  legend: string;
  typicalCases: string;
  position: string;
  caseNo: string;
  activity: string;
  activityType: string;
  officers: string;
  inspector: string;
  result: string;
  chartRate: string;
  chartTrend: string;
  chartThreshold: string;
  custodyHead: string;
  custodySeq: string;
  page: string;
  csvSummary: string;
  csvUnits: string;
  csvItems: string;
  results: Record<Result, string>;
  yes: string;
}

const LABELS: Record<Locale, Labels> = {
  'zh-CN': {
    basics: '一、抽查基本情况',
    overall: '二、总体情况',
    units: '三、各单位情况',
    problems: '四、存在问题',
    rectification: '五、整改要求',
    chart: '六、合格率及趋势',
    custody: '七、监督链哈希',
    number: '编号',
    version: '版本',
    issuingBody: '印发单位',
    issuedDate: '印发日期',
    period: '抽查期间',
    scope: '抽查范围',
    method: '抽查方式',
    seed: '随机种子',
    draws: '抽取次数',
    regulation: '适用规定',
    activities: '抽查执法活动',
    recordings: '涉及视音频记录',
    checked: '抽查数',
    passed: '合格数',
    failed: '不合格数',
    rate: '合格率',
    change: '较上期变化',
    rank: '排名',
    unitCode: '单位代码',
    unit: '单位',
    criticized: '通报批评',
    deadline: '整改期限',
    legend: '问题类别',
    typicalCases: '典型案例',
    position: '序号',
    caseNo: '案件编号',
    activity: '执法活动',
    activityType: '活动类型',
    officers: '执法人员',
    inspector: '检查人',
    result: '结果',
    chartRate: '本期合格率',
    chartTrend: '合格率趋势',
    chartThreshold: '通报批评线',
    custodyHead: '监督链头哈希',
    custodySeq: '事件序号',
    page: '第 {n} 页 / 共 {total} 页',
    csvSummary: '通报',
    csvUnits: '各单位情况',
    csvItems: '抽查事项',
    results: { pass: '合格', fail: '不合格', na: '不适用', pending: '待定' },
    yes: '是',
  },
  en: {
    basics: '1. The spot check',
    overall: '2. Overall result',
    units: '3. Results by unit',
    problems: '4. Problems found',
    rectification: '5. Rectification',
    chart: '6. Pass rate and trend',
    custody: '7. Custody log head hash',
    number: 'Number',
    version: 'Version',
    issuingBody: 'Issued by',
    issuedDate: 'Date of issue',
    period: 'Period',
    scope: 'Scope',
    method: 'Method',
    seed: 'Seed',
    draws: 'Draws',
    regulation: 'Regulation',
    activities: 'Activities checked',
    recordings: 'Recordings checked',
    checked: 'Checked',
    passed: 'Passed',
    failed: 'Failed',
    rate: 'Pass rate',
    change: 'Change',
    rank: 'Rank',
    unitCode: 'Unit code',
    unit: 'Unit',
    criticized: 'Criticized',
    deadline: 'Rectify by',
    legend: 'Categories',
    typicalCases: 'Typical cases',
    position: 'No.',
    caseNo: 'Case',
    activity: 'Activity',
    activityType: 'Activity type',
    officers: 'Officers',
    inspector: 'Inspector',
    result: 'Result',
    chartRate: 'Pass rate',
    chartTrend: 'Trend',
    chartThreshold: 'criticism line',
    custodyHead: 'Custody head',
    custodySeq: 'Event seq',
    page: 'Page {n} of {total}',
    csvSummary: 'Bulletin',
    csvUnits: 'Results by unit',
    csvItems: 'Items checked',
    results: { pass: 'pass', fail: 'fail', na: 'n/a', pending: 'pending' },
    yes: 'yes',
  },
};

const ACTIVITY_TYPES: Record<Locale, Record<string, string>> = {
  'zh-CN': {
    inspection: '现场检查',
    questioning: '询问',
    on_the_spot_penalty: '当场处罚',
    sampling: '抽样取证',
    preservation: '先行登记保存',
    seizure: '查封、扣押',
    execution: '强制执行',
    service: '送达',
    hearing: '听证',
    other: '其他',
  },
  en: {
    inspection: 'on-site inspection',
    questioning: 'questioning',
    on_the_spot_penalty: 'on-the-spot penalty',
    sampling: 'sampling',
    preservation: 'preservation of evidence',
    seizure: 'seal-up / seizure',
    execution: 'compulsory execution',
    service: 'service of documents',
    hearing: 'hearing',
    other: 'other',
  },
};

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const ZH_ORDINALS = ['一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];
const TYPICAL_CASES = 3;

/** passed ÷ checked in tenths of a per cent, rounded half up in integers; null when nothing was checked. */
export function rateTenths(passed: number, checked: number): number | null {
  if (checked <= 0) return null;
  return Math.floor((2000 * passed + checked) / (2 * checked));
}

/** 875 → '87.5%'; null → '—'. */
export const formatTenths = (tenths: number | null): string => (tenths === null ? '—' : `${Math.floor(tenths / 10)}.${tenths % 10}%`);

/** A fraction with at most 4 decimals as a per cent: 0.1 → '10%', 0.125 → '12.5%', 0.8 → '80.0%' with `minDecimals` 1. */
function formatBp(bp: number, minDecimals = 0): string {
  let decimals = String(bp % 100).padStart(2, '0').replace(/0+$/, '');
  if (decimals.length < minDecimals) decimals = decimals.padEnd(minDecimals, '0');
  return `${Math.floor(bp / 100)}${decimals ? `.${decimals}` : ''}%`;
}

const toBp = (fraction: number) => Math.round(fraction * 10_000);

function dateText(isoDate: string, locale: Locale): string {
  const [y, m, d] = isoDate.split('-').map(Number) as [number, number, number];
  return locale === 'zh-CN' ? `${y}年${m}月${d}日` : `${d} ${MONTHS[m - 1]} ${y}`;
}

/** The worst of an item's results for one rule: fail, then pending, then pass, then na. */
function worst(results: Result[]): Result | null {
  for (const r of ['fail', 'pending', 'pass', 'na'] as const) if (results.includes(r)) return r;
  return null;
}

function itemResults(item: BulletinItem): Record<Category, Result | null> {
  const out = {} as Record<Category, Result | null>;
  for (const code of RULE_CODES) out[code] = worst(item.findings.filter((f) => f.rule === code).map((f) => f.result));
  for (const code of MANUAL_CODES) out[code] = item.verdicts[code]?.result ?? null;
  return out;
}

/**
 * The officers a failed rule finding names: its own `badgeNo`, or its evidence's, or those of its per-officer
 * results (`evidence.officers[]`, as src/compliance/rules.ts stores the worst of the officers) that failed.
 */
function failingBadges(f: Finding & { badgeNo?: string }): string[] {
  if (f.badgeNo) return [f.badgeNo];
  const ev = f.evidence ?? {};
  if (typeof ev.badgeNo === 'string') return [ev.badgeNo];
  const officers = Array.isArray(ev.officers) ? (ev.officers as { badgeNo?: unknown; result?: unknown }[]) : [];
  return officers.filter((o) => o.result === 'fail' && typeof o.badgeNo === 'string').map((o) => o.badgeNo as string);
}

/**
 * What a failed rule finding says in a typical case: for each officer who failed it (its `evidence.officers[]`,
 * or the finding itself when it names its officer), their evidence in the bulletin's language with times in the
 * bureau's zone (src/compliance/finding-text.ts), after the badge when several failed. A finding with no
 * evidence in the shape the rule stores says its own `detail`, as it was stored.
 */
function ruleFindingText(code: RuleCode, f: Finding & { badgeNo?: string }, locale: Locale, zone: string): string {
  const ev = f.evidence ?? {};
  const officers = Array.isArray(ev.officers)
    ? (ev.officers as { badgeNo?: unknown; result?: unknown; detail?: unknown; evidence?: unknown }[]).filter((o) => o.result === 'fail')
    : [{ badgeNo: f.badgeNo, detail: f.detail, evidence: f.evidence }];
  if (!officers.some((o) => isOfficerEvidence(code, o.evidence))) return f.detail;
  const zh = locale === 'zh-CN';
  const texts = officers.map((o) => {
    const text = isOfficerEvidence(code, o.evidence) ? describeOfficerFinding(code, o.evidence, locale, zone) : typeof o.detail === 'string' ? o.detail : '';
    return officers.length > 1 && typeof o.badgeNo === 'string' ? `${o.badgeNo}${zh ? '：' : ': '}${text}` : text;
  });
  return texts.join(zh ? '；' : '; ');
}

/** Higher pass rate first, compared exactly (cross-multiplied); units with nothing checked last. */
function compareRates(a: { passed: number; checked: number }, b: { passed: number; checked: number }): number {
  if (a.checked === 0 || b.checked === 0) return (a.checked === 0 ? 1 : 0) - (b.checked === 0 ? 1 : 0);
  return b.passed * a.checked - a.passed * b.checked;
}

/** What a stored bulletin said, as the next bulletin's "previous". */
export function summaryOf(id: string, content: BulletinContent): PreviousBulletin {
  return {
    id,
    number: content.number,
    issuedAt: content.issuedAt,
    periodFrom: content.basics.period.from,
    checked: content.overall.checked,
    passed: content.overall.passed,
    units: content.units.map((u) => ({ unitCode: u.unitCode, checked: u.checked, passed: u.passed })),
  };
}


/**
 * The recordings a spot check looked at: every recording id (a UUID) named anywhere in the evidence of its
 * items' automatic findings, counted once.
 */
export function recordingsInFindings(items: Pick<BulletinItem, 'findings'>[]): number {
  const seen = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      if (UUID.test(v)) seen.add(v.toLowerCase());
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  for (const item of items) for (const f of item.findings) if ((RULE_CODES as readonly string[]).includes(f.rule)) walk(f.evidence);
  return seen.size;
}

export function bulletinContent(input: BulletinInput, locale: Locale = 'zh-CN'): BulletinContent {
  const zh = locale === 'zh-CN';
  const L = LABELS[locale];
  const reg = input.regulation;
  const sc = input.spotCheck;
  const sep = zh ? '、' : ', ';
  const unitName = (code: string) => input.unitNames[code] ?? code;
  const officer = (badge: string) => (input.officerNames[badge] ? `${badge} ${input.officerNames[badge]}` : badge);
  const categoryName = (code: Category): string => (code.startsWith('R') ? reg.rules[code as RuleCode].name[locale] : reg.manualItems[code as ManualCode][locale]);
  const items = [...input.items].sort((a, b) => a.position - b.position);

  // (1) Title, number, issuing body, date.
  const issuedDate = DateTime.fromJSDate(input.issuedAt, { zone: input.zone }).toISODate()!;
  const issuedDateText = dateText(issuedDate, locale);
  const replaces = input.replaces;
  const correctionText = replaces
    ? zh
      ? `本通报为第 ${input.version} 版，更正并替代 ${replaces.number} 第 ${replaces.version} 版（${dateText(DateTime.fromISO(replaces.issuedAt, { zone: input.zone }).toISODate()!, locale)}印发），原版本自即日起作废。`
      : `This is version ${input.version}; it corrects and replaces ${replaces.number} version ${replaces.version} (issued ${dateText(DateTime.fromISO(replaces.issuedAt, { zone: input.zone }).toISODate()!, locale)}), which is withdrawn.`
    : null;

  // (2) Period, scope, method, what was checked.
  const periodText = zh ? `${dateText(sc.periodFrom, locale)}至${dateText(sc.periodTo, locale)}` : `${dateText(sc.periodFrom, locale)} to ${dateText(sc.periodTo, locale)}`;
  const scopeText = sc.unitCodes === null ? (zh ? '全部执法单位' : 'all units') : sc.unitCodes.map(unitName).join(sep);
  const sampleText =
    sc.sampleMode === 'ratio'
      ? zh
        ? `分层随机抽样，各单位按 ${formatBp(toBp(Number(sc.sampleValue)))} 比例抽取（至少 1 件）`
        : `stratified random sample, ${formatBp(toBp(Number(sc.sampleValue)))} of each unit's activities (at least 1)`
      : zh
        ? `分层随机抽样，每单位抽取 ${sc.sampleValue} 件`
        : `stratified random sample, ${sc.sampleValue} per unit`;
  const drawsText = zh ? `同一期间、范围重叠的抽取共 ${input.draws} 次（含已放弃的抽取）` : `${input.draws} draw(s) for this period and an overlapping scope, abandoned ones included`;
  const regulationText = zh ? `《${reg.name[locale]}》（版本 ${sc.regulationVersion}）` : `${reg.name[locale]} (version ${sc.regulationVersion})`;
  const activities = items.length;
  const basicsText = zh
    ? `本期对${scopeText}${periodText}的执法活动进行了抽查，采用${sampleText}，随机种子为 ${sc.seed}，${drawsText}，依据${regulationText}。共抽查执法活动 ${activities} 件，涉及视音频记录 ${input.recordingsChecked} 条。`
    : `This spot check covered ${scopeText}, activities from ${periodText}, by ${sampleText}, with seed ${sc.seed} (${drawsText}), under the ${regulationText}. ${activities} activities and ${input.recordingsChecked} recordings were checked.`;

  // (3) Overall, and the change against the previous bulletin.
  const passed = items.filter((i) => i.result === 'pass').length;
  const overallTenths = rateTenths(passed, activities);
  const previous = [...input.previous].sort((a, b) => a.periodFrom.localeCompare(b.periodFrom) || a.issuedAt.localeCompare(b.issuedAt));
  const last = previous.at(-1);
  let change: BulletinContent['overall']['change'] = null;
  let changeText: string;
  if (!last) {
    changeText = zh ? '本期为首期通报，无上期数据可比。' : 'This is the first bulletin: there is no previous one to compare with.';
  } else {
    const prevTenths = rateTenths(last.passed, last.checked);
    const delta = prevTenths === null || overallTenths === null ? null : overallTenths - prevTenths;
    const abs = delta === null ? '' : `${Math.floor(Math.abs(delta) / 10)}.${Math.abs(delta) % 10}`;
    const deltaText = delta === null ? '—' : `${delta > 0 ? '+' : delta < 0 ? '-' : ''}${abs}`;
    change = { previousId: last.id, previousNumber: last.number, previousRateTenths: prevTenths, deltaTenths: delta, deltaText };
    if (zh) {
      const base = `上期（${last.number}）合格率 ${formatTenths(prevTenths)}`;
      changeText = delta === null ? `${base}，无法比较。` : delta === 0 ? `${base}，本期持平。` : `${base}，本期${delta > 0 ? '上升' : '下降'} ${abs} 个百分点。`;
    } else {
      const base = `the previous bulletin (${last.number}) had ${formatTenths(prevTenths)}`;
      changeText =
        delta === null ? `Not comparable: ${base}.` : delta === 0 ? `Unchanged: ${base}.` : `${delta > 0 ? 'Up' : 'Down'} ${abs} percentage points: ${base}.`;
    }
  }
  const overallText = zh
    ? `本期共抽查执法活动 ${activities} 件，合格 ${passed} 件，不合格 ${activities - passed} 件，合格率 ${formatTenths(overallTenths)}。${changeText}`
    : `${activities} activities checked, ${passed} passed, ${activities - passed} failed: a pass rate of ${formatTenths(overallTenths)}. ${changeText}`;

  // (4) Per unit, ranked (equal rates share a rank; ties listed by unit code).
  const results = new Map(items.map((i) => [i, itemResults(i)]));
  const thresholdBp = toBp(reg.bulletin.criticizeBelowPassRate);
  const codes = [...new Set(items.map((i) => i.unitCode))];
  const tallies = codes.map((code) => {
    const mine = items.filter((i) => i.unitCode === code);
    const fails = Object.fromEntries(CATEGORIES.map((c) => [c, mine.filter((i) => results.get(i)![c] === 'fail').length])) as Record<Category, number>;
    return { unitCode: code, checked: mine.length, passed: mine.filter((i) => i.result === 'pass').length, fails };
  });
  tallies.sort((a, b) => compareRates(a, b) || (a.unitCode < b.unitCode ? -1 : a.unitCode > b.unitCode ? 1 : 0));
  const units: UnitRow[] = tallies.map((t) => {
    const tenths = rateTenths(t.passed, t.checked);
    return {
      rank: 1 + tallies.filter((o) => compareRates(o, t) < 0).length,
      unitCode: t.unitCode,
      unitName: unitName(t.unitCode),
      checked: t.checked,
      passed: t.passed,
      failed: t.checked - t.passed,
      rateTenths: tenths,
      rate: formatTenths(tenths),
      fails: t.fails,
      criticized: t.checked > 0 && t.passed * 10_000 < thresholdBp * t.checked,
    };
  });

  // (5) Problems by category, with up to three typical cases each (the first in list order).
  const problems: CategoryProblem[] = [];
  for (const code of CATEGORIES) {
    const failing = items.filter((i) => results.get(i)![code] === 'fail');
    if (failing.length === 0) continue;
    const name = categoryName(code);
    const finding = code.startsWith('R') ? reg.rules[code as RuleCode].finding[locale] : zh ? `未做到“${name}”` : `${name}: not met`;
    const ordinal = zh ? `（${ZH_ORDINALS[problems.length]}）` : `(${String.fromCharCode(97 + problems.length)}) `;
    const heading = zh ? `${ordinal}${code} ${name}：${failing.length} 件（${finding}）` : `${ordinal}${code} ${name}: ${failing.length} item(s) (${finding})`;
    const cases = failing.slice(0, TYPICAL_CASES).map((item): TypicalCase => {
      const fails = item.findings.filter((f) => f.rule === code && f.result === 'fail');
      const badges = code.startsWith('R') ? [...new Set(fails.flatMap(failingBadges))] : [];
      const officers = (badges.length ? badges : item.badgeNos).map(officer).join(sep);
      const detail = code.startsWith('R')
        ? [...new Set(fails.map((f) => ruleFindingText(code as RuleCode, f, locale, input.zone)).filter(Boolean))].join(zh ? '；' : '; ') || finding
        : item.note?.trim() || finding;
      const text = zh
        ? `案件 ${item.caseNo}（${item.activityKey}，${unitName(item.unitCode)}），执法人员 ${officers}：${detail}`
        : `Case ${item.caseNo} (${item.activityKey}, ${unitName(item.unitCode)}), officer(s) ${officers}: ${detail}`;
      return { caseNo: item.caseNo, activityKey: item.activityKey, unitCode: item.unitCode, officers, detail, text };
    });
    problems.push({ code, name, finding, count: failing.length, heading, cases });
  }
  const problemsText = problems.length
    ? zh
      ? `本期发现问题 ${problems.length} 类，涉及不合格执法活动 ${activities - passed} 件（一件可涉及多类问题）。`
      : `${problems.length} categories of problems in ${activities - passed} failed activities (one activity may show several).`
    : zh
      ? '本期抽查未发现问题。'
      : 'No problems were found.';

  // (6) Rectification: a deadline in the bureau's zone, and the units below the threshold named.
  const days = reg.bulletin.rectificationDays;
  const deadline = DateTime.fromISO(issuedDate, { zone: input.zone }).plus({ days }).toISODate()!;
  const deadlineText = dateText(deadline, locale);
  const threshold = formatBp(thresholdBp, 1);
  const criticized = units.filter((u) => u.criticized).map((u) => ({ unitCode: u.unitCode, unitName: u.unitName, rate: u.rate }));
  const body = reg.issuingBody[locale];
  const named = criticized.map((u) => (zh ? `${u.unitName}（${u.rate}）` : `${u.unitName} (${u.rate})`)).join(sep);
  const requirements = zh
    ? [
        `各单位要对照本通报指出的问题逐项整改，于${deadlineText}前（${days} 日内）将整改情况书面报送${body}。`,
        criticized.length ? `对合格率低于 ${threshold} 的${named}予以通报批评，其负责人要督促落实整改。` : `本期各单位合格率均不低于 ${threshold}，不予通报批评。`,
        '执法人员要严格落实执法全过程记录制度，使用本人执法记录仪全程记录，及时上传并关联案件。',
      ]
    : [
        `Every unit shall rectify the problems this bulletin names and report in writing to the ${body} by ${deadlineText} (within ${days} days).`,
        criticized.length ? `Units below a pass rate of ${threshold} are criticized in this bulletin (通报批评): ${named}.` : `No unit is below a pass rate of ${threshold}; none is criticized.`,
        'Officers shall record every enforcement activity in full on their own recorder, upload on time and link the footage to its case.',
      ];

  // (7) Chart: this bulletin's rate per unit and the rates of the same units in the last bulletins.
  const trend = previous.slice(Math.max(0, previous.length - reg.bulletin.trendBulletins));
  const columns = [...trend.map((p) => ({ number: p.number, current: false })), { number: input.number, current: true }];
  const series = units.map((u) => ({
    unitCode: u.unitCode,
    unitName: u.unitName,
    criticized: u.criticized,
    rateTenths: [
      ...trend.map((p) => {
        const there = p.units.find((x) => x.unitCode === u.unitCode);
        return there ? rateTenths(there.passed, there.checked) : null;
      }),
      u.rateTenths,
    ],
  }));
  const caption = zh
    ? `条形为本期各单位合格率，竖线为通报批评线（${threshold}）；折线为近 ${columns.length} 期（${columns[0]!.number} 至本期）合格率趋势。`
    : `Bars: this bulletin's pass rate per unit; the vertical line: the criticism line (${threshold}); lines: the pass rate over the last ${columns.length} bulletin(s), ${columns[0]!.number} to this one.`;

  // (8) The custody head: the log's last event when this content was computed, before this bulletin's own event.
  const custodyText = zh
    ? `本通报印发时，监督链（保管链）日志共 ${input.custody.seq} 条事件，链头哈希如下（取自本通报印发事件之前）。任何持有本通报者均可据此证明日志此后未被截短。`
    : `When this bulletin was issued the custody log held ${input.custody.seq} events; its head hash (taken before this bulletin's own issue event) follows. Anyone holding the bulletin can use it to prove the log was not cut short afterwards.`;

  return {
    schema: 1,
    locale,
    labels: L,
    spotCheckId: sc.id,
    title: zh ? '执法记录仪使用抽查情况通报' : 'Spot-check bulletin on body-worn recorder use',
    number: input.number,
    version: input.version,
    versionText: zh ? `第 ${input.version} 版` : `version ${input.version}`,
    replaces,
    correctionText,
    issuingBody: body,
    issuedAt: input.issuedAt.toISOString(),
    issuedDate,
    issuedDateText,
    issuedBy: input.issuedBy,
    basics: {
      period: { from: sc.periodFrom, to: sc.periodTo, text: periodText },
      scope: { unitCodes: sc.unitCodes, text: scopeText },
      method: { sampleMode: sc.sampleMode, sampleValue: sc.sampleValue, text: sampleText },
      seed: sc.seed,
      draws: input.draws,
      drawsText,
      regulationVersion: sc.regulationVersion,
      regulationText,
      activitiesChecked: activities,
      recordingsChecked: input.recordingsChecked,
      text: basicsText,
    },
    overall: { checked: activities, passed, failed: activities - passed, rateTenths: overallTenths, rate: formatTenths(overallTenths), change, changeText, text: overallText },
    units,
    categories: CATEGORIES.map((code) => ({ code, name: categoryName(code) })),
    problems,
    problemsText,
    rectification: { days, deadline, deadlineText, thresholdBp, threshold, criticized, requirements },
    chart: { columns, thresholdTenths: Math.round(thresholdBp / 10), series, caption },
    custody: { seq: input.custody.seq, head: input.custody.head, text: custodyText },
    roundingNote: zh
      ? '注：合格率 = 合格数 ÷ 抽查数，按整数运算四舍五入保留一位小数；“较上期变化”为两期公布合格率之差（百分点）；低于通报批评线按未舍入的比值判断。'
      : 'Note: pass rate = passed ÷ checked, computed in integers and rounded half up to one decimal; the change is the difference of the two printed rates, in percentage points; "below the criticism line" is decided on the unrounded ratio.',
    items: items.map((i) => ({
      position: i.position,
      unitCode: i.unitCode,
      unitName: unitName(i.unitCode),
      caseNo: i.caseNo,
      activityKey: i.activityKey,
      activityType: ACTIVITY_TYPES[locale][i.activityType] ?? i.activityType,
      officers: i.badgeNos.map(officer).join(sep),
      inspector: i.inspector ?? '',
      results: results.get(i)!,
      result: i.result,
    })),
  };
}
