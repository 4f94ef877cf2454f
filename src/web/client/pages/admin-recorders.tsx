import { useState } from 'preact/hooks';
import { api } from '../api';
import { t } from '../i18n';
import type { PageProps } from '../routes';
import { ErrorMessage, Loading, useAsync } from '../ui';
import { AdminPage } from '../admin-nav';
import { badgeNoShape, localTime, plainText, required, serialShape, unlessBlank } from '../admin-validate';
import { ConfirmButton, FormFoot, FormInput, useAdminForm, useShown } from '../admin-form';
import { ActiveBadge, ListCard, PeriodText } from '../admin-parts';

interface Recorder {
  serial: string;
  model: string | null;
  active: boolean;
  note: string | null;
  badgeNo: string | null;
}

interface RecorderDetail extends Recorder {
  assignments: { badgeNo: string; from: string | null; to: string | null }[];
}

const recorderPath = (serial: string) => `/api/recorders/${encodeURIComponent(serial)}`;

function NewRecorderForm({ onCreated }: { onCreated(): void }) {
  const form = useAdminForm({ serial: '', model: '' }, { serial: [required, serialShape], model: [plainText(100)] });
  return (
    <form
      class="card"
      onSubmit={form.submit((v) => api.post('/api/recorders', { serial: v.serial.trim(), model: unlessBlank(v.model) }), t('admin.recorder.created'), onCreated)}
      noValidate
    >
      <h2>{t('admin.recorder.new')}</h2>
      <div class="row">
        <FormInput form={form} name="serial" label={t('admin.recorder.serial')} hint={t('admin.hint.code')} />
        <FormInput form={form} name="model" label={t('admin.recorder.model')} />
      </div>
      <FormFoot form={form} label={t('admin.create')} testId="recorder-create" />
    </form>
  );
}

function AssignForm({ serial, onDone }: { serial: string; onDone(): void }) {
  const form = useAdminForm({ badgeNo: '', from: '' }, { badgeNo: [required, badgeNoShape], from: [localTime] });
  return (
    <form
      onSubmit={form.submit(
        (v) => api.post(`${recorderPath(serial)}/assignments`, { badgeNo: v.badgeNo.trim(), from: unlessBlank(v.from) }),
        t('admin.recorder.assigned'),
        onDone,
      )}
      noValidate
    >
      <h3>{t('admin.recorder.assign')}</h3>
      <div class="row">
        <FormInput form={form} name="badgeNo" label={t('common.badgeNo')} />
        <FormInput form={form} name="from" type="datetime-local" label={t('admin.recorder.assignFrom')} hint={t('admin.hint.fromNow')} />
      </div>
      <FormFoot form={form} label={t('admin.recorder.assign')} testId="recorder-assign" />
    </form>
  );
}

function DeactivateForm({ serial, onDone }: { serial: string; onDone(): void }) {
  const form = useAdminForm({ note: '' }, { note: [required, plainText(500)] });
  return (
    <form onSubmit={form.submit((v) => api.patch(recorderPath(serial), { active: false, note: v.note.trim() }), t('common.saved'), onDone)} noValidate>
      <h3>{t('admin.recorder.deactivate')}</h3>
      <div class="row">
        <FormInput form={form} name="note" label={t('admin.recorder.note')} hint={t('admin.recorder.noteHint')} />
      </div>
      <FormFoot form={form} label={t('admin.deactivate')} />
    </form>
  );
}

function RecorderDetailCard({ serial, version, onChanged }: { serial: string; version: number; onChanged(): void }) {
  const detail = useAsync(() => api.get<RecorderDetail>(recorderPath(serial)), [serial, version]);
  const rec = detail.data;
  return (
    <div class="card" data-testid="recorder-history">
      <h2>{t('admin.recorder.history', { serial })}</h2>
      <ErrorMessage error={detail.error} />
      {detail.loading && !rec ? <Loading /> : null}
      {rec ? (
        <>
          <dl class="props">
            <dt>{t('admin.recorder.model')}</dt>
            <dd>{rec.model ?? '—'}</dd>
            <dt>{t('common.status')}</dt>
            <dd>
              <ActiveBadge active={rec.active} /> {rec.note ? <span class="muted">{rec.note}</span> : null}
            </dd>
          </dl>
          <h3>{t('admin.recorder.assignments')}</h3>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>{t('common.badgeNo')}</th>
                  <th>{t('admin.period')}</th>
                </tr>
              </thead>
              <tbody>
                {rec.assignments.map((a) => (
                  <tr key={`${a.badgeNo}${a.from}`} data-testid="assignment-row">
                    <td class="mono">{a.badgeNo}</td>
                    <td>
                      <PeriodText from={a.from} to={a.to} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {rec.assignments.length === 0 ? <p class="muted">{t('admin.recorder.neverAssigned')}</p> : null}
          {rec.active ? (
            <>
              <AssignForm serial={serial} onDone={onChanged} />
              <DeactivateForm serial={serial} onDone={onChanged} />
            </>
          ) : (
            <p>
              <ConfirmButton
                label={t('admin.activate')}
                question={t('admin.activateQ', { subject: serial })}
                danger={false}
                onConfirm={() => api.patch(recorderPath(serial), { active: true }).then(onChanged)}
              />
            </p>
          )}
        </>
      ) : null}
    </div>
  );
}

export function AdminRecordersPage(_props: PageProps) {
  const recorders = useAsync(() => api.get<{ items: Recorder[] }>('/api/recorders').then((r) => r.items), []);
  const [selected, setSelected] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const changed = () => {
    recorders.reload();
    setVersion((n) => n + 1);
  };
  const shown = useShown(recorders.data ?? [], (r, q) => [r.serial, r.model ?? '', r.badgeNo ?? ''].some((v) => v.toLowerCase().includes(q)));
  return (
    <AdminPage title={t('admin.recorders.title')}>
      <NewRecorderForm onCreated={changed} />
      <div class="grid-2">
        <ListCard
          title={t('admin.recorders.list')}
          list={recorders}
          shown={shown}
          filterLabel={t('admin.filter.recorders')}
          columns={[t('admin.recorder.serial'), t('admin.recorder.model'), t('admin.recorder.holder'), t('common.status')]}
          testId="recorders-table"
        >
          {shown.shown.map((r) => (
            <tr key={r.serial} class={[r.serial === selected ? 'selected' : '', r.active ? '' : 'inactive'].join(' ')} data-testid="recorder-row" data-serial={r.serial}>
              <td>
                <button type="button" class="link mono" onClick={() => setSelected(r.serial)} title={t('admin.showHistory')}>
                  {r.serial}
                </button>
              </td>
              <td>{r.model ?? '—'}</td>
              <td class="mono">{r.badgeNo ?? '—'}</td>
              <td>
                <ActiveBadge active={r.active} /> {r.note ? <span class="muted">{r.note}</span> : null}
              </td>
            </tr>
          ))}
        </ListCard>
        {selected ? (
          <RecorderDetailCard serial={selected} version={version} onChanged={changed} />
        ) : (
          <div class="card muted">{t('admin.recorder.pick')}</div>
        )}
      </div>
    </AdminPage>
  );
}
