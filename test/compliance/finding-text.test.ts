import path from 'node:path';
import { loadRegulation, type Locale, type RuleCode } from '../../config/regulation';
import { describeOfficerFinding, isOfficerEvidence } from '../../src/compliance/finding-text';
import { evaluateRule, type RuleEvidence } from '../../src/compliance/rules';
import type { ActivityFacts, FootageFacts } from '../../src/compliance/types';

// The evidence is what the rules store (src/compliance/rules.ts run on facts in UTC); the text shows it in
// the bureau's zone, Asia/Shanghai (UTC+8).
const regulation = loadRegulation(path.join(__dirname, '../../config/regulation.json'));
const ZONE = 'Asia/Shanghai';
const utc = (s: string) => new Date(`2026-03-${s}Z`);
const H = 3_600_000;

let n = 0;
/** A recording of 200001's on their DSJ0001, times as `DDTHH:mm:ss` in March 2026, UTC. */
function rec(start: string, end: string | null, more: Partial<FootageFacts> = {}): FootageFacts {
  n += 1;
  const endedAt = end === null ? null : utc(end);
  const base: FootageFacts = {
    recordingId: `rec-${n}`,
    filename: `DSJ0001_200001_${n}.MP4`,
    recorderId: 1,
    recorderSerial: 'DSJ0001',
    startedAt: utc(start),
    endedAt,
    dockedAt: new Date((endedAt ?? utc(start)).getTime() + H),
    seq: null,
    status: 'ready',
    recorderAssignedTo: '200001',
    linkedToCase: true,
    unlinkedByHand: null,
    audit: null,
  };
  return { ...base, ...more };
}

/** The evidence `rule` stores for 200001 during an inspection `from`–`to` (UTC); it must have failed. */
function evidence<R extends RuleCode>(rule: R, footage: FootageFacts[], from = '25T03:00:00', to = '25T03:30:00'): RuleEvidence[R] {
  const officer = { officerId: 1, badgeNo: '200001', name: '王五', footage };
  const activity: ActivityFacts = {
    activityId: 1, caseId: 1, caseNo: '某交执罚〔2026〕203号', activityKey: 'A1', type: 'inspection', unitId: 2, unitCode: 'ZF2',
    startedAt: utc(from), endedAt: utc(to), officers: [officer],
  };
  const f = evaluateRule(rule, activity, officer, regulation);
  expect(f.result).toBe('fail');
  expect(isOfficerEvidence(rule, f.evidence)).toBe(true);
  return f.evidence as RuleEvidence[R];
}

/** The text in both locales: [zh-CN, en]. */
const both = <R extends RuleCode>(rule: R, ev: RuleEvidence[R], zone = ZONE) => (['zh-CN', 'en'] as Locale[]).map((l) => describeOfficerFinding(rule, ev, l, zone));

describe('R1 recorded', () => {
  test('the window in the bureau\'s time, with the buffer', () => {
    expect(both('R1', evidence('R1', []))).toEqual([
      '未在 11:00–11:30 期间开启记录（含前后 5 分钟）',
      'no recording within 11:00–11:30 Asia/Shanghai, 5 min either side included',
    ]);
    // Seconds when the window has them; both dates when it crosses the bureau's midnight; the zone is the caller's.
    expect(both('R1', evidence('R1', [], '25T03:00:30', '25T03:30:00'))[0]).toBe('未在 11:00:30–11:30:00 期间开启记录（含前后 5 分钟）');
    expect(both('R1', evidence('R1', [], '25T15:50:00', '25T16:20:00'))).toEqual([
      '未在 3月25日 23:50–3月26日 00:20 期间开启记录（含前后 5 分钟）',
      'no recording within 25 Mar 23:50–26 Mar 00:20 Asia/Shanghai, 5 min either side included',
    ]);
    expect(both('R1', evidence('R1', []), 'UTC')[1]).toBe('no recording within 03:00–03:30 UTC, 5 min either side included');
  });

  test('evidence stored before the window was: no times', () => {
    expect(both('R1', { recordingIds: [] })).toEqual(['活动期间无任何执法记录', 'no recording during the activity']);
  });
});

