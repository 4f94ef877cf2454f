import path from 'node:path';
import { loadRegulation, type Regulation } from '../../config/regulation';
import { coverage, evaluateActivity, evaluateRule, fullProcess, integrity, itemResult, linkedToCase, ownRecorder, recorded, segmentHoles, timelyUpload } from '../../src/compliance/rules';
import type { ActivityFacts, FootageFacts, OfficerFacts } from '../../src/compliance/types';

const regulation = loadRegulation(path.join(__dirname, '../../config/regulation.json'));
/** The regulation with other numbers: the rules must follow them. */
const withRules = (rules: { R2?: Partial<Regulation['rules']['R2']>; R3?: Partial<Regulation['rules']['R3']> }, more: Partial<Regulation> = {}): Regulation => ({
  ...regulation,
  ...more,
  rules: { ...regulation.rules, R2: { ...regulation.rules.R2, ...rules.R2 }, R3: { ...regulation.rules.R3, ...rules.R3 } },
});

/** An instant on 2026-03-02, UTC: `at('10:04:10')`. */
const at = (hms: string) => new Date(`2026-03-02T${hms}Z`);
const plus = (d: Date, ms: number) => new Date(d.getTime() + ms);
const H = 3_600_000;

let n = 0;
function rec(startedAt: string, endedAt: string | null, more: Partial<FootageFacts> = {}): FootageFacts {
  n += 1;
  return {
    recordingId: `rec-${n}`,
    filename: `DSJ0001_100001_${n}.MP4`,
    recorderId: 1,
    recorderSerial: 'DSJ0001',
    startedAt: at(startedAt),
    endedAt: endedAt === null ? null : at(endedAt),
    dockedAt: at('18:00:00'),
    seq: null,
    status: 'ready',
    recorderAssignedTo: '100001',
    linkedToCase: true,
    unlinkedByHand: null,
    audit: null,
    ...more,
  };
}
const officer = (footage: FootageFacts[], badgeNo = '100001'): OfficerFacts => ({ officerId: Number(badgeNo), badgeNo, name: `officer ${badgeNo}`, footage });
/** An inspection 10:00:00–10:20:00 UTC. */
function activity(officers: OfficerFacts[], more: Partial<ActivityFacts> = {}): ActivityFacts {
  return {
    activityId: 1,
    caseId: 1,
    caseNo: '某交执罚〔2026〕1号',
    activityKey: 'A1',
    type: 'inspection',
    unitId: 1,
    unitCode: 'ZF1',
    startedAt: at('10:00:00'),
    endedAt: at('10:20:00'),
    officers,
    ...more,
  };
}
/** One rule for one officer's footage during the default activity. */
const check = (rule: typeof recorded, footage: FootageFacts[], reg = regulation, more: Partial<ActivityFacts> = {}) => {
  const o = officer(footage);
  return rule(activity([o], more), o, reg);
};

describe('R1 recorded', () => {
  test('passes with footage, fails without; na for a type the regulation does not require (other), whatever the footage', () => {
    expect(check(recorded, [rec('10:00:00', '10:20:00')])).toMatchObject({ result: 'pass', evidence: { recordingIds: [expect.any(String)] } });
    expect(check(recorded, [])).toMatchObject({ result: 'fail', detail: 'no recording within 10:00:00–10:20:00 UTC ± 5 min' });
    expect(check(recorded, [], regulation, { type: 'other' })).toMatchObject({ result: 'na', detail: 'activity type other need not be recorded' });
    // The list comes from the regulation: drop inspection from it and an inspection is na too.
    const lenient = withRules({}, { mandatoryActivityTypes: ['questioning'], footageBufferMinutes: 2 });
    expect(check(recorded, [], lenient).result).toBe('na');
    expect(check(recorded, [], lenient, { type: 'questioning' }).detail).toContain('± 2 min');
  });
});

