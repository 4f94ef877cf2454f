import type { FunctionComponent } from 'preact';
import type { MessageKey } from './i18n';
import type { Role } from './session';
import { CaseSearchPage } from './pages/cases';
import { CasePage } from './pages/case';
import { RecordingsPage } from './pages/recordings';
import { RecordingPage } from './pages/recording';
import { CompliancePage } from './pages/compliance';
import { SpotChecksPage } from './pages/spot-checks';
import { SpotCheckPage } from './pages/spot-check';
import { BulletinsPage } from './pages/bulletins';
import { MyRecordingsPage } from './pages/my-recordings';
import { MyDockingsPage } from './pages/my-dockings';
import { AdminUnitsPage, AdminOfficersPage, AdminRecordersPage, AdminUsersPage, AdminImportPage, AdminStationsPage } from './pages/admin-directory';
import { AdminRetentionPage, AdminHoldsPage } from './pages/admin-retention';
import { AdminIntegrityPage } from './pages/admin-integrity';
import { ApiDocsPage } from './pages/api-docs';
import { PasswordPage } from './pages/password';

export type PageProps = { params: Record<string, string>; query: URLSearchParams };

export interface RouteDef {
  pattern: string;
  page: FunctionComponent<PageProps>;
  roles: Role[];
  /** Shown in the navigation bar for these roles (absent: reached by links only). */
  nav?: MessageKey;
}

const EVIDENCE: Role[] = ['admin', 'supervisor', 'reviewer'];
const ADMIN: Role[] = ['admin'];

// Order matters for the navigation bar only. A role not listed gets the "may not open this page" view: the
// API would refuse it anyway.
export const ROUTES: RouteDef[] = [
  { pattern: '/my/recordings', page: MyRecordingsPage, roles: ['officer'], nav: 'nav.myRecordings' },
  { pattern: '/my/dockings', page: MyDockingsPage, roles: ['officer'], nav: 'nav.myDockings' },
  { pattern: '/compliance', page: CompliancePage, roles: EVIDENCE, nav: 'nav.compliance' },
  { pattern: '/spot-checks', page: SpotChecksPage, roles: EVIDENCE, nav: 'nav.spotChecks' },
  { pattern: '/spot-checks/:id', page: SpotCheckPage, roles: EVIDENCE },
  { pattern: '/bulletins', page: BulletinsPage, roles: EVIDENCE, nav: 'nav.bulletins' },
  { pattern: '/cases', page: CaseSearchPage, roles: EVIDENCE, nav: 'nav.cases' },
  { pattern: '/cases/:caseNo', page: CasePage, roles: EVIDENCE },
  { pattern: '/recordings', page: RecordingsPage, roles: EVIDENCE, nav: 'nav.recordings' },
  { pattern: '/recordings/:id', page: RecordingPage, roles: [...EVIDENCE, 'officer'] },
  { pattern: '/admin', page: AdminUnitsPage, roles: ADMIN, nav: 'nav.admin' },
  { pattern: '/admin/units', page: AdminUnitsPage, roles: ADMIN },
  { pattern: '/admin/officers', page: AdminOfficersPage, roles: ADMIN },
  { pattern: '/admin/recorders', page: AdminRecordersPage, roles: ADMIN },
  { pattern: '/admin/users', page: AdminUsersPage, roles: ADMIN },
  { pattern: '/admin/import', page: AdminImportPage, roles: ADMIN },
  { pattern: '/admin/stations', page: AdminStationsPage, roles: ADMIN },
  { pattern: '/admin/retention', page: AdminRetentionPage, roles: ADMIN },
  { pattern: '/admin/holds', page: AdminHoldsPage, roles: ADMIN },
  { pattern: '/admin/integrity', page: AdminIntegrityPage, roles: ADMIN },
  { pattern: '/admin/api', page: ApiDocsPage, roles: ADMIN },
  // Linked from the user's name in the top bar.
  { pattern: '/password', page: PasswordPage, roles: ['admin', 'supervisor', 'reviewer', 'officer'] },
];

/** Where a role lands after login. */
export const HOME: Record<Role, string> = {
  admin: '/admin',
  supervisor: '/compliance',
  reviewer: '/cases',
  officer: '/my/recordings',
  station: '/',
  integration: '/',
};

