import { useState } from 'preact/hooks';
import { api } from '../api';
import { RateBar, RateBarChart } from '../charts';
import { FIGURE_RULE, FIGURES, lowestRate, rowsOf, sortOfficers, sumFigures, unitSeries, type ComplianceReport, type Figure, type FigureName, type Figures, type OfficerSort, type OfficerTotal } from '../compliance-figures';
import { defaultPeriod, monthsBetween, periodProblems, type PeriodProblem } from '../compliance-months';
import { percent, today } from '../format';
import { t, type MessageKey } from '../i18n';
import { setQuery } from '../router';
import type { PageProps } from '../routes';
import { useUser } from '../session';
import { Button, ErrorMessage, Field, Loading, Page, useAsync } from '../ui';
import { useUnits } from './spot-checks';
import '../compliance.css';

// The continuous-compliance dashboard (REGULATION.md "Continuous compliance"): what a supervisor watches
// between bulletins. The filters live in the address, so a view can be bookmarked and sent.

const PERIOD_PROBLEM: Record<PeriodProblem, MessageKey> = { invalidMonth: 'cmp.error.invalidMonth', order: 'error.dateOrder', tooLong: 'cmp.error.tooLong' };
const figureName = (f: FigureName) => t(`cmp.figure.${f}`);
const OFFICER_PAGE = 20;

interface Filters {
  from: string;
  to: string;
  unitCode: string;
  badgeNo: string;
}

function filtersOf(query: URLSearchParams): Filters {
  const def = defaultPeriod(today());
  return { from: query.get('from') || def.from, to: query.get('to') || def.to, unitCode: query.get('unitCode') ?? '', badgeNo: query.get('badgeNo') ?? '' };
}

const applyFilters = (f: Filters) => setQuery({ from: f.from, to: f.to, unitCode: f.unitCode || undefined, badgeNo: f.badgeNo || undefined });

export function CompliancePage({ query }: PageProps) {
  const filters = filtersOf(query);
  const { from, to, unitCode, badgeNo } = filters;
  const report = useAsync(() => api.get<ComplianceReport>('/api/compliance', { from, to, unitCode, badgeNo }), [from, to, unitCode, badgeNo]);
  const months = monthsBetween(from, to);
  const data = report.data;
  return (
    <Page title={t('nav.compliance')} actions={data ? <span class="muted">{t('cmp.regulationVersion', { version: data.regulationVersion })}</span> : null}>
      {/* Keyed by the address: going back or forward shows that view's filters in the form. */}
      <ComplianceFilters key={`${from}|${to}|${unitCode}`} filters={filters} busy={report.loading} />
      <ErrorMessage error={report.error} />
      {report.loading && !data ? <Loading /> : null}
      {data ? (
        <div class={report.loading ? 'cmp-stale' : ''} data-testid="compliance-report">
          {data.unitTotals.length === 0 && data.officerTotals.length === 0 ? (
            <p class="card muted">{t('cmp.empty')}</p>
          ) : (
            <>
              <Totals figures={sumFigures(badgeNo || !data.unitTotals.length ? data.officerTotals : data.unitTotals)} />
              <FigureCharts report={data} months={months} />
              <UnitTable report={data} />
              {badgeNo ? <OfficerMonths report={data} filters={filters} /> : <OfficerTable rows={data.officerTotals} filters={filters} />}
            </>
          )}
        </div>
      ) : null}
    </Page>
  );
}

