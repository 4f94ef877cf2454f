import type { ComponentChildren } from 'preact';
import { dateTime } from './format';
import { t } from './i18n';
import { ErrorMessage, Loading, type Async } from './ui';
import { ConfirmButton, FilterBox, ShowMore, type Shown } from './admin-form';

export function ActiveBadge({ active }: { active: boolean }) {
  return active ? <span class="badge badge-ready">{t('admin.active')}</span> : <span class="badge badge-deleted">{t('admin.inactive')}</span>;
}

/** Deactivate or reactivate (nothing in the directory is deleted), asking first. */
export function ActiveToggle({ active, subject, onSet }: { active: boolean; subject: string; onSet(active: boolean): Promise<unknown> }) {
  return active ? (
    <ConfirmButton label={t('admin.deactivate')} question={t('admin.deactivateQ', { subject })} onConfirm={() => onSet(false)} testId="deactivate" />
  ) : (
    <ConfirmButton label={t('admin.activate')} question={t('admin.activateQ', { subject })} danger={false} onConfirm={() => onSet(true)} testId="activate" />
  );
}

/** A period of the directory's history: an open start is "since before the system knew", an open end "now". */
export function PeriodText({ from, to }: { from: string | null; to: string | null }) {
  return (
    <span class="admin-period">
      {from ? dateTime(from) : t('admin.sinceAlways')} – {to ? dateTime(to) : t('admin.untilNow')}
    </span>
  );
}

/**
 * A card holding one whole-list endpoint's table: its title and filter box, the load's progress and error,
 * the header row, the rows shown so far and "load more".
 */
export function ListCard<T>({
  title,
  list,
  shown,
  filterLabel,
  columns,
  testId,
  children,
}: {
  title: string;
  list: Async<T[]>;
  shown: Shown<T>;
  filterLabel: string;
  columns: string[];
  testId: string;
  children: ComponentChildren;
}) {
  return (
    <div class="card">
      <div class="admin-list-head">
        <h2>{title}</h2>
        <FilterBox shown={shown} placeholder={filterLabel} />
      </div>
      <ErrorMessage error={list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      <div class="table-wrap">
        <table data-testid={testId}>
          <thead>
            <tr>
              {columns.map((c) => (
                <th key={c}>{c}</th>
              ))}
            </tr>
          </thead>
          <tbody>{children}</tbody>
        </table>
      </div>
      {list.data ? <ShowMore shown={shown} /> : null}
    </div>
  );
}