describe('R2 full process', () => {
  test('coverage and the longest gap, local times to the second', () => {
    const ev = evidence('R2', [rec('08T00:59:00', '08T01:30:00'), rec('08T01:33:00', '08T02:01:00')], '08T01:00:00', '08T02:00:00');
    expect(both('R2', ev)).toEqual([
      '覆盖 95.0%（不低于 95%）；最长中断 180 秒（09:30:00–09:33:00，上限 60 秒）',
      'covered 95.0% (minimum 95%); longest gap 180 s at 09:30:00–09:33:00 Asia/Shanghai (maximum 60 s)',
    ]);
  });

  test('several gaps over the maximum are counted; the coverage is rounded down, never up to the minimum it missed', () => {
    const ev = evidence('R2', [rec('25T03:02:00', '25T03:10:00'), rec('25T03:12:00', '25T03:29:50')]);
    expect(both('R2', ev)).toEqual([
      '覆盖 86.1%（不低于 95%）；最长中断 120 秒（11:00:00–11:02:00，上限 60 秒），超过上限的中断共 2 处',
      'covered 86.1% (minimum 95%); longest gap 120 s at 11:00:00–11:02:00 Asia/Shanghai (maximum 60 s), 2 gaps over the maximum',
    ]);
    // 10:00–10:20 with 61 s missing: 94.916… % shows as 94.9 %.
    const below = evidence('R2', [rec('02T10:00:00', '02T10:03:59'), rec('02T10:05:00', '02T10:20:00')], '02T10:00:00', '02T10:20:00');
    expect(both('R2', below)[0]).toBe('覆盖 94.9%（不低于 95%）；最长中断 61 秒（18:03:59–18:05:00，上限 60 秒）');
  });

  test('a zero-length activity outside every recording', () => {
    const ev = evidence('R2', [rec('25T02:50:00', '25T02:59:59')], '25T03:00:00', '25T03:00:00');
    expect(both('R2', ev)).toEqual([
      '活动时刻 11:00:00 不在任何记录时段内（覆盖 0%，不低于 95%）',
      "the activity's instant 11:00:00 Asia/Shanghai lies outside every recording (covered 0%, minimum 95%)",
    ]);
  });
});

describe('R3 timely upload', () => {
  test('how long after the end and how late, in hours and minutes', () => {
    // The activity ended 14:40 (06:40 UTC); the recording docked 30 h after its own end at 14:41.
    const late = rec('05T05:59:00', '05T06:41:00', { filename: 'DSJ0002_100002_2.MP4', dockedAt: new Date(utc('05T06:41:00').getTime() + 30 * H) });
    expect(both('R3', evidence('R3', [late], '05T06:00:00', '05T06:40:00'))).toEqual([
      'DSJ0002_100002_2.MP4 于活动结束后 30 小时 1 分上传（时限 24 小时，超时 6 小时 1 分）',
      'DSJ0002_100002_2.MP4 docked 30 h 1 min after the end (6 h 1 min past the 24 h deadline)',
    ]);
  });

  test('only the late ones of several are listed; minutes alone, seconds', () => {
    const end = utc('25T03:30:00').getTime();
    const onTime = rec('25T03:00:00', '25T03:30:00', { dockedAt: new Date(end + H) });
    const bySecond = rec('25T03:00:00', '25T03:30:00', { filename: 'a.MP4', dockedAt: new Date(end + 24 * H + 1000) });
    const byMinutes = rec('25T03:00:00', '25T03:30:00', { filename: 'b.MP4', dockedAt: new Date(end + 24 * H + 5 * 60_000) });
    expect(both('R3', evidence('R3', [onTime, bySecond, byMinutes]))).toEqual([
      '3 条记录中 2 条超时上传：a.MP4 于活动结束后 24 小时 1 秒上传（时限 24 小时，超时 1 秒）；b.MP4 于活动结束后 24 小时 5 分上传（时限 24 小时，超时 5 分钟）',
      '2 of 3 docked late: a.MP4 docked 24 h 1 s after the end (1 s past the 24 h deadline); b.MP4 docked 24 h 5 min after the end (5 min past the 24 h deadline)',
    ]);
  });
});