describe('R2 full process', () => {
  test('contiguous segments cover everything; overlapping segments are counted once', () => {
    const f = check(fullProcess, [rec('09:58:00', '10:08:00'), rec('10:08:00', '10:21:00')]);
    expect(f).toMatchObject({ result: 'pass', detail: 'covered 100 % of 20:00 min (minimum 95 %); no gap (maximum 60 s)' });
    // Overlaps and one recording inside another: 10:00–10:12 and 10:05–10:20 and 10:06–10:07 → all of it, not more.
    const o = check(fullProcess, [rec('10:00:00', '10:12:00'), rec('10:05:00', '10:20:00'), rec('10:06:00', '10:07:00')]);
    expect(o).toMatchObject({ result: 'pass', evidence: { coverage: 1, coveredSeconds: 1200, gaps: [] } });
  });

  test('a gap of exactly maxGapSeconds passes, one second more fails (inside the window)', () => {
    const gap = (end: string) => check(fullProcess, [rec('10:00:00', end), rec('10:05:00', '10:20:00')]);
    expect(gap('10:04:00')).toMatchObject({ result: 'pass', evidence: { gaps: [{ start: '2026-03-02T10:04:00.000Z', end: '2026-03-02T10:05:00.000Z', seconds: 60 }], longGaps: [] } });
    const f = gap('10:03:59');
    expect(f.result).toBe('fail');
    expect(f.detail).toBe('covered 94.9 % of 20:00 min (minimum 95 %); largest gap 61 s at 10:03:59–10:05:00 UTC (maximum 60 s)');
    expect(f.evidence).toMatchObject({ longGaps: [{ start: '2026-03-02T10:03:59.000Z', end: '2026-03-02T10:05:00.000Z', seconds: 61 }] });
    // The limit is the regulation's: at 120 s the same 61 s gap passes (and so does the coverage at 90 %).
    expect(check(fullProcess, [rec('10:00:00', '10:03:59'), rec('10:05:00', '10:20:00')], withRules({ R2: { maxGapSeconds: 120, minCoverage: 0.9 } })).result).toBe('pass');
  });

  test('the window\'s two ends count: an uncovered start or end longer than the limit fails', () => {
    expect(check(fullProcess, [rec('10:01:00', '10:25:00')]).result).toBe('pass');
    expect(check(fullProcess, [rec('10:01:01', '10:25:00')])).toMatchObject({ result: 'fail', evidence: { longGaps: [{ start: '2026-03-02T10:00:00.000Z', seconds: 61 }] } });
    expect(check(fullProcess, [rec('09:55:00', '10:19:00')]).result).toBe('pass');
    expect(check(fullProcess, [rec('09:55:00', '10:18:59')])).toMatchObject({ result: 'fail', evidence: { longGaps: [{ end: '2026-03-02T10:20:00.000Z', seconds: 61 }] } });
    // Footage only in the buffer before the window: the whole window is one gap.
    expect(check(fullProcess, [rec('09:56:00', '09:59:00')])).toMatchObject({ result: 'fail', evidence: { coverage: 0, gaps: [{ seconds: 1200 }] } });
  });

  test('coverage of exactly minCoverage passes, just below fails (no gap over the limit in either)', () => {
    // 100 min, six gaps of 50 s = 300 s = 5 % uncovered; then one of them 51 s.
    const footage = (last: number) => {
      const segs: FootageFacts[] = [];
      let t = at('10:00:00').getTime();
      const gaps = [50, 50, 50, 50, 50, last];
      const len = (100 * 60 - gaps.reduce((a, b) => a + b, 0)) / 6;
      for (const g of gaps) {
        segs.push({ ...rec('10:00:00', null), startedAt: new Date(t), endedAt: new Date(t + len * 1000) });
        t += (len + g) * 1000;
      }
      return segs;
    };
    const window = { endedAt: at('11:40:00') };
    const exact = check(fullProcess, footage(50), regulation, window);
    expect(exact).toMatchObject({ result: 'pass', evidence: { coverage: 0.95, longGaps: [] } });
    expect(exact.detail).toBe('covered 95 % of 1:40:00 h (minimum 95 %); largest gap 50 s at 10:15:50–10:16:40 UTC (maximum 60 s)');
    const below = check(fullProcess, footage(51), regulation, window);
    expect(below).toMatchObject({ result: 'fail', evidence: { longGaps: [] } });
    expect(below.evidence!.coverage as number).toBeLessThan(0.95);
    expect(below.detail).toMatch(/^covered 94\.9 % of 1:40:00 h/);
    expect(check(fullProcess, footage(51), withRules({ R2: { minCoverage: 0.94 } }), window).result).toBe('pass');
  });

  test('a recording with an unknown end is a point at its start: it covers nothing, but splits a gap', () => {
    // 10:09–10:11 uncovered but for the point at 10:10: two stretches of 60 s, neither too long; 90 % covered fails.
    const f = check(fullProcess, [rec('10:00:00', '10:09:00'), rec('10:10:00', null), rec('10:11:00', '10:20:00')]);
    expect(f).toMatchObject({ result: 'fail', evidence: { coverage: 0.9, longGaps: [], gaps: [{ seconds: 60 }, { seconds: 60 }] } });
    expect(check(fullProcess, [rec('10:00:00', '10:09:00'), rec('10:10:00', null), rec('10:11:00', '10:20:00')], withRules({ R2: { minCoverage: 0.9 } })).result).toBe('pass');
    // Alone, it leaves the window uncovered.
    expect(check(fullProcess, [rec('10:05:00', null)])).toMatchObject({ result: 'fail', evidence: { coverage: 0 } });
  });

  test('a zero-length activity: covered when a recording contains its instant (ends included), else 0 %', () => {
    const point = { startedAt: at('10:00:00'), endedAt: at('10:00:00') };
    expect(check(fullProcess, [rec('09:55:00', '10:00:00')], regulation, point)).toMatchObject({ result: 'pass', evidence: { coverage: 1, windowSeconds: 0 } });
    expect(check(fullProcess, [rec('10:00:00', null)], regulation, point).result).toBe('pass');
    const missed = check(fullProcess, [rec('09:55:00', '09:59:59')], regulation, point);
    expect(missed).toMatchObject({ result: 'fail', evidence: { coverage: 0 } });
    expect(missed.detail).toBe('zero-length activity at 10:00:00 UTC not within a recording (covered 0 %, minimum 95 %)');
    expect(check(fullProcess, [rec('09:55:00', '09:59:59')], withRules({ R2: { minCoverage: 0 } }), point).result).toBe('pass');
  });

  test('coverage() merges, clips and finds the stretches between', () => {
    expect(coverage([[5, 8], [0, 3], [2, 4], [20, 30]], 1, 10)).toEqual({ covered: 6, gaps: [{ start: 4, end: 5 }, { start: 8, end: 10 }] });
  });
});

