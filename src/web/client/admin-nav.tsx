import type { ComponentChildren } from 'preact';
import { t, type MessageKey } from './i18n';
import { Link, useLocation } from './router';
import { Page } from './ui';
import { IntegrityAlert, INTEGRITY_PAGE } from './integrity-alert';
import './admin.css';

const TABS: { href: string; label: MessageKey }[] = [
  { href: '/admin/units', label: 'admin.tab.units' },
  { href: '/admin/officers', label: 'admin.tab.officers' },
  { href: '/admin/recorders', label: 'admin.tab.recorders' },
  { href: '/admin/users', label: 'admin.tab.users' },
  { href: '/admin/import', label: 'admin.tab.import' },
  { href: '/admin/stations', label: 'admin.tab.stations' },
  { href: '/admin/retention', label: 'admin.tab.retention' },
  { href: '/admin/holds', label: 'admin.tab.holds' },
  { href: INTEGRITY_PAGE, label: 'admin.tab.integrity' },
  { href: '/admin/api', label: 'admin.tab.api' },
];

/** The tabs across the admin pages; the queue dashboard is the server's own page, so a plain link. */
export function AdminNav() {
  const { path } = useLocation();
  const current = path === '/admin' ? '/admin/units' : path;
  return (
    <nav class="admin-tabs" aria-label={t('nav.admin')}>
      {TABS.map((tab) => (
        <Link key={tab.href} href={tab.href} class={current === tab.href ? 'active' : ''} aria-current={current === tab.href ? 'page' : undefined}>
          {t(tab.label)}
        </Link>
      ))}
      <a href="/admin/queues" class="admin-tab-external">
        {t('nav.queues')} ↗
      </a>
    </nav>
  );
}

export function AdminPage({ title, actions, children }: { title: string; actions?: ComponentChildren; children: ComponentChildren }) {
  // The integrity alert on every admin page but its own, which shows the failures themselves.
  const { path } = useLocation();
  return (
    <div class="admin-page">
      <AdminNav />
      {path === INTEGRITY_PAGE ? null : <IntegrityAlert />}
      <Page title={title} actions={actions}>
        {children}
      </Page>
    </div>
  );
}