function ComplianceFilters({ filters, busy }: { filters: Filters; busy: boolean }) {
  const user = useUser();
  const units = useUnits();
  const [from, setFrom] = useState(filters.from);
  const [to, setTo] = useState(filters.to);
  const [unitCode, setUnitCode] = useState(filters.unitCode);
  const [problems, setProblems] = useState<ReturnType<typeof periodProblems>>({});
  const submit = (e: Event) => {
    e.preventDefault();
    const p = periodProblems(from, to);
    setProblems(p);
    if (!p.from && !p.to) applyFilters({ from, to, unitCode, badgeNo: filters.badgeNo });
  };
  const problem = (p?: PeriodProblem) => (p ? t(PERIOD_PROBLEM[p]) : null);
  return (
    <form class="card row cmp-filters" onSubmit={submit} noValidate data-testid="compliance-filters">
      <Field label={t('cmp.fromMonth')} error={problem(problems.from)}>
        <input type="month" name="from" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
      </Field>
      <Field label={t('cmp.toMonth')} error={problem(problems.to)}>
        <input type="month" name="to" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
      </Field>
      <Field label={t('common.unit')}>
        <select name="unitCode" value={user.unitCode ?? unitCode} onChange={(e) => setUnitCode(e.currentTarget.value)} disabled={!!user.unitCode}>
          {user.unitCode ? null : <option value="">{t('cmp.allUnits')}</option>}
          {(units.data ?? []).map((u) => (
            <option key={u.code} value={u.code}>
              {u.code} {u.name}
            </option>
          ))}
        </select>
      </Field>
      <Button type="submit" class="primary" busy={busy}>
        {t('common.search')}
      </Button>
      <ErrorMessage error={units.error} />
    </form>
  );
}

/** The whole scope over the period: one tile a figure. */
function Totals({ figures }: { figures: Figures }) {
  return (
    <div class="cmp-tiles">
      {FIGURES.map((f) => (
        <div key={f} class="card cmp-tile" data-testid={`total-${f}`}>
          <div class="cmp-tile-name">
            {figureName(f)} <span class="muted">{FIGURE_RULE[f]}</span>
          </div>
          <div class={`cmp-tile-rate ${toneOf(figures[f].rate)}`}>{percent(figures[f].rate)}</div>
          <div class="muted">{t('cmp.counts', { pass: figures[f].pass, total: figures[f].pass + figures[f].fail })}</div>
        </div>
      ))}
    </div>
  );
}

const toneOf = (rate: number | null) => (rate === null ? '' : rate >= 0.95 ? 'tone-good' : rate >= 0.8 ? 'tone-fair' : 'tone-poor');

function FigureCharts({ report, months }: { report: ComplianceReport; months: string[] }) {
  // An officer (no unit rows) still gets their own trend: their rows are the series.
  const rows = report.units.length ? report.units : report.officers.map((o) => ({ ...o, unitCode: `${o.badgeNo} ${o.name}` }));
  return (
    <div class="cmp-charts">
      {FIGURES.map((f) => (
        <div key={f} class="card">
          <RateBarChart title={`${figureName(f)} · ${FIGURE_RULE[f]}`} categories={months} series={unitSeries(rows, f, months)} testId={`chart-${f}`} />
        </div>
      ))}
    </div>
  );
}

function FigureCell({ figure, testId }: { figure: Figure; testId?: string }) {
  const total = figure.pass + figure.fail;
  return (
    <td class="num cmp-cell" data-testid={testId} title={t('cmp.cellTitle', { pass: figure.pass, fail: figure.fail })}>
      <span class="cmp-rate">{percent(figure.rate)}</span>
      <RateBar rate={figure.rate} />
      <span class="muted cmp-count">{total ? `${figure.pass}/${total}` : ''}</span>
    </td>
  );
}

/** The head of a table of months: unit, month, then the four figures. */
function MonthTableHead() {
  return (
    <thead>
      <tr>
        <th>{t('common.unit')}</th>
        <th>{t('cmp.month')}</th>
        {FIGURES.map((f) => (
          <th key={f} class="num">
            {figureName(f)}
          </th>
        ))}
      </tr>
    </thead>
  );
}

function UnitTable({ report }: { report: ComplianceReport }) {
  if (!report.unitTotals.length) return null;
  return (
    <section class="card">
      <h2>{t('cmp.byUnit')}</h2>
      <div class="table-wrap">
        <table data-testid="unit-table">
          <MonthTableHead />
          {report.unitTotals.map((u) => (
            <tbody key={u.unitCode}>
              {rowsOf(report.units, (r) => r.unitCode === u.unitCode).map((r, i) => (
                <tr key={r.month}>
                  <td>{i === 0 ? <strong>{u.unitCode}</strong> : null}</td>
                  <td>{r.month}</td>
                  {FIGURES.map((f) => (
                    <FigureCell key={f} figure={r[f]} testId={`rate-${r.unitCode}-${r.month}-${f}`} />
                  ))}
                </tr>
              ))}
              <tr class="cmp-total">
                <td />
                <td>{t('cmp.periodTotal')}</td>
                {FIGURES.map((f) => (
                  <FigureCell key={f} figure={u[f]} testId={`rate-${u.unitCode}-total-${f}`} />
                ))}
              </tr>
            </tbody>
          ))}
        </table>
      </div>
    </section>
  );
}