describe('R3 timely upload', () => {
  test('docked exactly uploadDeadlineHours after the end passes; one second more fails, with hours late per recording', () => {
    const end = at('10:20:00');
    expect(check(timelyUpload, [rec('10:00:00', '10:20:00', { dockedAt: plus(end, 24 * H) })])).toMatchObject({
      result: 'pass',
      detail: '1 recording docked within 24 h of the end (latest 24:00:00 h after)',
    });
    const late = rec('10:00:00', '10:20:00', { dockedAt: plus(end, 24 * H + 1000), filename: 'late.MP4' });
    const f = check(timelyUpload, [rec('10:00:00', '10:20:00', { dockedAt: plus(end, -H) }), late]);
    expect(f.result).toBe('fail');
    expect(f.detail).toBe('1 of 2 docked more than 24 h after the end: late.MP4 24:00:01 h after the end (0:01 min late)');
    expect(f.evidence).toMatchObject({ uploadDeadlineHours: 24, late: [late.recordingId] });
    const row = (f.evidence!.recordings as { recordingId: string; hoursLate: number; hoursAfterEnd: number }[]).find((r) => r.recordingId === late.recordingId)!;
    expect(row.hoursLate).toBeCloseTo(1 / 3600, 12);
    expect(row.hoursAfterEnd).toBeCloseTo(24 + 1 / 3600, 12);
    // The deadline is the regulation's.
    expect(check(timelyUpload, [late], withRules({ R3: { uploadDeadlineHours: 48 } })).result).toBe('pass');
    expect(check(timelyUpload, [rec('10:00:00', '10:20:00', { dockedAt: plus(end, 2 * H) })], withRules({ R3: { uploadDeadlineHours: 1.5 } })).result).toBe('fail');
  });
});

