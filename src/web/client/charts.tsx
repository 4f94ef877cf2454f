// Small hand-made SVG charts: no chart library (nothing is fetched, the bundle stays small). Rates only,
// on a fixed 0–100 % scale, so charts side by side compare at a glance.

export const SERIES_COLORS = ['#1f5fa8', '#e07b39', '#2e9e6a', '#8e5bb5', '#c9414a', '#3a9fb5', '#a68a2b', '#6b7a8f'];
export const seriesColor = (i: number) => SERIES_COLORS[i % SERIES_COLORS.length]!;

export interface ChartSeries {
  name: string;
  values: (number | null)[];
}

const W = 560;
const H = 220;
const M = { left: 42, right: 8, top: 14, bottom: 34 };
const PLOT_W = W - M.left - M.right;
const PLOT_H = H - M.top - M.bottom;
const TICKS = [0, 0.25, 0.5, 0.75, 1];

const y = (rate: number) => M.top + PLOT_H * (1 - Math.max(0, Math.min(1, rate)));
const pct = (rate: number) => `${Math.round(rate * 100)}%`;

/** Month labels: the full `YYYY-MM` while they fit, else the month with the year under January and the first. */
function CategoryLabel({ label, x, index, compact }: { label: string; x: number; index: number; compact: boolean }) {
  const base = H - M.bottom + 14;
  if (!compact) {
    return (
      <text x={x} y={base} class="chart-axis" text-anchor="middle">
        {label}
      </text>
    );
  }
  const year = index === 0 || label.endsWith('-01') ? label.slice(0, 4) : null;
  return (
    <g>
      <text x={x} y={base} class="chart-axis" text-anchor="middle">
        {label.slice(5)}
      </text>
      {year ? (
        <text x={x} y={base + 12} class="chart-axis chart-year" text-anchor="middle">
          {year}
        </text>
      ) : null}
    </g>
  );
}

/**
 * Rates per category (months) as grouped bars, one colour per series (units), with the y axis in per cent and
 * a legend. A missing value (nothing to rate) is a dash on the axis, not a zero.
 */
export function RateBarChart({ title, categories, series, testId }: { title: string; categories: string[]; series: ChartSeries[]; testId?: string }) {
  const groupW = PLOT_W / Math.max(1, categories.length);
  const barW = Math.max(3, Math.min(26, (groupW * 0.78) / Math.max(1, series.length)));
  const showValues = series.length * categories.length <= 14;
  const compact = categories.length > 7;
  return (
    <figure class="chart" data-testid={testId}>
      <figcaption class="chart-title">{title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={title} preserveAspectRatio="xMidYMid meet">
        {TICKS.map((tick) => (
          <g key={tick}>
            <line x1={M.left} x2={W - M.right} y1={y(tick)} y2={y(tick)} class={tick === 0 ? 'chart-base' : 'chart-grid'} />
            <text x={M.left - 6} y={y(tick) + 4} class="chart-axis" text-anchor="end">
              {pct(tick)}
            </text>
          </g>
        ))}
        {categories.map((c, ci) => {
          const center = M.left + groupW * (ci + 0.5);
          const left = center - (barW * series.length) / 2;
          return (
            <g key={c}>
              {series.map((s, si) => {
                const v = s.values[ci] ?? null;
                const x = left + si * barW;
                if (v === null) {
                  return (
                    <text key={s.name} x={x + barW / 2} y={y(0) - 3} class="chart-none" text-anchor="middle">
                      –
                    </text>
                  );
                }
                return (
                  <g key={s.name}>
                    <rect x={x + 0.5} y={y(v)} width={barW - 1} height={Math.max(0.5, y(0) - y(v))} fill={seriesColor(si)}>
                      <title>{`${s.name} ${c}: ${(v * 100).toFixed(1)}%`}</title>
                    </rect>
                    {showValues ? (
                      <text x={x + barW / 2} y={y(v) - 3} class="chart-value" text-anchor="middle">
                        {pct(v)}
                      </text>
                    ) : null}
                  </g>
                );
              })}
              <CategoryLabel label={c} x={center} index={ci} compact={compact} />
            </g>
          );
        })}
      </svg>
      <div class="chart-legend">
        {series.map((s, i) => (
          <span key={s.name} class="chart-key">
            <span class="chart-swatch" style={{ background: seriesColor(i) }} />
            {s.name}
          </span>
        ))}
      </div>
    </figure>
  );
}

/** A rate as a thin bar for table cells: the eye finds the low ones down a column. */
export function RateBar({ rate }: { rate: number | null }) {
  // An empty track where nothing is rated keeps the column's figures aligned.
  if (rate === null) return <span class="rate-bar" aria-hidden="true" />;
  const tone = rate >= 0.95 ? 'good' : rate >= 0.8 ? 'fair' : 'poor';
  return (
    <span class={`rate-bar rate-${tone}`} aria-hidden="true">
      <span style={{ width: `${Math.round(rate * 100)}%` }} />
    </span>
  );
}
