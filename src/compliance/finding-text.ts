import { DateTime } from 'luxon';
import type { Locale, RuleCode } from '../../config/regulation';
import type { GapEvidence, RuleEvidence } from './rules';

// What an officer's failed rule shows, said for people in the bulletin's language with times in the bureau's
// zone: rendered from the structured evidence src/compliance/rules.ts stores (`detail` there stays the API's
// language-neutral line, in UTC). Pure: no clock; the zone is the caller's (BUREAU_TZ).
//
// Times of day are the bureau's; a stretch that crosses midnight there names both dates. zh-CN prints no zone
// (the bureau's own time is meant); en names it, as the API's line names UTC.

type Evidence = Record<string, unknown>;

const isObject = (v: unknown): v is Evidence => typeof v === 'object' && v !== null && !Array.isArray(v);
const isArray = (v: unknown): v is unknown[] => Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** What each rule's text needs from the evidence (what older findings may lack is optional and read with care). */
const NEEDS: Record<RuleCode, (e: Evidence) => boolean> = {
  R1: (e) => isArray(e.recordingIds),
  R2: (e) => isNumber(e.windowSeconds) && isNumber(e.coverage) && isNumber(e.minCoverage) && isNumber(e.maxGapSeconds) && isArray(e.gaps),
  R3: (e) => isNumber(e.uploadDeadlineHours) && isArray(e.recordings) && isArray(e.late),
  R4: (e) => isArray(e.recordings) && isArray(e.notOwn),
  R5: (e) => isArray(e.failed) && isArray(e.holes),
  R6: (e) => isArray(e.notLinked) && isArray(e.unlinkedByHand),
};

/** Whether `evidence` is what `rule` stores for an officer (a finding stored in another shape is told in its own `detail`). */
export function isOfficerEvidence<R extends RuleCode>(rule: R, evidence: unknown): evidence is RuleEvidence[R] {
  return isObject(evidence) && NEEDS[rule](evidence);
}

const pad = (n: number) => String(n).padStart(2, '0');

interface Say {
  zh: boolean;
  zone: string;
  /** ` Asia/Shanghai` in English, nothing in Chinese. */
  zoneSuffix: string;
  sep: string;
  join: string;
}

const local = (iso: string, say: Say) => DateTime.fromISO(iso, { zone: say.zone });
const dayText = (t: DateTime, say: Say) => (say.zh ? `${t.month}月${t.day}日` : `${t.day} ${t.setLocale('en').toFormat('MMM')}`);
const timeText = (t: DateTime, seconds: boolean) => `${pad(t.hour)}:${pad(t.minute)}${seconds ? `:${pad(t.second)}` : ''}`;

/** `09:30:00–09:33:00`; `3月1日 23:50–3月2日 00:20` across midnight; seconds when asked or when either end has some. */
function range(startIso: string, endIso: string, say: Say, seconds: boolean): string {
  const [a, b] = [local(startIso, say), local(endIso, say)];
  const s = seconds || a.second !== 0 || b.second !== 0;
  return a.hasSame(b, 'day') ? `${timeText(a, s)}–${timeText(b, s)}` : `${dayText(a, say)} ${timeText(a, s)}–${dayText(b, say)} ${timeText(b, s)}`;
}

/** A date and time: `2026年3月3日 04:00`, `3 March 2026 04:00`. */
function moment(iso: string, say: Say): string {
  const t = local(iso, say);
  return say.zh ? `${t.year}年${t.month}月${t.day}日 ${timeText(t, false)}` : `${t.day} ${t.setLocale('en').toFormat('MMMM')} ${t.year} ${timeText(t, false)}`;
}

/** Hours as whole seconds: `30 小时 1 分`, `5 分钟`, `24 小时 1 秒`; `30 h 1 min`, `1 s`. */
function hoursText(hours: number, say: Say): string {
  const total = Math.floor(Math.round(hours * 3_600_000) / 1000);
  const [h, m, s] = [Math.floor(total / 3600), Math.floor(total / 60) % 60, total % 60];
  const parts = say.zh
    ? [h ? `${h} 小时` : '', m ? `${m} ${h || s ? '分' : '分钟'}` : '', s || !total ? `${s} 秒` : '']
    : [h ? `${h} h` : '', m ? `${m} min` : '', s || !total ? `${s} s` : ''];
  return parts.filter(Boolean).join(' ');
}

