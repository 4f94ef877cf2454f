import type { BulletinContent } from './bulletin-content';

// The bulletin's chart (part 7) as plain shapes, laid out once: the HTML renderer writes them as inline SVG,
// the PDF renderer draws them with pdfkit's vector operators, so both show the same picture. One row per
// unit (in ranking order): the unit's name, a bar of this bulletin's pass rate against a 0–100 % axis with
// the criticism line across it, and the unit's trend over the last bulletins as a line with dots.

export type Shape =
  | { kind: 'rect'; x: number; y: number; w: number; h: number; fill: string }
  | { kind: 'line'; x1: number; y1: number; x2: number; y2: number; stroke: string; width: number; dash?: number }
  | { kind: 'polyline'; points: [number, number][]; stroke: string; width: number }
  | { kind: 'circle'; cx: number; cy: number; r: number; fill: string }
  /** `y` is the text's vertical middle; `anchor` the side `x` is on. */
  | { kind: 'text'; x: number; y: number; text: string; size: number; fill: string; anchor: 'start' | 'middle' | 'end' };

export interface Chart {
  width: number;
  height: number;
  shapes: Shape[];
}

export const CHART_COLORS = { bar: '#2f6db5', barLow: '#c0392b', axis: '#888888', grid: '#dddddd', text: '#222222', trend: '#e08a1e', current: '#2f6db5', threshold: '#c0392b' };

const ROW = 24;
const HEAD = 22;
const FOOT = 18;

/** The height of a chart of `rows` units (a long chart is drawn a page's worth of rows at a time). */
export const chartHeight = (rows: number) => HEAD + rows * ROW + FOOT;

/** The chart of `series` (all units by default: a page may show some of them, with the header and axis). */
export function chartShapes(content: BulletinContent, width: number, series = content.chart.series): Chart {
  const { chart, labels } = content;
  const c = CHART_COLORS;
  const nameW = Math.round(width * 0.2);
  const barX = nameW + 6;
  const barW = Math.round(width * 0.42);
  const valueW = 44;
  const trendX = barX + barW + valueW + 12;
  const trendW = Math.max(40, width - trendX - 8);
  const rows = series.length;
  const height = chartHeight(rows);
  const shapes: Shape[] = [];
  const xOf = (tenths: number) => barX + (barW * tenths) / 1000;

  shapes.push({ kind: 'text', x: barX, y: HEAD / 2, text: labels.chartRate, size: 8, fill: c.text, anchor: 'start' });
  shapes.push({ kind: 'text', x: trendX, y: HEAD / 2, text: `${labels.chartTrend} (${chart.columns.length})`, size: 8, fill: c.text, anchor: 'start' });
  // Grid at 0, 50 and 100 %, labelled below the rows.
  for (const t of [0, 500, 1000]) {
    shapes.push({ kind: 'line', x1: xOf(t), y1: HEAD, x2: xOf(t), y2: HEAD + rows * ROW, stroke: t === 0 ? c.axis : c.grid, width: 0.6 });
    shapes.push({ kind: 'text', x: xOf(t), y: HEAD + rows * ROW + FOOT / 2, text: `${t / 10}%`, size: 7, fill: c.axis, anchor: 'middle' });
  }
  const n = chart.columns.length;
  const stepX = n > 1 ? trendW / (n - 1) : 0;
  series.forEach((s, i) => {
    const top = HEAD + i * ROW;
    const mid = top + ROW / 2;
    const current = s.rateTenths.at(-1) ?? null;
    shapes.push({ kind: 'text', x: nameW, y: mid, text: s.unitName, size: 8, fill: c.text, anchor: 'end' });
    if (current !== null) {
      shapes.push({ kind: 'rect', x: barX, y: top + 5, w: Math.max(0.5, (barW * current) / 1000), h: ROW - 10, fill: s.criticized ? c.barLow : c.bar });
    }
    shapes.push({ kind: 'text', x: barX + barW + 4, y: mid, text: current === null ? '—' : `${Math.floor(current / 10)}.${current % 10}%`, size: 8, fill: c.text, anchor: 'start' });
    // The trend inside the row: 0 % at its bottom, 100 % at its top; a gap where the unit was not in a bulletin.
    shapes.push({ kind: 'line', x1: trendX, y1: top + ROW - 3, x2: trendX + trendW, y2: top + ROW - 3, stroke: c.grid, width: 0.5 });
    const point = (k: number, tenths: number): [number, number] => [trendX + (n > 1 ? k * stepX : trendW / 2), top + ROW - 3 - ((ROW - 6) * tenths) / 1000];
    let run: [number, number][] = [];
    const flush = () => {
      if (run.length > 1) shapes.push({ kind: 'polyline', points: run, stroke: c.trend, width: 1.2 });
      run = [];
    };
    s.rateTenths.forEach((t, k) => {
      if (t === null) return flush();
      run.push(point(k, t));
    });
    flush();
    s.rateTenths.forEach((t, k) => {
      if (t === null) return;
      const [cx, cy] = point(k, t);
      shapes.push({ kind: 'circle', cx, cy, r: k === n - 1 ? 2.4 : 1.6, fill: k === n - 1 ? c.current : c.trend });
    });
  });
  // The criticism line across the bars, drawn last so it shows over them.
  const tx = xOf(chart.thresholdTenths);
  shapes.push({ kind: 'line', x1: tx, y1: HEAD - 2, x2: tx, y2: HEAD + rows * ROW, stroke: c.threshold, width: 1, dash: 3 });
  shapes.push({ kind: 'text', x: tx - 3, y: HEAD / 2, text: `${labels.chartThreshold} ${content.rectification.threshold}`, size: 7, fill: c.threshold, anchor: 'end' });
  return { width, height, shapes };
}
