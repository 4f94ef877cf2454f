import { useState } from 'preact/hooks';
import { api } from '../api';
import { previousMonthDays } from '../compliance-months';
import { openBody, openFormProblems, percentOfRatio, ratioFromPercent, type FormProblem, type FormProblems, type OpenForm } from '../compliance-sample';
import type { SpotCheck, SpotCheckHead, SpotCheckListItem, Summary } from '../compliance-spot-check';
import { dateTime, percent, today } from '../format';
import { t, type MessageKey } from '../i18n';
import { Link, navigate, setQuery } from '../router';
import type { PageProps } from '../routes';
import { can, useUser } from '../session';
import { Button, ErrorMessage, Field, Page, useAction, useAsync, useCursorList } from '../ui';
import { BulletinLinks, PagedTable } from './bulletins';
import '../compliance.css';

// The spot checks (抽查) the reader may see, newest first, and for those who may open one the form that draws
// a sample (REGULATION.md "Spot checks"): checked here before it is sent, exactly as the API would check it.

export interface Unit {
  code: string;
  name: string;
  active: boolean;
}

/** The units the user may see (a unit's user: theirs only), for filters and the scope of a check. */
export const useUnits = () => useAsync(() => api.get<{ items: Unit[] }>('/api/units').then((r) => r.items), []);

const STATUSES = ['open', 'complete', 'abandoned'] as const;

// The status badges of a check reuse the app's colours (badge-open, badge-complete, badge-abandoned).
export function CheckStatus({ status }: { status: SpotCheckHead['status'] }) {
  return (
    <span class={`badge badge-${status} sc-status`} data-testid="check-status">
      {t(`sc.status.${status}`)}
    </span>
  );
}

export const scopeText = (unitCodes: string[] | null) => (unitCodes && unitCodes.length ? unitCodes.join(', ') : t('sc.allUnits'));

export const sampleText = (sample: SpotCheckHead['sample']) =>
  sample.mode === 'ratio' ? t('sc.sample.ratio', { percent: percentOfRatio(sample.value) }) : t('sc.sample.perUnit', { n: sample.value });

export function SummaryText({ summary }: { summary: Summary }) {
  return (
    <span class="sc-summary">
      {t('sc.summary', { items: summary.items, passed: summary.passed, failed: summary.failed, pending: summary.pending })}
      {summary.passRate !== null ? <strong> · {t('sc.passRate', { rate: percent(summary.passRate) })}</strong> : null}
    </span>
  );
}

export function SpotChecksPage({ query }: PageProps) {
  const user = useUser();
  const status = query.get('status') ?? '';
  const list = useCursorList<SpotCheckListItem>('/api/spot-checks', { status: status || undefined }, 25);
  const [opening, setOpening] = useState(query.get('open') === '1');
  const offerOpen = can.openSpotChecks(user.role);
  return (
    <Page
      title={t('nav.spotChecks')}
      actions={
        offerOpen && !opening ? (
          <button type="button" class="primary" onClick={() => setOpening(true)} data-testid="open-check">
            {t('sc.open.title')}
          </button>
        ) : null
      }
    >
      {offerOpen && opening ? <OpenSpotCheckForm onCancel={() => setOpening(false)} /> : null}
      <div class="row sc-filter">
        <Field label={t('common.status')}>
          <select value={status} onChange={(e) => setQuery({ status: e.currentTarget.value || undefined })} data-testid="status-filter">
            <option value="">{t('sc.status.any')}</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`sc.status.${s}`)}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <PagedTable labels={['sc.openedAt', 'sc.period', 'sc.scope', 'sc.sample', 'sc.seed', 'common.status', 'sc.result', 'nav.bulletins']} list={list} testId="spot-check-list">
        {list.items.map((c) => (
          <tr key={c.id} data-testid="spot-check-row">
            <td>
              <Link href={`/spot-checks/${c.id}`} data-testid={`check-${c.id}`}>
                {dateTime(c.openedAt)}
              </Link>
              <div class="muted">{c.openedBy}</div>
            </td>
            <td class="nowrap">
              {c.from} – {c.to}
            </td>
            <td>{scopeText(c.unitCodes)}</td>
            <td>{sampleText(c.sample)}</td>
            <td class="mono sc-seed-cell" title={c.seed}>
              {c.seed}
            </td>
            <td>
              <CheckStatus status={c.status} />
            </td>
            <td>
              <SummaryText summary={c.summary} />
            </td>
            <td>
              {c.bulletins.map((b) => (
                <div key={b.id} class={b.current ? '' : 'muted'}>
                  {b.number} v{b.version} <BulletinLinks id={b.id} compact />
                </div>
              ))}
            </td>
          </tr>
        ))}
      </PagedTable>
    </Page>
  );
}

const PROBLEM: Record<FormProblem, MessageKey> = {
  required: 'common.required',
  invalidDate: 'error.invalidDate',
  dateOrder: 'error.dateOrder',
  ratioFormat: 'sc.open.error.ratioFormat',
  ratioRange: 'sc.open.error.ratioRange',
  perUnitRange: 'sc.open.error.perUnitRange',
  seedLength: 'sc.open.error.seedLength',
  seedControl: 'sc.open.error.seedControl',
  inspectorName: 'sc.open.error.inspectorName',
  inspectorTwice: 'sc.open.error.inspectorTwice',
};

