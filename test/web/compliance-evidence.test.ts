import path from 'node:path';
import { loadRegulation } from '../../config/regulation';
import { evaluateActivity } from '../../src/compliance/rules';
import type { ActivityFacts, FootageFacts } from '../../src/compliance/types';
import { describeFinding, hoursText, shareText, timeRange, type Say } from '../../src/web/client/compliance-evidence';
import type { Finding } from '../../src/web/client/compliance-spot-check';
import messages from '../../src/web/client/messages/compliance';

// The checklist says a finding's evidence in plain words. The findings here are what the server's rules
// store for an item (src/compliance/rules.ts evaluateActivity on facts in UTC), so a change of the evidence's
// shape shows here; the page shows times in the bureau's zone (format.ts: Asia/Shanghai, UTC+8).

const regulation = loadRegulation(path.join(__dirname, '../../config/regulation.json'));
const H = 3_600_000;
const utc = (s: string) => new Date(`2026-03-${s}Z`);

const sayIn =
  (lang: 'zh' | 'en'): Say =>
  (key, params = {}) =>
    messages[lang][key].replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m));
const zh = sayIn('zh');
const en = sayIn('en');

let n = 0;
function rec(badge: string, start: string, end: string, more: Partial<FootageFacts> = {}): FootageFacts {
  n += 1;
  return {
    recordingId: `rec-${n}`,
    filename: `DSJ000${badge.slice(-1)}_${badge}_${n}.MP4`,
    recorderId: 1,
    recorderSerial: `DSJ000${badge.slice(-1)}`,
    startedAt: utc(start),
    endedAt: utc(end),
    dockedAt: new Date(utc(end).getTime() + H),
    seq: null,
    status: 'ready',
    recorderAssignedTo: badge,
    linkedToCase: true,
    unlinkedByHand: null,
    audit: null,
    ...more,
  };
}

/** The item's findings for an inspection 11:00–11:30 bureau time (03:00–03:30 UTC) on 25 March 2026. */
function findings(officers: Record<string, FootageFacts[]>, type = 'inspection'): Record<string, Finding> {
  const facts: ActivityFacts = {
    activityId: 1, caseId: 1, caseNo: '某交执罚〔2026〕203号', activityKey: 'A1', type, unitId: 1, unitCode: 'ZF1',
    startedAt: utc('25T03:00:00'), endedAt: utc('25T03:30:00'),
    officers: Object.entries(officers).map(([badgeNo, footage], i) => ({ officerId: i + 1, badgeNo, name: badgeNo, footage })),
  };
  // As stored and read back by the API: JSON.
  const out = JSON.parse(JSON.stringify(evaluateActivity(facts, regulation).findings)) as Finding[];
  return Object.fromEntries(out.map((f) => [f.rule, f]));
}

const lines = (f: Finding, say: Say) => describeFinding(f, say).map((o) => `${o.badgeNo} ${o.result}: ${o.lines.join(' | ')}`);

test('a whole recording: every rule passes, said per officer', () => {
  const f = findings({ '100001': [rec('100001', '25T02:58:00', '25T03:31:00')] });
  expect(lines(f.R1!, zh)).toEqual(['100001 pass: 11:00:00–11:30:00 期间（含前后 5 分钟）有 1 条记录']);
  expect(lines(f.R2!, zh)).toEqual(['100001 pass: 活动时段 11:00:00–11:30:00 覆盖 100.0%（不低于 95%） | 无中断（上限 60 秒）']);
  expect(lines(f.R3!, en)).toEqual(['100001 pass: 1 recording(s) docked within 24 h of the end (latest 1 h 1 min after)']);
  expect(lines(f.R4!, en)).toEqual(['100001 pass: 1 recording(s) on the officer’s own recorder DSJ0001']);
  expect(lines(f.R5!, zh)).toEqual(['100001 pass: 分段无缺失；1 条记录尚未校验']);
  expect(lines(f.R6!, zh)).toEqual(['100001 pass: 1 条记录已关联案件 某交执罚〔2026〕203号']);
});

