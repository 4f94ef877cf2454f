import { api, withQuery } from '../api';
import { bytes, date, dateTime } from '../format';
import { t } from '../i18n';
import { Link, setQuery } from '../router';
import type { PageProps } from '../routes';
import { ErrorMessage, Loading, useAsync } from '../ui';
import { AdminPage } from '../admin-nav';
import { dayOrTime } from '../admin-validate';
import { FormFoot, FormInput, ShowMore, useAdminForm, useShown } from '../admin-form';

/** What GET /api/retention/due answers, as far as the report shows it. */
interface RetentionReport {
  at: string;
  due: { recordingId: string; filename: string; size: number; badgeNo: string; startedAt: string; retainUntil: string }[];
  held: number;
}
type DueRecording = RetentionReport['due'][number];

function RetentionAtForm({ at }: { at: string }) {
  const form = useAdminForm({ at }, { at: [dayOrTime] });
  return (
    <form class="card row" onSubmit={form.submit(async (v) => setQuery({ at: v.at }), '')} noValidate>
      <FormInput form={form} name="at" type="datetime-local" label={t('admin.retention.at')} hint={t('admin.retention.atHint')} />
      <FormFoot form={form} label={t('admin.retention.run')} testId="retention-run" />
    </form>
  );
}

function DueTable({ due }: { due: DueRecording[] }) {
  const shown = useShown(due, (d, q) => d.filename.toLowerCase().includes(q) || d.badgeNo.toLowerCase().includes(q));
  return (
    <>
      <div class="table-wrap">
        <table data-testid="retention-due">
          <thead>
            <tr>
              <th>{t('admin.col.file')}</th>
              <th>{t('common.badgeNo')}</th>
              <th>{t('admin.col.started')}</th>
              <th class="num">{t('admin.col.size')}</th>
              <th>{t('admin.retention.why')}</th>
            </tr>
          </thead>
          <tbody>
            {shown.shown.map((d) => (
              <tr key={d.recordingId} data-testid="retention-row">
                <td>
                  <Link href={`/recordings/${d.recordingId}`}>{d.filename}</Link>
                </td>
                <td class="mono">{d.badgeNo}</td>
                <td>{dateTime(d.startedAt)}</td>
                <td class="num">{bytes(d.size)}</td>
                <td>{t('admin.retention.expired', { date: date(d.retainUntil) })}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ShowMore shown={shown} />
    </>
  );
}

export function AdminRetentionPage({ query }: PageProps) {
  const at = query.get('at') ?? '';
  const report = useAsync(() => api.get<RetentionReport>(withQuery('/api/retention/due', { at })), [at]);
  const data = report.data;
  return (
    <AdminPage title={t('admin.retention.title')}>
      <p class="muted">{t('admin.retention.intro')}</p>
      <RetentionAtForm key={at} at={at} />
      <div class="card" data-testid="retention-report">
        <ErrorMessage error={report.error} />
        {report.loading ? <Loading /> : null}
        {data && !report.loading ? (
          <>
            <div class={data.due.length ? 'msg msg-warn' : 'msg msg-ok'} role="status" data-testid="retention-summary">
              {t('admin.retention.summary', {
                at: dateTime(data.at),
                n: data.due.length,
                bytes: bytes(data.due.reduce((sum, d) => sum + d.size, 0)),
              })}
            </div>
            {data.held ? <p>{t('admin.retention.held', { n: data.held })}</p> : null}
            <p class="muted">{t('admin.retention.kept')}</p>
            {data.due.length ? <DueTable due={data.due} /> : null}
          </>
        ) : null}
      </div>
    </AdminPage>
  );
}

export { AdminHoldsPage } from './admin-holds';
