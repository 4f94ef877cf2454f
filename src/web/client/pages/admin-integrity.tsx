import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { bytes, dateTime } from '../format';
import { t } from '../i18n';
import { Link } from '../router';
import { ErrorMessage, ListFooter, Loading, useAsync } from '../ui';
import { AdminPage } from '../admin-nav';
import { rememberIntegrityFailureCount, type IntegrityDashboard, type IntegrityFailure } from '../integrity-alert';

function RunSummary({ data }: { data: IntegrityDashboard }) {
  const run = data.lastRun;
  return (
    <div class="card" data-testid="integrity-summary">
      <p class="muted">{t('admin.integrity.intro', { days: data.cycleDays })}</p>
      {!run ? (
        <p>{t('admin.integrity.never')}</p>
      ) : run.error ? (
        <p class="msg msg-warn" data-testid="integrity-last-run">
          {t('admin.integrity.lastRunFailed', { at: dateTime(run.at), error: run.error })}
        </p>
      ) : (
        <p data-testid="integrity-last-run">{t('admin.integrity.lastRun', { at: dateTime(run.at), checked: run.checked, ok: run.ok, mismatch: run.mismatch, missing: run.missing })}</p>
      )}
      <p data-testid="integrity-coverage">{t('admin.integrity.coverage', { days: data.cycleDays, audited: data.coverage.audited, total: data.coverage.total })}</p>
    </div>
  );
}

function FailureTable({ failures }: { failures: IntegrityFailure[] }) {
  return (
    <div class="table-wrap">
      <table data-testid="integrity-failures">
        <thead>
          <tr>
            <th>{t('admin.col.file')}</th>
            <th>{t('admin.integrity.result')}</th>
            <th>{t('admin.integrity.checkedAt')}</th>
            <th>{t('admin.integrity.hashes')}</th>
          </tr>
        </thead>
        <tbody>
          {failures.map((f) => (
            <tr key={f.recordingId} data-testid="integrity-failure">
              <td>
                <Link href={`/recordings/${f.recordingId}`}>{f.filename}</Link>
              </td>
              <td>{t(f.result === 'missing' ? 'admin.integrity.missing' : 'admin.integrity.mismatch')}</td>
              <td>{dateTime(f.checkedAt)}</td>
              <td class="mono">
                <div>
                  {f.expected} ({bytes(f.expectedSize)})
                </div>
                <div>{f.actual ? `${f.actual} (${bytes(f.actualSize)})` : '—'}</div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function AdminIntegrityPage() {
  const first = useAsync(() => api.get<IntegrityDashboard>('/api/integrity'), []);
  // Later pages of failures, appended under the first.
  const [more, setMore] = useState<{ items: IntegrityFailure[]; cursor: string | null; loading: boolean; error: unknown }>({ items: [], cursor: null, loading: false, error: null });
  const data = first.data;
  useEffect(() => {
    if (!data) return;
    rememberIntegrityFailureCount(data.failureCount);
    setMore({ items: [], cursor: data.nextCursor, loading: false, error: null });
  }, [data]);
  const loadMore = () => {
    if (!more.cursor || more.loading) return;
    setMore((m) => ({ ...m, loading: true, error: null }));
    api.get<IntegrityDashboard>('/api/integrity', { cursor: more.cursor }).then(
      (page) => setMore((m) => ({ items: [...m.items, ...page.failures], cursor: page.nextCursor, loading: false, error: null })),
      (error: unknown) => setMore((m) => ({ ...m, loading: false, error })),
    );
  };
  const failures = data ? [...data.failures, ...more.items] : [];
  return (
    <AdminPage title={t('admin.integrity.title')}>
      <ErrorMessage error={first.error} />
      {first.loading ? <Loading /> : null}
      {data && !first.loading ? (
        <>
          <RunSummary data={data} />
          <div class="card">
            {data.failureCount ? (
              <>
                <h2>{t('admin.integrity.failures', { n: data.failureCount })}</h2>
                <p class="msg msg-error" role="alert">
                  {t('admin.integrity.todo')}
                </p>
                <FailureTable failures={failures} />
                <ListFooter list={{ items: failures, error: more.error, loading: more.loading, hasMore: more.cursor !== null, loadMore }} />
              </>
            ) : (
              <p class="msg msg-ok" role="status" data-testid="integrity-all-ok">
                {t('admin.integrity.allOk')}
              </p>
            )}
          </div>
        </>
      ) : null}
    </AdminPage>
  );
}