test('an officer without footage fails R1 with the window; the other rules do not apply to them', () => {
  const f = findings({ '100001': [rec('100001', '25T03:00:00', '25T03:30:00')], '100002': [] });
  expect(lines(f.R1!, zh)).toEqual(['100001 pass: 11:00:00–11:30:00 期间（含前后 5 分钟）有 1 条记录', '100002 fail: 未在 11:00:00–11:30:00 期间开启记录（含前后 5 分钟）']);
  expect(lines(f.R1!, en)[1]).toBe('100002 fail: No recording within 11:00:00–11:30:00, 5 min either side included');
  expect(lines(f.R3!, zh)[1]).toBe('100002 na: 无录像，不适用');
});

test('which gap, how late, which recorder, which files', () => {
  const f = findings({
    '100001': [
      rec('100001', '25T03:00:00', '25T03:10:00', { filename: 'LATE.MP4', dockedAt: new Date(utc('25T03:30:00').getTime() + 30 * H + 60_000), linkedToCase: false }),
      rec('100001', '25T03:12:00', '25T03:30:00', { filename: 'OTHER.MP4', recorderSerial: 'DSJ0009', recorderAssignedTo: '100007' }),
    ],
  });
  expect(lines(f.R2!, zh)).toEqual(['100001 fail: 活动时段 11:00:00–11:30:00 覆盖 93.3%（不低于 95%） | 最长中断 120 秒（11:10:00–11:12:00，上限 60 秒）']);
  expect(lines(f.R2!, en)).toEqual(['100001 fail: Covered 93.3% of 11:00:00–11:30:00 (minimum 95%) | Longest gap 120 s at 11:10:00–11:12:00 (maximum 60 s)']);
  expect(lines(f.R3!, zh)).toEqual(['100001 fail: LATE.MP4 于 2026-03-26 17:31:00 上传，活动结束后 30 小时 1 分钟（时限 24 小时，超时 6 小时 1 分钟）']);
  expect(lines(f.R4!, en)).toEqual(['100001 fail: OTHER.MP4 recorded on DSJ0009, assigned to 100007 when it began at 11:12:00']);
  expect(lines(f.R6!, zh)).toEqual(['100001 fail: LATE.MP4 未关联案件 某交执罚〔2026〕203号']);
});

test('a segment hole and a failed audit', () => {
  const f = findings({
    '100001': [
      rec('100001', '25T03:00:00', '25T03:15:00', { seq: 1, audit: { result: 'mismatch', checkedAt: utc('27T01:00:00') } }),
      rec('100001', '25T03:15:00', '25T03:30:00', { seq: 3, audit: { result: 'ok', checkedAt: utc('27T01:00:00') } }),
    ],
  });
  const [line] = lines(f.R5!, zh);
  expect(line).toMatch(/^100001 fail: \S+ 完整性校验不一致（2026-03-27 09:00:00 校验） \| DSJ0001 缺少分段 2$/);
});

test('an activity type that need not be recorded; a finding without officers is its detail line', () => {
  const f = findings({ '100001': [] }, 'other');
  expect(lines(f.R1!, zh)).toEqual(['100001 na: 该类活动无需录像']);
  expect(describeFinding({ rule: 'M1', result: 'pass', detail: 'pass by sup-zf1' }, zh)).toEqual([{ badgeNo: '', result: 'pass', lines: ['pass by sup-zf1'] }]);
  expect(describeFinding({ rule: 'M1', result: 'pending', detail: '' }, zh)).toEqual([]);
});

test('evidence in a shape this does not know falls back to the API line', () => {
  const finding: Finding = { rule: 'R2', result: 'fail', detail: '', evidence: { officers: [{ badgeNo: '1', result: 'fail', detail: 'covered 10 %', evidence: { old: true } }] } };
  expect(lines(finding, en)).toEqual(['1 fail: covered 10 %']);
});

test('durations, shares and ranges', () => {
  expect(hoursText(30 + 1 / 60, zh)).toBe('30 小时 1 分钟');
  expect(hoursText(0, en)).toBe('0 s');
  expect(hoursText(24 + 1 / 3600, en)).toBe('24 h 1 s');
  expect(shareText(0.9499)).toBe('94.9%');
  expect(shareText(0.95)).toBe('95.0%');
  expect(timeRange('2026-03-25T15:50:00Z', '2026-03-25T16:20:00Z')).toBe('2026-03-25 23:50:00 – 2026-03-26 00:20:00');
});