function OpenSpotCheckForm({ onCancel }: { onCancel(): void }) {
  const user = useUser();
  const units = useUnits();
  const period = previousMonthDays(today());
  const [form, setForm] = useState<OpenForm>({
    ...period,
    unitCodes: user.unitCode ? [user.unitCode] : [],
    mode: 'ratio',
    ratioPercent: '10',
    perUnit: '1',
    seed: '',
    inspectors: '',
  });
  const [problems, setProblems] = useState<FormProblems>({});
  const action = useAction();
  const set = (patch: Partial<OpenForm>) => setForm((f) => ({ ...f, ...patch }));
  const problem = (k: keyof FormProblems) => (problems[k] ? t(PROBLEM[problems[k]!]) : null);
  const toggleUnit = (code: string, on: boolean) => set({ unitCodes: on ? [...form.unitCodes, code] : form.unitCodes.filter((c) => c !== code) });
  const ratio = ratioFromPercent(form.ratioPercent);

  const submit = async (e: Event) => {
    e.preventDefault();
    const p = openFormProblems(form);
    setProblems(p);
    if (Object.keys(p).length) return;
    const created = await action.run(() => api.post<SpotCheck>('/api/spot-checks', openBody(form)));
    if (created) navigate(`/spot-checks/${created.id}`);
  };

  return (
    <form class="card sc-open" onSubmit={submit} noValidate data-testid="open-form">
      <h2>{t('sc.open.title')}</h2>
      <div class="row">
        <Field label={t('sc.open.from')} error={problem('from')}>
          <input type="date" name="from" value={form.from} onInput={(e) => set({ from: e.currentTarget.value })} />
        </Field>
        <Field label={t('sc.open.to')} error={problem('to')}>
          <input type="date" name="to" value={form.to} onInput={(e) => set({ to: e.currentTarget.value })} />
        </Field>
      </div>

      <fieldset class="sc-fieldset">
        <legend>{t('sc.scope')}</legend>
        <div class="row sc-units">
          {(units.data ?? []).map((u) => (
            <label key={u.code} class="check">
              <input
                type="checkbox"
                name="unit"
                value={u.code}
                checked={form.unitCodes.includes(u.code)}
                disabled={!!user.unitCode}
                onChange={(e) => toggleUnit(u.code, e.currentTarget.checked)}
              />
              {u.code} {u.name}
            </label>
          ))}
        </div>
        <ErrorMessage error={units.error} />
        <span class="field-hint">{user.unitCode ? t('sc.open.ownUnitOnly', { unit: user.unitCode }) : t('sc.open.noUnitIsAll')}</span>
      </fieldset>

      <fieldset class="sc-fieldset">
        <legend>{t('sc.sample')}</legend>
        <div class="row">
          <label class="check">
            <input type="radio" name="mode" value="ratio" checked={form.mode === 'ratio'} onChange={() => set({ mode: 'ratio' })} />
            {t('sc.open.modeRatio')}
          </label>
          <label class="check">
            <input type="radio" name="mode" value="perUnit" checked={form.mode === 'perUnit'} onChange={() => set({ mode: 'perUnit' })} />
            {t('sc.open.modePerUnit')}
          </label>
        </div>
        {form.mode === 'ratio' ? (
          <Field label={t('sc.open.ratio')} error={problem('ratio')} hint={t('sc.open.ratioHint')}>
            <span class="sc-suffixed">
              <input name="ratio" inputMode="decimal" value={form.ratioPercent} onInput={(e) => set({ ratioPercent: e.currentTarget.value })} />
              <span>%</span>
              {typeof ratio === 'number' ? <span class="muted">= {ratio}</span> : null}
            </span>
          </Field>
        ) : (
          <Field label={t('sc.open.perUnit')} error={problem('perUnit')} hint={t('sc.open.perUnitHint')}>
            <input name="perUnit" inputMode="numeric" value={form.perUnit} onInput={(e) => set({ perUnit: e.currentTarget.value })} />
          </Field>
        )}
      </fieldset>

      <div class="row">
        <Field label={t('sc.open.seed')} error={problem('seed')} hint={t('sc.open.seedHint')}>
          <input name="seed" class="sc-wide" value={form.seed} onInput={(e) => set({ seed: e.currentTarget.value })} autoComplete="off" />
        </Field>
        <Field label={t('sc.open.inspectors')} error={problem('inspectors')} hint={t('sc.open.inspectorsHint')}>
          <input name="inspectors" class="sc-wide" value={form.inspectors} onInput={(e) => set({ inspectors: e.currentTarget.value })} autoComplete="off" />
        </Field>
      </div>

      <ErrorMessage error={action.error} />
      <div class="row">
        <Button type="submit" class="primary" busy={action.busy} data-testid="open-submit">
          {t('sc.open.submit')}
        </Button>
        <button type="button" onClick={onCancel}>
          {t('common.cancel')}
        </button>
        <span class="muted">{t('sc.open.recorded')}</span>
      </div>
    </form>
  );
}
