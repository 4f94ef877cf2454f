import { defaultPeriod, monthsBetween, periodProblems, previousMonthDays, shiftMonth } from '../../src/web/client/compliance-months';
import { openBody, openFormProblems, ratioFromPercent, percentOfRatio, type OpenForm } from '../../src/web/client/compliance-sample';
import { singleLine, textProblem } from '../../src/web/client/compliance-text';
import messages from '../../src/web/client/messages/compliance';

// What the supervisor's forms check before anything is sent: the same rules the API applies
// (src/http/routes/compliance.ts, spot-checks.ts), so a form that passes here is not refused for its shape.

describe('months', () => {
  test('calendar arithmetic across years', () => {
    expect(shiftMonth('2026-01', -1)).toBe('2025-12');
    expect(shiftMonth('2025-12', 1)).toBe('2026-01');
    expect(shiftMonth('2026-03', -14)).toBe('2025-01');
    expect(monthsBetween('2025-11', '2026-02')).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
    expect(monthsBetween('2026-02', '2026-01')).toEqual([]);
  });

  test('the default period is six months up to the current one', () => {
    expect(defaultPeriod('2026-03-15')).toEqual({ from: '2025-10', to: '2026-03' });
  });

  test('a period is checked as the API checks it', () => {
    expect(periodProblems('2026-01', '2026-03')).toEqual({});
    expect(periodProblems('2026-13', '2026-03')).toEqual({ from: 'invalidMonth' });
    expect(periodProblems('2026-01', '')).toEqual({ to: 'invalidMonth' });
    expect(periodProblems('2026-04', '2026-03')).toEqual({ to: 'order' });
    expect(periodProblems('2023-04', '2026-03')).toEqual({});
    expect(periodProblems('2023-03', '2026-03')).toEqual({ to: 'tooLong' });
  });

  test('the month before, as its first and last day', () => {
    expect(previousMonthDays('2026-03-15')).toEqual({ from: '2026-02-01', to: '2026-02-28' });
    expect(previousMonthDays('2024-03-01')).toEqual({ from: '2024-02-01', to: '2024-02-29' });
    expect(previousMonthDays('2026-01-31')).toEqual({ from: '2025-12-01', to: '2025-12-31' });
  });
});

describe('the sample ratio, typed as a percentage', () => {
  test.each([
    ['10', 0.1],
    ['10%', 0.1],
    [' 12.5 ％', 0.125],
    ['12.34', 0.1234],
    ['0.01', 0.0001],
    ['100', 1],
    ['33.33', 0.3333],
  ])('%s is the fraction %s', (text, fraction) => {
    expect(ratioFromPercent(text)).toBe(fraction);
  });

  test.each([
    ['', 'required'],
    ['abc', 'ratioFormat'],
    ['1.234', 'ratioFormat'],
    ['-5', 'ratioFormat'],
    ['0', 'ratioRange'],
    ['0.00', 'ratioRange'],
    ['100.01', 'ratioRange'],
    ['150', 'ratioRange'],
  ])('%j is refused (%s)', (text, problem) => {
    expect(ratioFromPercent(text)).toBe(problem);
  });

  test('a fraction reads back as the percentage', () => {
    expect(percentOfRatio(0.1234)).toBe(12.34);
    expect(percentOfRatio(0.07)).toBe(7);
  });
});

describe('opening a spot check', () => {
  const form: OpenForm = { from: '2026-02-03', to: '2026-02-03', unitCodes: ['ZF2', 'ZF1'], mode: 'ratio', ratioPercent: '100', perUnit: '1', seed: '', inspectors: '' };

  test('a good form becomes the request body: units sorted, no seed asks for a random one', () => {
    expect(openFormProblems(form)).toEqual({});
    expect(openBody(form)).toEqual({ from: '2026-02-03', to: '2026-02-03', unitCodes: ['ZF1', 'ZF2'], sample: { mode: 'ratio', value: 1 } });
  });

  test('every unit when none is ticked; a seed is sent exactly as typed; inspectors split', () => {
    const body = openBody({ ...form, unitCodes: [], mode: 'perUnit', perUnit: ' 3 ', seed: ' 2026 第一次 ', inspectors: 'rev-zf1, sup-zf2；x.y' });
    expect(body).toEqual({ from: '2026-02-03', to: '2026-02-03', sample: { mode: 'perUnit', value: 3 }, seed: ' 2026 第一次 ', inspectors: ['rev-zf1', 'sup-zf2', 'x.y'] });
  });

  test('every field is checked before sending', () => {
    expect(openFormProblems({ ...form, from: '', to: '2026-02-30' })).toEqual({ from: 'required', to: 'invalidDate' });
    expect(openFormProblems({ ...form, from: '2026-02-04' })).toEqual({ to: 'dateOrder' });
    expect(openFormProblems({ ...form, ratioPercent: '0' })).toEqual({ ratio: 'ratioRange' });
    expect(openFormProblems({ ...form, mode: 'perUnit', perUnit: '1.5' })).toEqual({ perUnit: 'perUnitRange' });
    expect(openFormProblems({ ...form, mode: 'perUnit', perUnit: '' })).toEqual({ perUnit: 'required' });
    expect(openFormProblems({ ...form, seed: 'a\tb' })).toEqual({ seed: 'seedControl' });
    expect(openFormProblems({ ...form, seed: '种'.repeat(201) })).toEqual({ seed: 'seedLength' });
    expect(openFormProblems({ ...form, seed: '种'.repeat(200) })).toEqual({});
    expect(openFormProblems({ ...form, inspectors: 'rev-zf1, 张三' })).toEqual({ inspectors: 'inspectorName' });
    expect(openFormProblems({ ...form, inspectors: 'Rev-ZF1, rev-zf1' })).toEqual({ inspectors: 'inspectorTwice' });
  });
});

describe('free text', () => {
  test('a note over several lines is sent as one; the API limits are checked', () => {
    expect(singleLine('  未使用规范用语\r\n  已当面提醒\t ')).toBe('未使用规范用语 已当面提醒');
    expect(textProblem(' \n ', 10)).toBe('required');
    expect(textProblem('一二三四五六七八九十', 10)).toBeNull();
    expect(textProblem('一二三四五六七八九十一', 10)).toBe('tooLong');
    expect(textProblem('a\u0007b', 10)).toBe('control');
  });
});

test('the English messages have exactly the Chinese keys, and the same placeholders', () => {
  expect(Object.keys(messages.en).sort()).toEqual(Object.keys(messages.zh).sort());
  const placeholders = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
  for (const key of Object.keys(messages.zh) as (keyof typeof messages.zh)[]) {
    expect([key, placeholders(messages.en[key])]).toEqual([key, placeholders(messages.zh[key])]);
  }
});
