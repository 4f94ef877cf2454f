import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api';
import { dateTime } from '../format';
import { t } from '../i18n';
import { Link } from '../router';
import type { PageProps } from '../routes';
import { Button, ErrorMessage, Loading, useAsync } from '../ui';
import { AdminPage } from '../admin-nav';
import { plainText, recordingIdShape, required, type Rule } from '../admin-validate';
import { FormFoot, FormInput, FormSelect, useAdminForm } from '../admin-form';
import { holdPath, holdTargetOf, type HoldTarget } from '../admin-holds';

interface Note {
  by: string;
  at: string;
  reason: string;
}

interface Holds {
  recordings: { id: string; filename: string; badgeNo: string; startedAt: string; hold: Note }[];
  cases: { caseNo: string; title: string | null; hold: Note }[];
}

/** The lift of a hold, with its reason: the confirming step before a hold is taken off. */
function LiftHold({ target, onDone }: { target: HoldTarget; onDone(): void }) {
  const [open, setOpen] = useState(false);
  const form = useAdminForm({ reason: '' }, { reason: [required, plainText(500)] });
  if (!open) {
    return (
      <button type="button" class="danger" onClick={() => setOpen(true)} data-testid="hold-lift">
        {t('admin.holds.lift')}
      </button>
    );
  }
  return (
    <form
      class="admin-inline-form"
      onSubmit={form.submit((v) => api.post(holdPath(target), { on: false, reason: v.reason.trim() }), t('admin.holds.lifted'), onDone)}
      noValidate
    >
      <p class="msg msg-warn">{t('admin.holds.liftQ')}</p>
      <FormInput form={form} name="reason" label={t('common.reason')} data-testid="hold-lift-reason" />
      <div class="admin-buttons">
        <FormFoot form={form} label={t('admin.holds.liftConfirm')} testId="hold-lift-confirm" />
        <Button onClick={() => setOpen(false)} disabled={form.busy}>
          {t('common.cancel')}
        </Button>
      </div>
    </form>
  );
}

/** The things under hold of one kind, each with why, who and when, and its lift. */
function HoldsCard({
  title,
  what,
  rows,
  testId,
  onLifted,
}: {
  title: string;
  what: string;
  rows: { target: HoldTarget; hold: Note; href: string; name: string; detail: ComponentChildren }[];
  testId: string;
  onLifted(): void;
}) {
  return (
    <div class="card">
      <h2>{title}</h2>
      {rows.length === 0 ? (
        <p class="muted">{t('common.noItems')}</p>
      ) : (
        <div class="table-wrap">
          <table data-testid={testId}>
            <thead>
              <tr>
                <th>{what}</th>
                <th>{t('common.reason')}</th>
                <th>{t('admin.holds.by')}</th>
                <th>{t('common.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={`${row.target.kind}:${row.target.id}`} data-testid="hold-row">
                  <td>
                    <Link href={row.href}>{row.name}</Link>
                    {row.detail ? <div class="muted">{row.detail}</div> : null}
                  </td>
                  <td>{row.hold.reason}</td>
                  <td>
                    {row.hold.by}
                    <div class="muted">{dateTime(row.hold.at)}</div>
                  </td>
                  <td>
                    <LiftHold target={row.target} onDone={onLifted} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

const targetRules = (kind: string): Rule[] => (kind === 'recording' ? [required, recordingIdShape] : [required, plainText(64)]);

function NewHoldForm({ initial, onDone }: { initial: HoldTarget | null; onDone(): void }) {
  const form = useAdminForm(
    { kind: initial?.kind ?? 'case', target: initial?.id ?? '', reason: '' },
    (v) => ({ target: targetRules(v.kind), reason: [required, plainText(500)] }),
  );
  const send = (v: typeof form.values) => api.post(holdPath({ kind: v.kind as HoldTarget['kind'], id: v.target.trim() }), { on: true, reason: v.reason.trim() });
  return (
    <form class="card" onSubmit={form.submit(send, t('admin.holds.placed'), onDone)} noValidate data-testid="hold-form">
      <h2>{t('admin.holds.new')}</h2>
      <div class="row">
        <FormSelect form={form} name="kind" label={t('admin.holds.kind')}>
          <option value="case">{t('admin.holds.case')}</option>
          <option value="recording">{t('admin.holds.recording')}</option>
        </FormSelect>
        <FormInput
          form={form}
          name="target"
          label={form.values.kind === 'recording' ? t('admin.holds.recordingId') : t('admin.holds.caseNo')}
          class="admin-wide-input"
        />
        <FormInput form={form} name="reason" label={t('common.reason')} class="admin-wide-input" />
      </div>
      <FormFoot form={form} label={t('admin.holds.place')} testId="hold-place" />
    </form>
  );
}

export function AdminHoldsPage({ query }: PageProps) {
  const holds = useAsync(() => api.get<Holds>('/api/holds'), []);
  const data = holds.data;
  return (
    <AdminPage title={t('admin.holds.title')}>
      <p class="muted">{t('admin.holds.intro')}</p>
      <NewHoldForm initial={holdTargetOf(query)} onDone={holds.reload} />
      <ErrorMessage error={holds.error} />
      {holds.loading && !data ? <Loading /> : null}
      {data ? (
        <>
          <HoldsCard
            title={t('admin.holds.cases', { n: data.cases.length })}
            what={t('admin.holds.caseNo')}
            testId="holds-cases"
            onLifted={holds.reload}
            rows={data.cases.map((c) => ({ target: { kind: 'case', id: c.caseNo }, hold: c.hold, href: `/cases/${encodeURIComponent(c.caseNo)}`, name: c.caseNo, detail: c.title }))}
          />
          <HoldsCard
            title={t('admin.holds.recordings', { n: data.recordings.length })}
            what={t('admin.col.file')}
            testId="holds-recordings"
            onLifted={holds.reload}
            rows={data.recordings.map((r) => ({
              target: { kind: 'recording', id: r.id },
              hold: r.hold,
              href: `/recordings/${r.id}`,
              name: r.filename,
              detail: `${r.badgeNo} · ${dateTime(r.startedAt)}`,
            }))}
          />
        </>
      ) : null}
    </AdminPage>
  );
}