describe('R4 own recorder', () => {
  test('an assignment changed mid-activity: the recording begun before the change is on the old officer\'s recorder', () => {
    // DSJ0002 was 100002's until 10:05, then 100001's. 100001 recorded 10:00–10:10 on it (begun while it was
    // still 100002's) and 10:10–10:20 (after the change): the first fails R4 for 100001, the second passes.
    const before = rec('10:00:00', '10:10:00', { recorderSerial: 'DSJ0002', recorderId: 2, recorderAssignedTo: '100002', filename: 'DSJ0002_100001_1000.MP4' });
    const after = rec('10:10:00', '10:20:00', { recorderSerial: 'DSJ0002', recorderId: 2, recorderAssignedTo: '100001' });
    const f = check(ownRecorder, [before, after]);
    expect(f).toMatchObject({
      result: 'fail',
      detail: "1 of 2 not on 100001's own recorder: DSJ0002_100001_1000.MP4 on DSJ0002 (assigned to 100002 at 10:00:00 UTC)",
      evidence: { notOwn: [before.recordingId] },
    });
    expect(check(ownRecorder, [after])).toMatchObject({ result: 'pass', detail: "1 recording on 100001's own recorder DSJ0002" });
    // The same file is also footage of 100002 (the recorder was theirs at its start): for them it is their own recorder.
    const o2 = officer([before], '100002');
    expect(ownRecorder(activity([o2]), o2, regulation).result).toBe('pass');
    // A recorder assigned to nobody at the start is nobody's own.
    expect(check(ownRecorder, [rec('10:00:00', '10:20:00', { recorderAssignedTo: null })]).detail).toContain('assigned to nobody');
  });
});

describe('R5 integrity', () => {
  test('the latest audit mismatch or missing fails, a deleted recording fails; no audit yet, or ok, passes', () => {
    const ok = { result: 'ok' as const, checkedAt: at('20:00:00') };
    expect(check(integrity, [rec('10:00:00', '10:20:00'), rec('10:00:00', '10:20:00', { audit: ok })])).toMatchObject({
      result: 'pass',
      detail: '2 recordings, 1 audited ok, no segment missing',
    });
    const bad = rec('10:00:00', '10:20:00', { filename: 'bad.MP4', audit: { result: 'mismatch', checkedAt: at('20:00:00') } });
    expect(check(integrity, [bad])).toMatchObject({ result: 'fail', detail: 'bad.MP4 audit mismatch at 2026-03-02T20:00:00.000Z' });
    expect(check(integrity, [rec('10:00:00', '10:20:00', { audit: { result: 'missing', checkedAt: at('20:00:00') } })]).result).toBe('fail');
    const gone = rec('10:00:00', '10:20:00', { filename: 'gone.MP4', status: 'deleted' });
    expect(check(integrity, [gone])).toMatchObject({ result: 'fail', detail: 'gone.MP4 deleted', evidence: { failed: [{ recordingId: gone.recordingId, status: 'deleted' }] } });
    // Unplayable is not an integrity failure (M4 judges the picture).
    expect(check(integrity, [rec('10:00:00', null, { status: 'unplayable', audit: ok })]).result).toBe('pass');
  });

  test('segment numbers per recorder in time order: 1, 2, 4 has a hole at 3; null numbers are skipped; a restart is no hole', () => {
    const seqs = (...list: (number | null)[]) => list.map((seq, i) => rec(`10:0${i}:00`, `10:0${i + 1}:00`, { seq }));
    const f = check(integrity, seqs(1, 2, 4));
    expect(f).toMatchObject({ result: 'fail', detail: 'DSJ0001 segment 3 missing', evidence: { holes: [{ recorderSerial: 'DSJ0001', missing: [3] }] } });
    expect(check(integrity, seqs(1, 4)).detail).toBe('DSJ0001 segment 2–3 missing');
    // A recording without a number neither makes a hole nor fills one.
    expect(check(integrity, seqs(1, null, 2, null)).result).toBe('pass');
    expect(segmentHoles(seqs(1, null, 3))).toMatchObject([{ missing: [2] }]);
    // The first number in the window need not be 1 (earlier segments lie before it), and a new session restarts the count.
    expect(check(integrity, seqs(7, 8, 1, 2)).result).toBe('pass');
    // Numbers are per recorder: 1, 2 on DSJ0001 and 3, 4 on DSJ0002 have no hole.
    const other = seqs(3, 4).map((r) => ({ ...r, recorderSerial: 'DSJ0002', recorderId: 2 }));
    expect(check(integrity, [...seqs(1, 2), ...other]).result).toBe('pass');
    expect(segmentHoles([...seqs(1, 3), ...other.slice(1)])).toMatchObject([{ recorderSerial: 'DSJ0001', missing: [2] }]);
  });
});

