// Month arithmetic for the compliance dashboard (`YYYY-MM`, the API's months in the bureau's zone). Calendar
// arithmetic only: the bureau's zone matters for "today", which the caller takes from format.ts.

export const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
/** The longest period GET /api/compliance accepts (src/compliance/continuous.ts MAX_MONTHS). */
export const MAX_MONTHS = 36;
/** What the dashboard shows when nothing is asked: these many months, the current one included. */
export const DEFAULT_MONTHS = 6;

const index = (month: string) => Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1;
const fromIndex = (i: number) => `${String(Math.floor(i / 12)).padStart(4, '0')}-${String((i % 12) + 1).padStart(2, '0')}`;

/** The month `n` months after (before, when negative) `month`. */
export const shiftMonth = (month: string, n: number): string => fromIndex(index(month) + n);

/** Every month from `from` to `to`, both included (empty when `to` precedes `from`). */
export function monthsBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let i = index(from); i <= index(to); i++) out.push(fromIndex(i));
  return out;
}

/** The default period: DEFAULT_MONTHS months up to the month of `today` (`YYYY-MM-DD`). */
export function defaultPeriod(today: string): { from: string; to: string } {
  const to = today.slice(0, 7);
  return { from: shiftMonth(to, 1 - DEFAULT_MONTHS), to };
}

export type PeriodProblem = 'invalidMonth' | 'order' | 'tooLong';

/** What is wrong with a period before it is sent, per field (the API would refuse the same). */
export function periodProblems(from: string, to: string): { from?: PeriodProblem; to?: PeriodProblem } {
  const out: { from?: PeriodProblem; to?: PeriodProblem } = {};
  if (!MONTH.test(from)) out.from = 'invalidMonth';
  if (!MONTH.test(to)) out.to = 'invalidMonth';
  if (out.from || out.to) return out;
  if (from > to) out.to = 'order';
  else if (index(to) - index(from) + 1 > MAX_MONTHS) out.to = 'tooLong';
  return out;
}

/** The calendar month before that of `today` (`YYYY-MM-DD`) as its first and last day: a spot check's usual period. */
export function previousMonthDays(today: string): { from: string; to: string } {
  const month = shiftMonth(today.slice(0, 7), -1);
  const [y, m] = [Number(month.slice(0, 4)), Number(month.slice(5, 7))];
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return { from: `${month}-01`, to: `${month}-${String(last).padStart(2, '0')}` };
}
