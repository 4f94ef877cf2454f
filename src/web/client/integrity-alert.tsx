import { api } from './api';
import { t } from './i18n';
import { Link } from './router';
import { useAsync } from './ui';

/** What GET /api/integrity answers. */
export interface IntegrityDashboard {
  lastRun: { at: string; startedAt: string; planned: number; checked: number; ok: number; mismatch: number; missing: number; error: string | null } | null;
  failureCount: number;
  failures: IntegrityFailure[];
  nextCursor: string | null;
  cycleDays: number;
  coverage: { audited: number; total: number };
}

export interface IntegrityFailure {
  recordingId: string;
  filename: string;
  result: 'mismatch' | 'missing';
  checkedAt: string;
  expected: string;
  expectedSize: number;
  actual?: string;
  actualSize?: number;
}

export const INTEGRITY_PAGE = '/admin/integrity';

// The banner asks once a minute at most, however many admin pages are opened meanwhile; the integrity page
// reads the dashboard itself and refreshes this.
const FRESH_MS = 60_000;
let known: { at: number; count: Promise<number> } | null = null;

export function integrityFailureCount(): Promise<number> {
  if (!known || Date.now() - known.at > FRESH_MS) {
    const count = api.get<IntegrityDashboard>('/api/integrity', { limit: 1 }).then((d) => d.failureCount);
    known = { at: Date.now(), count };
    count.catch(() => (known = null));
  }
  return known.count;
}

export const rememberIntegrityFailureCount = (n: number) => {
  known = { at: Date.now(), count: Promise.resolve(n) };
};

/** The red banner across the admin pages while any original's latest integrity check failed. */
export function IntegrityAlert() {
  const count = useAsync(integrityFailureCount, []);
  const n = count.data ?? 0;
  if (!n) return null;
  return (
    <div class="msg msg-error" role="alert" data-testid="integrity-alert">
      <strong>{t('admin.integrity.alert', { n })}</strong> <Link href={INTEGRITY_PAGE}>{t('admin.integrity.alertLink')}</Link>
    </div>
  );
}
