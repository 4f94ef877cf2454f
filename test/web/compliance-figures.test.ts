import { lowestRate, sortOfficers, sumFigures, unitSeries, type Figures, type UnitMonth } from '../../src/web/client/compliance-figures';
import { currentBulletinOf, footageLabels, mayRecordVerdicts, verdictsOf, type BulletinSummary, type Finding } from '../../src/web/client/compliance-spot-check';

// What the dashboard and the spot-check page derive from the API's answers.

const fig = (pass: number, fail: number) => ({ pass, fail, rate: pass + fail ? pass / (pass + fail) : null });
const figures = (r: [number, number], o: [number, number] = [0, 0], f: [number, number] = [0, 0], w: [number, number] = [0, 0]): Figures => ({
  recording: fig(...r),
  onTime: fig(...o),
  fullProcess: fig(...f),
  ownRecorder: fig(...w),
});

describe('the dashboard', () => {
  test('a chart series per unit, a value a month, null where nothing was rated', () => {
    const rows: UnitMonth[] = [
      { unitCode: 'ZF1', month: '2026-01', ...figures([0, 0]) },
      { unitCode: 'ZF1', month: '2026-02', ...figures([3, 1]) },
      { unitCode: 'ZF2', month: '2026-02', ...figures([1, 1]) },
    ];
    expect(unitSeries(rows, 'recording', ['2026-01', '2026-02', '2026-03'])).toEqual([
      { name: 'ZF1', values: [null, 0.75, null] },
      { name: 'ZF2', values: [null, 0.5, null] },
    ]);
  });

  test('officers worst first, by the lowest of their rates or one figure; nothing rated goes last', () => {
    const rows = [
      { badgeNo: '1', unitCode: 'ZF1', ...figures([1, 0], [1, 0], [0, 1]) },
      { badgeNo: '2', unitCode: 'ZF1', ...figures([1, 1], [1, 0], [1, 0]) },
      { badgeNo: '3', unitCode: 'ZF1', ...figures([0, 0]) },
      { badgeNo: '4', unitCode: 'ZF0', ...figures([1, 0], [1, 0], [0, 1]) },
    ];
    expect(lowestRate(rows[0]!)).toBe(0);
    expect(lowestRate(rows[2]!)).toBeNull();
    expect(sortOfficers(rows, 'lowest').map((r) => r.badgeNo)).toEqual(['4', '1', '2', '3']);
    expect(sortOfficers(rows, 'recording').map((r) => r.badgeNo)).toEqual(['2', '4', '1', '3']);
  });

  test('the scope over the period: counts added, the rate recomputed (not an average of rates)', () => {
    const total = sumFigures([figures([1, 0]), figures([1, 3])]);
    expect(total.recording).toEqual({ pass: 2, fail: 3, rate: 0.4 });
    expect(total.onTime).toEqual({ pass: 0, fail: 0, rate: null });
  });
});

describe('a spot check item', () => {
  const findings: Finding[] = [
    {
      rule: 'R4',
      result: 'pass',
      detail: '',
      evidence: {
        officers: [
          { badgeNo: '100001', result: 'pass', detail: '', evidence: { recordings: [{ recordingId: 'a', filename: 'A.MP4', recorderSerial: 'S1', startedAt: '2026-02-03T02:01:00.000Z' }] } },
          { badgeNo: '100002', result: 'na', detail: 'no footage' },
        ],
      },
    },
    { rule: 'M1', result: 'pass', detail: 'pass by sup-zf1', evidence: { by: 'sup-zf1', at: '2026-02-04T01:00:00.000Z' } },
    { rule: 'M2', result: 'pending', detail: '' },
  ];

  test('the footage chooser names each file and officer from the evidence; the rest by id', () => {
    expect(footageLabels({ recordingIds: ['a', 'b'], findings })).toEqual([
      { recordingId: 'a', filename: 'A.MP4', badgeNo: '100001', startedAt: '2026-02-03T02:01:00.000Z' },
      { recordingId: 'b', filename: null, badgeNo: null, startedAt: null },
    ]);
  });

  test('M1–M4: the verdict with who and when, pending until recorded', () => {
    expect(verdictsOf({ findings })).toEqual({
      M1: { result: 'pass', by: 'sup-zf1', at: '2026-02-04T01:00:00.000Z' },
      M2: { result: 'pending' },
      M3: { result: 'pending' },
      M4: { result: 'pending' },
    });
  });

  test('the verdict form is offered on an open check to the inspector, an admin, or anyone when unassigned', () => {
    const item = { inspector: 'Rev-ZF1', findings };
    const open = { status: 'open' as const };
    expect(mayRecordVerdicts(open, item, { username: 'rev-zf1', role: 'reviewer' })).toBe(true);
    expect(mayRecordVerdicts(open, item, { username: 'sup-zf1', role: 'supervisor' })).toBe(false);
    expect(mayRecordVerdicts(open, item, { username: 'root', role: 'admin' })).toBe(true);
    expect(mayRecordVerdicts(open, { ...item, inspector: null }, { username: 'sup-zf1', role: 'supervisor' })).toBe(true);
    expect(mayRecordVerdicts({ status: 'complete' }, item, { username: 'root', role: 'admin' })).toBe(false);
    const nothingToWatch = ['M1', 'M2', 'M3', 'M4'].map((rule) => ({ rule, result: 'na' as const, detail: 'no footage to watch' }));
    expect(mayRecordVerdicts(open, { inspector: null, findings: nothingToWatch }, { username: 'root', role: 'admin' })).toBe(false);
  });
});

describe("a check's bulletins", () => {
  const b = (id: string, issuedAt: string, current = true, spotCheckId = 'c1'): BulletinSummary => ({
    id, number: '〔2026〕第 1 期', version: 1, spotCheckId, locale: 'zh-CN', issuedAt, issuedBy: 'sup-zf1', replaces: null, current,
  });

  test('the current one is the one not replaced', () => {
    expect(currentBulletinOf('c1', [b('x', '2026-03-02T00:00:00Z', false), b('y', '2026-03-03T00:00:00Z'), b('z', '2026-03-04T00:00:00Z', true, 'c2')])?.id).toBe('y');
    expect(currentBulletinOf('c3', [b('x', '2026-03-02T00:00:00Z')])).toBeNull();
  });
});