/** A fraction of the regulation as a per cent: 0.95 → `95%`. */
const limitPct = (fraction: number) => `${Number((fraction * 100).toFixed(4))}%`;
/** A share rounded down to a tenth of a per cent, never up to a limit it missed: 0.9499 → `94.9%`. */
const sharePct = (covered: number, total: number) => `${(Math.floor((covered * 1000) / total + 1e-9) / 10).toFixed(1)}%`;
/** Seconds as stored (whole in practice), at most to the millisecond. */
const secs = (n: number) => String(Number(n.toFixed(3)));
/** `3`, `3–5`. */
const numbers = (missing: number[]) => (missing.length === 1 ? `${missing[0]}` : `${missing[0]}–${missing[missing.length - 1]}`);

/** `2 条记录中 1 条超时上传：` / `1 of 2 late: ` before a list that is not every recording; nothing when it is. */
function someOf(n: number, total: number, what: { zh: string; en: string }, say: Say): string {
  if (n >= total) return '';
  return say.zh ? `${total} 条记录中 ${n} 条${what.zh}：` : `${n} of ${total} ${what.en}: `;
}

function recorded(e: RuleEvidence['R1'], say: Say): string {
  const buffer = e.bufferMinutes;
  if (!e.windowStart || !e.windowEnd) {
    return say.zh ? '活动期间无任何执法记录' : 'no recording during the activity';
  }
  const when = range(e.windowStart, e.windowEnd, say, false);
  if (say.zh) return `未在 ${when} 期间开启记录${buffer ? `（含前后 ${buffer} 分钟）` : ''}`;
  return `no recording within ${when}${say.zoneSuffix}${buffer ? `, ${buffer} min either side included` : ''}`;
}

function fullProcess(e: RuleEvidence['R2'], say: Say): string {
  const min = limitPct(e.minCoverage);
  if (e.windowSeconds === 0) {
    const at = timeText(local(e.windowStart, say), true);
    const share = `${Number((e.coverage * 100).toFixed(1))}%`;
    return say.zh
      ? `活动时刻 ${at} 不在任何记录时段内（覆盖 ${share}，不低于 ${min}）`
      : `the activity's instant ${at}${say.zoneSuffix} lies outside every recording (covered ${share}, minimum ${min})`;
  }
  const share = isNumber(e.coveredSeconds) ? sharePct(e.coveredSeconds, e.windowSeconds) : sharePct(e.coverage, 1);
  const largest = e.gaps.reduce<GapEvidence | null>((m, g) => (!m || g.seconds > m.seconds ? g : m), null);
  const long = e.longGaps?.length ?? e.gaps.filter((g) => g.seconds > e.maxGapSeconds).length;
  const max = e.maxGapSeconds;
  if (say.zh) {
    const gap = largest
      ? `最长中断 ${secs(largest.seconds)} 秒（${range(largest.start, largest.end, say, true)}，上限 ${max} 秒）${long > 1 ? `，超过上限的中断共 ${long} 处` : ''}`
      : `无中断（上限 ${max} 秒）`;
    return `覆盖 ${share}（不低于 ${min}）；${gap}`;
  }
  const gap = largest
    ? `longest gap ${secs(largest.seconds)} s at ${range(largest.start, largest.end, say, true)}${say.zoneSuffix} (maximum ${max} s)${long > 1 ? `, ${long} gaps over the maximum` : ''}`
    : `no gap (maximum ${max} s)`;
  return `covered ${share} (minimum ${min}); ${gap}`;
}

function timelyUpload(e: RuleEvidence['R3'], say: Say): string {
  const late = e.recordings.filter((r) => e.late.includes(r.recordingId));
  const deadline = hoursText(e.uploadDeadlineHours, say);
  const list = late.map((r) =>
    say.zh
      ? `${r.filename} 于活动结束后 ${hoursText(r.hoursAfterEnd, say)}上传（时限 ${deadline}，超时 ${hoursText(r.hoursLate, say)}）`
      : `${r.filename} docked ${hoursText(r.hoursAfterEnd, say)} after the end (${hoursText(r.hoursLate, say)} past the ${deadline} deadline)`,
  );
  return someOf(late.length, e.recordings.length, { zh: '超时上传', en: 'docked late' }, say) + list.join(say.join);
}