describe('R4 own recorder', () => {
  test('the recorder and whom it was assigned to when the recording began (local time)', () => {
    const borrowed = rec('18T06:59:00', '18T07:21:00', { filename: 'DSJ0003_200001_3.MP4', recorderSerial: 'DSJ0003', recorderAssignedTo: '200002' });
    expect(both('R4', evidence('R4', [borrowed], '18T07:00:00', '18T07:20:00'))).toEqual([
      'DSJ0003_200001_3.MP4 使用 DSJ0003 录制，该记录仪在 14:59:00 开始录制时配发给 200002',
      'DSJ0003_200001_3.MP4 recorded on DSJ0003, assigned to 200002 when it began at 14:59:00 Asia/Shanghai',
    ]);
    const nobody = rec('25T03:00:00', '25T03:30:00', { filename: 'x.MP4', recorderSerial: 'DSJ0009', recorderAssignedTo: null });
    expect(both('R4', evidence('R4', [rec('25T03:00:00', '25T03:10:00'), nobody]))).toEqual([
      '2 条记录中 1 条未使用本人执法记录仪：x.MP4 使用 DSJ0009 录制，该记录仪在 11:00:00 开始录制时未配发给任何人',
      '1 of 2 not on their own recorder: x.MP4 recorded on DSJ0009, assigned to nobody when it began at 11:00:00 Asia/Shanghai',
    ]);
  });
});

describe('R5 integrity', () => {
  test('failed audits with their local date and time, deleted originals, missing segments', () => {
    const bad = rec('25T03:00:00', '25T03:10:00', { filename: 'bad.MP4', audit: { result: 'mismatch', checkedAt: utc('25T20:00:00') } });
    const gone = rec('25T03:10:00', '25T03:20:00', { filename: 'gone.MP4', status: 'deleted', audit: { result: 'missing', checkedAt: utc('26T01:30:00') } });
    expect(both('R5', evidence('R5', [bad, gone]))).toEqual([
      'bad.MP4 完整性校验不一致（2026年3月26日 04:00 校验）；gone.MP4 原始文件缺失（2026年3月26日 09:30 校验），已删除',
      'bad.MP4 failed its integrity audit (hash mismatch) on 26 March 2026 04:00 Asia/Shanghai; gone.MP4 original missing at its integrity audit on 26 March 2026 09:30 Asia/Shanghai, deleted since',
    ]);
    const seqs = (...list: number[]) => list.map((seq, i) => rec(`25T03:0${i}:00`, `25T03:0${i + 1}:00`, { seq }));
    expect(both('R5', evidence('R5', seqs(1, 2, 4)))).toEqual(['DSJ0001 缺少分段 3', 'DSJ0001 segment 3 missing']);
    expect(both('R5', evidence('R5', seqs(1, 5)))).toEqual(['DSJ0001 缺少分段 2–4', 'DSJ0001 segments 2–4 missing']);
    expect(both('R5', evidence('R5', [rec('25T03:00:00', '25T03:30:00', { filename: 'd.MP4', status: 'deleted' })]))).toEqual(['d.MP4 原始文件已删除', 'd.MP4 original deleted']);
  });
});

describe('R6 linked to case', () => {
  test('the recordings not linked, and those unlinked by hand with who and why', () => {
    expect(both('R6', evidence('R6', [rec('25T03:00:00', '25T03:30:00', { linkedToCase: false, filename: 'loose.MP4' })]))).toEqual([
      'loose.MP4 未关联本案',
      'loose.MP4 not linked to the case',
    ]);
    const loose = rec('25T03:00:00', '25T03:30:00', { linkedToCase: false, filename: 'loose.MP4' });
    const byHand = rec('25T03:00:00', '25T03:30:00', { linkedToCase: false, filename: 'x.MP4', unlinkedByHand: { by: 'sup-zf1', reason: '另一起案件' } });
    expect(both('R6', evidence('R6', [loose, byHand, rec('25T03:00:00', '25T03:30:00')]))).toEqual([
      '3 条记录中 1 条未关联本案：loose.MP4；x.MP4 已由 sup-zf1 手动解除关联（理由：另一起案件）',
      '1 of 3 not linked to the case: loose.MP4; x.MP4 unlinked by hand by sup-zf1 (另一起案件)',
    ]);
  });

  test('evidence stored before the file names were: a count', () => {
    const old = { caseNo: '某交执罚〔2026〕1号', linked: [], unlinkedByHand: [], notLinked: ['a', 'b'] };
    expect(both('R6', old)).toEqual(['2 条记录未关联本案', '2 recordings not linked to the case']);
  });
});

test('isOfficerEvidence: a rule\'s own shape only', () => {
  expect(isOfficerEvidence('R1', { recordingIds: [] })).toBe(true);
  expect(isOfficerEvidence('R2', { recordingIds: [] })).toBe(false);
  expect(isOfficerEvidence('R3', { recordings: [] })).toBe(false);
  expect(isOfficerEvidence('R4', null)).toBe(false);
  expect(isOfficerEvidence('R5', { failed: [], holes: [] })).toBe(true);
  expect(isOfficerEvidence('R6', [])).toBe(false);
});
