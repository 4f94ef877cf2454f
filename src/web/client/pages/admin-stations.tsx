import { t } from '../i18n';
import { Link } from '../router';
import type { PageProps } from '../routes';
import { ErrorMessage, Loading } from '../ui';
import { AdminPage } from '../admin-nav';
import { ActiveBadge } from '../admin-parts';
import { MachineTokens } from '../admin-tokens';
import { DockingTable } from '../officer-dockings';
import { useUsers } from './admin-users';

export function AdminStationsPage(_props: PageProps) {
  const users = useUsers();
  const stations = (users.data ?? []).filter((u) => u.role === 'station');
  return (
    <AdminPage title={t('admin.stations.title')}>
      <div class="card">
        <h2>{t('admin.stations.accounts')}</h2>
        <p class="muted">
          {t('admin.stations.intro')} <Link href="/admin/users">{t('admin.tab.users')}</Link>
        </p>
        <ErrorMessage error={users.error} />
        {users.loading && !users.data ? <Loading /> : null}
        {users.data && stations.length === 0 ? <p class="muted">{t('common.noItems')}</p> : null}
        {stations.length ? (
          <div class="table-wrap">
            <table data-testid="stations-table">
              <thead>
                <tr>
                  <th>{t('login.username')}</th>
                  <th>{t('common.unit')}</th>
                  <th>{t('common.status')}</th>
                  <th>{t('admin.stations.tokens')}</th>
                </tr>
              </thead>
              <tbody>
                {stations.map((s) => (
                  <tr key={s.username} data-testid="station-row" data-username={s.username}>
                    <td>{s.username}</td>
                    <td>{s.unitCode ?? t('admin.user.wholeBureau')}</td>
                    <td>
                      <ActiveBadge active={s.active} />
                    </td>
                    <td>
                      <MachineTokens username={s.username} active={s.active} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </div>
      <div class="card">
        <h2>{t('admin.stations.recent')}</h2>
        <DockingTable query={{}} showOfficers />
      </div>
    </AdminPage>
  );
}
