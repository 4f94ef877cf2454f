import { date } from '../format';
import { t } from '../i18n';
import { Link } from '../router';
import type { PageProps } from '../routes';
import { FilteredListPage, matching, type FilterField } from '../evidence-filter';
import { BADGE_NO } from '../../../directory/identifiers';
import { caseStatusLabel, kindLabel } from '../evidence-labels';
import { casePath, type CaseSummary } from '../evidence-types';
import '../evidence.css';

const fields = (): FilterField[] => [
  { name: 'q', label: t('ev.cases.q'), placeholder: t('ev.cases.qHint') },
  { name: 'badgeNo', label: t('common.badgeNo'), check: matching(BADGE_NO, () => t('ev.err.badge')) },
  { name: 'from', label: t('common.from'), type: 'date' },
  { name: 'to', label: t('common.to'), type: 'date' },
];

function period(c: CaseSummary): string {
  if (!c.firstActivityAt) return '';
  const first = date(c.firstActivityAt);
  const last = date(c.lastActivityAt);
  return first === last ? first : `${first} – ${last}`;
}

function CaseRow({ c }: { c: CaseSummary }) {
  return (
    <tr data-testid="case-row" data-case-no={c.caseNo}>
      <td>
        <Link href={casePath(c.caseNo)} data-testid="case-link">
          {c.caseNo}
        </Link>
        {c.hold ? <span class="badge badge-hold ev-inline-badge">{t('ev.hold')}</span> : null}
      </td>
      <td>{c.title ?? ''}</td>
      <td>{kindLabel(c.kind)}</td>
      <td>
        <span class={`badge badge-${c.status}`}>{caseStatusLabel(c.status)}</span>
      </td>
      <td>{c.unitCode}</td>
      <td class="nowrap">{period(c)}</td>
      <td class="num">{c.activityCount}</td>
      <td class="num">{c.recordingCount}</td>
    </tr>
  );
}

/** Finding a case by its number (or title), an officer, or the dates of its activities. */
export function CaseSearchPage({ query }: PageProps) {
  return (
    <FilteredListPage<CaseSummary>
      title={t('ev.cases.title')}
      path="/api/cases"
      fields={fields()}
      query={query}
      testids={{ form: 'case-search', table: 'case-results' }}
      columns={
        <>
          <th>{t('ev.case.caseNo')}</th>
          <th>{t('ev.case.name')}</th>
          <th>{t('ev.case.kind')}</th>
          <th>{t('common.status')}</th>
          <th>{t('common.unit')}</th>
          <th>{t('ev.col.period')}</th>
          <th class="num">{t('ev.case.activities')}</th>
          <th class="num">{t('ev.cases.recordings')}</th>
        </>
      }
      row={(c) => <CaseRow key={c.caseNo} c={c} />}
    />
  );
}