function OfficerTable({ rows, filters }: { rows: OfficerTotal[]; filters: Filters }) {
  const [sort, setSort] = useState<OfficerSort>('lowest');
  const [shown, setShown] = useState(OFFICER_PAGE);
  if (!rows.length) return null;
  const sorted = sortOfficers(rows, sort);
  const sortBy = (s: OfficerSort) => {
    setSort(s);
    setShown(OFFICER_PAGE);
  };
  const head = (s: OfficerSort, label: string) => (
    <th class="num">
      <button type="button" class={`link cmp-sort${sort === s ? ' active' : ''}`} onClick={() => sortBy(s)} aria-pressed={sort === s}>
        {label}
        {sort === s ? ' ↑' : ''}
      </button>
    </th>
  );
  return (
    <section class="card">
      <h2>{t('cmp.byOfficer')}</h2>
      <p class="muted">{t('cmp.officerHint')}</p>
      <div class="table-wrap">
        <table data-testid="officer-table">
          <thead>
            <tr>
              <th>{t('common.badgeNo')}</th>
              <th>{t('common.officer')}</th>
              <th>{t('common.unit')}</th>
              {FIGURES.map((f) => head(f, figureName(f)))}
              {head('lowest', t('cmp.lowest'))}
            </tr>
          </thead>
          <tbody>
            {sorted.slice(0, shown).map((o) => (
              <tr
                key={`${o.unitCode}/${o.badgeNo}`}
                class="clickable"
                tabIndex={0}
                data-testid={`officer-${o.badgeNo}`}
                onClick={() => applyFilters({ ...filters, badgeNo: o.badgeNo })}
                onKeyDown={(e) => e.key === 'Enter' && applyFilters({ ...filters, badgeNo: o.badgeNo })}
              >
                <td class="mono">{o.badgeNo}</td>
                <td>{o.name}</td>
                <td>{o.unitCode}</td>
                {FIGURES.map((f) => (
                  <FigureCell key={f} figure={o[f]} />
                ))}
                <td class="num">{percent(lowestRate(o))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {sorted.length > shown ? (
        <div class="list-footer">
          <button type="button" class="secondary" onClick={() => setShown(shown + OFFICER_PAGE)}>
            {t('cmp.showMore', { n: sorted.length - shown })}
          </button>
        </div>
      ) : null}
    </section>
  );
}

/** One officer's months (the dashboard filtered by a badge). */
function OfficerMonths({ report, filters }: { report: ComplianceReport; filters: Filters }) {
  const rows = rowsOf(report.officers, (r) => r.badgeNo === filters.badgeNo);
  const name = rows[0]?.name ?? '';
  return (
    <section class="card" data-testid="officer-months">
      <div class="row cmp-officer-head">
        <h2>{t('cmp.officerMonths', { badgeNo: filters.badgeNo, name })}</h2>
        <button type="button" class="secondary" onClick={() => applyFilters({ ...filters, badgeNo: '' })} data-testid="clear-officer">
          {t('cmp.allOfficers')}
        </button>
      </div>
      {rows.length ? (
        <div class="table-wrap">
          <table>
            <MonthTableHead />
            <tbody>
              {rows.map((r) => (
                <tr key={`${r.unitCode}/${r.month}`}>
                  <td>{r.unitCode}</td>
                  <td>{r.month}</td>
                  {FIGURES.map((f) => (
                    <FigureCell key={f} figure={r[f]} />
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p class="muted">{t('common.noItems')}</p>
      )}
    </section>
  );
}
