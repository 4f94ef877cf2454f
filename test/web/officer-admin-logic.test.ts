import { check, badgeNoShape, dayOrTime, localTime, password, plainText, recordingIdShape, required, unitCodeShape, unlessBlank, usernameShape } from '../../src/web/client/admin-validate';
import { csvFileProblem } from '../../src/web/client/admin-import-file';
import { holdPath, holdTargetOf } from '../../src/web/client/admin-holds';
import { progressPercent, statusCounts, stillProcessing, withUpdates } from '../../src/web/client/officer-format';

describe('admin form checks (what the API would refuse, caught before sending)', () => {
  test('identifiers have the shapes the API accepts', () => {
    expect(unitCodeShape('ZF-1')).toBeNull();
    expect(unitCodeShape('执法一股')).toBe('admin.err.unitCode');
    expect(badgeNoShape('100001')).toBeNull();
    expect(badgeNoShape('100_001')).toBe('admin.err.badgeNo');
    expect(badgeNoShape('1'.repeat(21))).toBe('admin.err.badgeNo');
    expect(usernameShape('rev.zf1')).toBeNull();
    expect(usernameShape('a')).toBe('admin.err.username');
    expect(recordingIdShape('0b5f0d1c-6c1e-4d2a-9a55-1f1e2d3c4b5a')).toBeNull();
    expect(recordingIdShape('42')).toBe('admin.err.recordingId');
  });

  test('an empty optional field passes every rule but required', () => {
    for (const rule of [unitCodeShape, badgeNoShape, usernameShape, plainText(10), password, localTime, dayOrTime]) expect(rule('')).toBeNull();
    expect(required('  ')).toBe('admin.err.required');
  });

  test('free text is bounded and has no control characters; times are datetime-local values or dates', () => {
    expect(plainText(5)('123456')).toBe('admin.err.text');
    expect(plainText(5)('a\u0007b')).toBe('admin.err.text');
    expect(plainText(5)(' 遗失 ')).toBeNull();
    expect(localTime('2026-02-03T10:00')).toBeNull();
    expect(localTime('2026-02-03')).toBe('admin.err.time');
    expect(dayOrTime('2026-02-03')).toBeNull();
    expect(dayOrTime('3 Feb')).toBe('admin.err.time');
    expect(password('short')).toBe('admin.err.password');
  });

  test('check reports the first problem of each field only', () => {
    const rules = { code: [required, unitCodeShape], name: [required], note: [plainText(3)] };
    expect(check({ code: '', name: 'x', note: '' }, rules)).toEqual({ code: 'admin.err.required' });
    expect(check({ code: 'a b', name: '', note: 'long' }, rules)).toEqual({ code: 'admin.err.unitCode', name: 'admin.err.required', note: 'admin.err.text' });
    expect(check({ code: 'ZF1', name: 'x', note: '' }, rules)).toEqual({});
  });

  test('a blank optional field is left out of the request', () => {
    expect(unlessBlank('  ')).toBeUndefined();
    expect(unlessBlank('2026-02-03T10:00')).toBe('2026-02-03T10:00');
  });

  test('the import file is checked before upload', () => {
    expect(csvFileProblem(null)).toBe('admin.import.noFile');
    expect(csvFileProblem({ name: 'a.csv', size: 0 })).toBe('admin.import.empty');
    expect(csvFileProblem({ name: 'a.csv', size: 21 * 1024 * 1024 })).toBe('admin.import.tooBig');
    expect(csvFileProblem({ name: 'a.xlsx', size: 10 })).toBe('admin.import.notCsv');
    expect(csvFileProblem({ name: '名册.CSV', size: 10 })).toBeNull();
  });

  test('holds: the endpoint of a case or a recording, and a prefill from the address', () => {
    expect(holdPath({ kind: 'case', id: '某交执罚〔2026〕208号' })).toBe(`/api/cases/${encodeURIComponent('某交执罚〔2026〕208号')}/hold`);
    expect(holdPath({ kind: 'recording', id: 'abc' })).toBe('/api/recordings/abc/hold');
    expect(holdTargetOf(new URLSearchParams('case=X1'))).toEqual({ kind: 'case', id: 'X1' });
    expect(holdTargetOf(new URLSearchParams('recording=r1'))).toEqual({ kind: 'recording', id: 'r1' });
    expect(holdTargetOf(new URLSearchParams(''))).toBeNull();
  });
});

describe("the officer's lists", () => {
  test('progress is a whole percentage, 0 before the pipeline starts', () => {
    expect(progressPercent(null)).toBe(0);
    expect(progressPercent(0.456)).toBe(46);
    expect(progressPercent(1.2)).toBe(100);
    expect(progressPercent(Number.NaN)).toBe(0);
  });

  test("a docking's files by status, in the pipeline's order, without the empty ones", () => {
    expect(statusCounts({ received: 0, processing: 1, ready: 2, unplayable: 0, deleted: 0 })).toEqual([
      { status: 'processing', n: 1 },
      { status: 'ready', n: 2 },
    ]);
  });

  test('only rows still processing are asked about again, and fresher copies replace their fields', () => {
    const items = [
      { id: 'a', status: 'ready', progress: 1 },
      { id: 'b', status: 'processing', progress: 0.2 },
      { id: 'c', status: 'received', progress: null },
    ];
    expect(stillProcessing(items)).toEqual(['b', 'c']);
    expect(stillProcessing(items, 1)).toEqual(['b']);
    const merged = withUpdates(items, { b: { status: 'ready', progress: 1 } });
    expect(merged[1]).toEqual({ id: 'b', status: 'ready', progress: 1 });
    expect(stillProcessing(merged)).toEqual(['c']);
    expect(merged[0]).toBe(items[0]);
  });
});