function ownRecorder(e: RuleEvidence['R4'], say: Say): string {
  const foreign = e.recordings.filter((r) => e.notOwn.includes(r.recordingId));
  const list = foreign.map((r) => {
    const at = timeText(local(r.startedAt, say), true);
    if (say.zh) return `${r.filename} 使用 ${r.recorderSerial} 录制，该记录仪在 ${at} 开始录制时${r.assignedTo ? `配发给 ${r.assignedTo}` : '未配发给任何人'}`;
    return `${r.filename} recorded on ${r.recorderSerial}, assigned to ${r.assignedTo ?? 'nobody'} when it began at ${at}${say.zoneSuffix}`;
  });
  return someOf(foreign.length, e.recordings.length, { zh: '未使用本人执法记录仪', en: 'not on their own recorder' }, say) + list.join(say.join);
}

function integrity(e: RuleEvidence['R5'], say: Say): string {
  const failed = e.failed.map((f) => {
    const why: string[] = [];
    if (f.audit && f.audit.result !== 'ok') {
      const when = moment(f.audit.checkedAt, say);
      if (say.zh) why.push(f.audit.result === 'mismatch' ? `完整性校验不一致（${when} 校验）` : `原始文件缺失（${when} 校验）`);
      else why.push(`${f.audit.result === 'mismatch' ? 'failed its integrity audit (hash mismatch)' : 'original missing at its integrity audit'} on ${when}${say.zoneSuffix}`);
    }
    if (f.status === 'deleted') why.push(say.zh ? (why.length ? '已删除' : '原始文件已删除') : why.length ? 'deleted since' : 'original deleted');
    return `${f.filename} ${why.join(say.sep)}`;
  });
  const holes = e.holes.map((h) =>
    say.zh ? `${h.recorderSerial} 缺少分段 ${numbers(h.missing)}` : `${h.recorderSerial} segment${h.missing.length > 1 ? 's' : ''} ${numbers(h.missing)} missing`,
  );
  return [...failed, ...holes].join(say.join);
}

function linkedToCase(e: RuleEvidence['R6'], say: Say): string {
  const files = e.notLinkedRecordings?.map((r) => r.filename);
  const total = e.linked.length + e.unlinkedByHand.length + e.notLinked.length;
  const n = e.notLinked.length;
  let text: string;
  if (!files) {
    text = say.zh ? `${n} 条记录未关联本案` : `${n} recording${n === 1 ? '' : 's'} not linked to the case`;
  } else {
    const some = someOf(files.length, total, { zh: '未关联本案', en: 'not linked to the case' }, say);
    const names = files.join(say.zh ? '、' : ', ');
    text = some ? some + names : say.zh ? `${names} 未关联本案` : `${names} not linked to the case`;
  }
  const byHand = e.unlinkedByHand.map((u) =>
    say.zh ? `${u.filename} 已由 ${u.by} 手动解除关联（理由：${u.reason}）` : `${u.filename} unlinked by hand by ${u.by} (${u.reason})`,
  );
  return [text, ...byHand].join(say.join);
}

const TEXT: { [R in RuleCode]: (e: RuleEvidence[R], say: Say) => string } = {
  R1: recorded,
  R2: fullProcess,
  R3: timelyUpload,
  R4: ownRecorder,
  R5: integrity,
  R6: linkedToCase,
};

/**
 * What an officer's failed rule `rule` shows, from the evidence src/compliance/rules.ts stored for them, in
 * `locale` with times of day in `zone` (e.g. zh-CN `未在 11:00–11:30 期间开启记录（含前后 5 分钟）`; en
 * `no recording within 11:00–11:30 Asia/Shanghai, 5 min either side included`). The evidence of a failure:
 * see isOfficerEvidence for what it must hold.
 */
export function describeOfficerFinding<R extends RuleCode>(rule: R, evidence: RuleEvidence[R], locale: Locale, zone: string): string {
  const zh = locale === 'zh-CN';
  const say: Say = { zh, zone, zoneSuffix: zh ? '' : ` ${zone}`, sep: zh ? '，' : ', ', join: zh ? '；' : '; ' };
  return TEXT[rule](evidence, say);
}
