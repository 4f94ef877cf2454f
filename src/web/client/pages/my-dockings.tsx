import { t } from '../i18n';
import type { PageProps } from '../routes';
import { Page } from '../ui';
import { DateRangeFilter } from '../officer-date-filter';
import { DockingTable } from '../officer-dockings';

export function MyDockingsPage({ query }: PageProps) {
  const from = query.get('from') ?? '';
  const to = query.get('to') ?? '';
  return (
    <Page title={t('my.dockings.title')}>
      <p class="muted">{t('my.dockings.intro')}</p>
      <DateRangeFilter key={`${from}|${to}`} from={from} to={to} />
      <DockingTable query={{ from: from || undefined, to: to || undefined }} showOfficers={false} />
    </Page>
  );
}