describe('R6 linked to case', () => {
  test('linked passes; unlinked by hand passes with its reason shown; neither fails', () => {
    const unlinked = rec('10:00:00', '10:20:00', { linkedToCase: false, filename: 'x.MP4', unlinkedByHand: { by: 'sup-zf1', reason: '另一起案件' } });
    expect(check(linkedToCase, [rec('10:00:00', '10:20:00'), unlinked])).toMatchObject({
      result: 'pass',
      detail: '1 linked to 某交执罚〔2026〕1号, 1 unlinked by hand (x.MP4 unlinked by sup-zf1: 另一起案件)',
      evidence: { unlinkedByHand: [{ recordingId: unlinked.recordingId, by: 'sup-zf1', reason: '另一起案件' }] },
    });
    const loose = rec('10:00:00', '10:20:00', { linkedToCase: false, filename: 'loose.MP4' });
    expect(check(linkedToCase, [loose, unlinked])).toMatchObject({
      result: 'fail',
      detail: '1 of 2 not linked to 某交执罚〔2026〕1号: loose.MP4; unlinked by hand: x.MP4 unlinked by sup-zf1: 另一起案件',
      evidence: { notLinked: [loose.recordingId] },
    });
  });
});

describe('evaluateActivity and itemResult', () => {
  test('R2–R6 are na without footage (R1 fails); every officer × rule in byOfficer', () => {
    const { byOfficer } = evaluateActivity(activity([officer([])]), regulation);
    expect(byOfficer.map((f) => `${f.rule}:${f.result}`)).toEqual(['R1:fail', 'R2:na', 'R3:na', 'R4:na', 'R5:na', 'R6:na']);
    expect(byOfficer.every((f) => f.badgeNo === '100001')).toBe(true);
  });

  test('an item\'s rule result is the worst of its officers: fail > pass > na; the detail lists the officers with that result', () => {
    const good = officer([rec('10:00:00', '10:20:00')], '100001');
    const late = officer([rec('10:00:00', '10:20:00', { recorderAssignedTo: '100002', dockedAt: at('23:00:00') }), rec('10:00:00', '10:10:00', { recorderAssignedTo: '100002', dockedAt: plus(at('10:20:00'), 30 * H) })], '100002');
    const none = officer([], '200001');
    const { findings, byOfficer } = evaluateActivity(activity([good, late, none]), regulation);
    expect(byOfficer).toHaveLength(18);
    expect(findings.map((f) => `${f.rule}:${f.result}`)).toEqual(['R1:fail', 'R2:pass', 'R3:fail', 'R4:pass', 'R5:pass', 'R6:pass']);
    expect(findings[0]!.detail).toBe('200001: no recording within 10:00:00–10:20:00 UTC ± 5 min');
    expect(findings[2]!.detail).toMatch(/^100002: 1 of 2 docked more than 24 h after the end: .* \(6:00:00 h late\)$/);
    // R4 with the recorder reassigned as seen by 100002: their own; 100001's own too; 200001 na → pass, both listed.
    expect(findings[3]!.detail).toBe("100001: 1 recording on 100001's own recorder DSJ0001; 100002: 2 recordings on 100002's own recorder DSJ0001");
    expect(findings[2]!.evidence).toMatchObject({ officers: [{ badgeNo: '100001', result: 'pass' }, { badgeNo: '100002', result: 'fail' }, { badgeNo: '200001', result: 'na' }] });
    // Every officer na → na; a non-mandatory type with no footage at all is na throughout.
    expect(evaluateActivity(activity([none], { type: 'other' }), regulation).findings.every((f) => f.result === 'na')).toBe(true);
    expect(evaluateActivity(activity([]), regulation).findings.map((f) => f.result)).toEqual(['na', 'na', 'na', 'na', 'na', 'na']);
    expect(evaluateRule('R1', activity([good]), good, regulation)).toMatchObject({ rule: 'R1', badgeNo: '100001', result: 'pass' });
  });

  test('itemResult: pending while any verdict is pending, else fail if any fails, else pass (na is a pass)', () => {
    expect(itemResult([{ result: 'pass' }, { result: 'na' }])).toBe('pass');
    expect(itemResult([])).toBe('pass');
    expect(itemResult([{ result: 'na' }])).toBe('pass');
    expect(itemResult([{ result: 'pass' }, { result: 'pending' }])).toBe('pending');
    expect(itemResult([{ result: 'pending' }, { result: 'fail' }, { result: 'pass' }])).toBe('pending');
    expect(itemResult([{ result: 'na' }, { result: 'fail' }, { result: 'pass' }])).toBe('fail');
  });
});
