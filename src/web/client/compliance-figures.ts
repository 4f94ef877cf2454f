// The continuous-compliance figures as GET /api/compliance returns them (src/compliance/continuous.ts), and
// what the dashboard derives from them: a chart's series, the officers ordered worst first.

/** The four figures and the rule each counts (REGULATION.md "Continuous compliance"). */
export const FIGURES = ['recording', 'onTime', 'fullProcess', 'ownRecorder'] as const;
export type FigureName = (typeof FIGURES)[number];
export const FIGURE_RULE: Record<FigureName, string> = { recording: 'R1', onTime: 'R3', fullProcess: 'R2', ownRecorder: 'R4' };

/** `rate` = pass ÷ (pass + fail); null when nothing passed or failed. */
export interface Figure {
  pass: number;
  fail: number;
  rate: number | null;
}
export type Figures = Record<FigureName, Figure>;

export type UnitMonth = { unitCode: string; month: string } & Figures;
export type OfficerMonth = { badgeNo: string; name: string; unitCode: string; month: string } & Figures;
export type UnitTotal = { unitCode: string } & Figures;
export type OfficerTotal = { badgeNo: string; name: string; unitCode: string } & Figures;

export interface ComplianceReport {
  from: string;
  to: string;
  regulationVersion: string;
  units: UnitMonth[];
  officers: OfficerMonth[];
  unitTotals: UnitTotal[];
  officerTotals: OfficerTotal[];
}

export interface Series {
  name: string;
  /** One value a month, in the months' order; null where there is nothing to rate. */
  values: (number | null)[];
}

/** One series per unit of a figure's rate across the months (units in the report's order). */
export function unitSeries(rows: UnitMonth[], figure: FigureName, months: string[]): Series[] {
  const byUnit = new Map<string, Map<string, number | null>>();
  for (const r of rows) {
    let m = byUnit.get(r.unitCode);
    if (!m) byUnit.set(r.unitCode, (m = new Map()));
    m.set(r.month, r[figure].rate);
  }
  return [...byUnit].map(([name, m]) => ({ name, values: months.map((month) => m.get(month) ?? null) }));
}

/** The lowest of the four rates; null when none can be rated. */
export function lowestRate(f: Figures): number | null {
  const rates = FIGURES.map((n) => f[n].rate).filter((r): r is number => r !== null);
  return rates.length ? Math.min(...rates) : null;
}

export type OfficerSort = FigureName | 'lowest';

/**
 * Officers worst first by `sort` (a figure's rate, or the lowest of the four): those with nothing to rate
 * last, ties by unit and badge so the order is stable between reloads.
 */
export function sortOfficers<T extends { badgeNo: string; unitCode: string } & Figures>(rows: T[], sort: OfficerSort): T[] {
  const key = (r: T) => (sort === 'lowest' ? lowestRate(r) : r[sort].rate);
  return [...rows].sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    if (x !== y) {
      if (x === null) return 1;
      if (y === null) return -1;
      return x - y;
    }
    return a.unitCode.localeCompare(b.unitCode) || a.badgeNo.localeCompare(b.badgeNo);
  });
}

/** The month rows of one unit (or one officer), in month order. */
export const rowsOf = <T extends { month: string }>(rows: T[], match: (r: T) => boolean): T[] =>
  rows.filter(match).sort((a, b) => a.month.localeCompare(b.month));

/** The figures of several rows together (the whole scope over the period): counts added, rates recomputed. */
export function sumFigures(rows: Figures[]): Figures {
  const out = {} as Figures;
  for (const n of FIGURES) {
    const pass = rows.reduce((t, r) => t + r[n].pass, 0);
    const fail = rows.reduce((t, r) => t + r[n].fail, 0);
    out[n] = { pass, fail, rate: pass + fail ? pass / (pass + fail) : null };
  }
  return out;
}
