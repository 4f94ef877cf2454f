import { aggregateCompliance, monthOf, monthsBetween, shiftMonth, type EvaluatedActivity } from '../../src/compliance/continuous';
import type { RuleCode } from '../../config/regulation';
import type { Result } from '../../src/compliance/types';

// The pure aggregation of continuous compliance: no database, evaluated activities in, figures out.

/** One officer's results for R1..R6 of one activity, in that order. */
const results = (badgeNo: string, r: string) =>
  [...r].map((c, i) => ({ rule: `R${i + 1}` as RuleCode, badgeNo, result: ({ p: 'pass', f: 'fail', n: 'na', '?': 'pending' } as Record<string, Result>)[c]! }));
const activity = (unitCode: string, month: string, ...officers: [string, string][]): EvaluatedActivity => ({
  unitCode,
  month,
  officers: officers.map(([badgeNo]) => ({ badgeNo, name: `警员${badgeNo}` })),
  byOfficer: officers.flatMap(([badgeNo, r]) => results(badgeNo, r)),
});
const f = (pass: number, fail: number, rate: number | null) => ({ pass, fail, rate });
const zero = { recording: f(0, 0, null), onTime: f(0, 0, null), fullProcess: f(0, 0, null), ownRecorder: f(0, 0, null) };

describe('aggregateCompliance', () => {
  // Results are R1..R6: p pass, f fail, n na, ? pending.
  const activities = [
    activity('ZF1', '2026-03', ['1', 'pppppp'], ['2', 'fnnnnn']),
    activity('ZF1', '2026-03', ['1', 'pffpff'], ['2', 'pppfpp']),
    // Need not be recorded: every rule na, still lists the unit and its officers.
    activity('ZF2', '2026-03', ['3', 'nnnnnn']),
    // Outside the period.
    activity('ZF1', '2026-05', ['1', 'ffffff']),
  ];

  test('counts pass and fail per figure (R1 recording, R2 full process, R3 on time, R4 own recorder); na, pending, R5 and R6 are left out', () => {
    const out = aggregateCompliance([...activities, activity('ZF1', '2026-03', ['1', '????ff'])], ['2026-03', '2026-04']);
    expect(out.units).toEqual([
      { unitCode: 'ZF1', month: '2026-03', recording: f(3, 1, 0.75), fullProcess: f(2, 1, 2 / 3), onTime: f(2, 1, 2 / 3), ownRecorder: f(2, 1, 2 / 3) },
      { unitCode: 'ZF1', month: '2026-04', ...zero },
      { unitCode: 'ZF2', month: '2026-03', ...zero },
      { unitCode: 'ZF2', month: '2026-04', ...zero },
    ]);
    expect(out.unitTotals).toEqual([
      { unitCode: 'ZF1', recording: f(3, 1, 0.75), fullProcess: f(2, 1, 2 / 3), onTime: f(2, 1, 2 / 3), ownRecorder: f(2, 1, 2 / 3) },
      { unitCode: 'ZF2', ...zero },
    ]);
    expect(out.officerTotals).toEqual([
      { badgeNo: '1', name: '警员1', unitCode: 'ZF1', recording: f(2, 0, 1), fullProcess: f(1, 1, 0.5), onTime: f(1, 1, 0.5), ownRecorder: f(2, 0, 1) },
      { badgeNo: '2', name: '警员2', unitCode: 'ZF1', recording: f(1, 1, 0.5), fullProcess: f(1, 0, 1), onTime: f(1, 0, 1), ownRecorder: f(0, 1, 0) },
      { badgeNo: '3', name: '警员3', unitCode: 'ZF2', ...zero },
    ]);
    expect(out.officers.map((o) => `${o.unitCode}/${o.badgeNo}/${o.month}`)).toEqual([
      'ZF1/1/2026-03', 'ZF1/1/2026-04', 'ZF1/2/2026-03', 'ZF1/2/2026-04', 'ZF2/3/2026-03', 'ZF2/3/2026-04',
    ]);
  });

  test('an officer is counted per unit of the activities: helping another unit is a row of its own', () => {
    const out = aggregateCompliance([activity('ZF1', '2026-03', ['1', 'pppppp']), activity('ZF2', '2026-03', ['1', 'fnnnnn'])], ['2026-03']);
    expect(out.officerTotals.map((o) => [o.unitCode, o.badgeNo, o.recording])).toEqual([
      ['ZF1', '1', f(1, 0, 1)],
      ['ZF2', '1', f(0, 1, 0)],
    ]);
  });

  test('one badge: only that officer\'s rows, unit rows whole; without units, no unit rows', () => {
    const one = aggregateCompliance(activities, ['2026-03'], { badgeNo: '2' });
    expect(one.officerTotals.map((o) => o.badgeNo)).toEqual(['2']);
    expect(one.unitTotals[0]!.recording).toEqual(f(3, 1, 0.75));
    const own = aggregateCompliance(activities, ['2026-03'], { badgeNo: '1', units: false });
    expect(own.units).toEqual([]);
    expect(own.unitTotals).toEqual([]);
    expect(own.officers).toEqual([
      { badgeNo: '1', name: '警员1', unitCode: 'ZF1', month: '2026-03', recording: f(2, 0, 1), fullProcess: f(1, 1, 0.5), onTime: f(1, 1, 0.5), ownRecorder: f(2, 0, 1) },
    ]);
  });

  test('nothing in the period: no rows', () => {
    expect(aggregateCompliance(activities, ['2025-01'])).toEqual({ units: [], officers: [], unitTotals: [], officerTotals: [] });
  });
});

describe('months', () => {
  test('monthsBetween is inclusive and crosses years; empty when reversed', () => {
    expect(monthsBetween('2025-11', '2026-02', 'Asia/Shanghai')).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
    expect(monthsBetween('2026-03', '2026-03', 'Asia/Shanghai')).toEqual(['2026-03']);
    expect(monthsBetween('2026-04', '2026-03', 'Asia/Shanghai')).toEqual([]);
  });

  test('monthOf is the month in the zone: 31 March 16:10 UTC is April in Shanghai', () => {
    expect(monthOf(new Date('2026-03-31T16:10:00Z'), 'Asia/Shanghai')).toBe('2026-04');
    expect(monthOf(new Date('2026-03-31T16:10:00Z'), 'UTC')).toBe('2026-03');
  });

  test('shiftMonth', () => {
    expect(shiftMonth('2026-03', -11)).toBe('2025-04');
    expect(shiftMonth('2026-12', 1)).toBe('2027-01');
  });
});
