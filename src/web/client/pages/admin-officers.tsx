import { useState } from 'preact/hooks';
import { api } from '../api';
import { t } from '../i18n';
import type { PageProps } from '../routes';
import { ErrorMessage, Loading, useAsync } from '../ui';
import { AdminPage } from '../admin-nav';
import { badgeNoShape, localTime, plainText, required, unitCodeShape, unlessBlank } from '../admin-validate';
import { FormFoot, FormInput, FormSelect, UnitOptions, useAdminForm, useShown, useUnits, type Unit } from '../admin-form';
import { ActiveBadge, ActiveToggle, ListCard, PeriodText } from '../admin-parts';

interface Officer {
  badgeNo: string;
  name: string;
  active: boolean;
  unitCode: string | null;
  recorderSerial: string | null;
}

interface Period {
  from: string | null;
  to: string | null;
}

interface OfficerDetail extends Officer {
  units: (Period & { unitCode: string; unitName: string })[];
  recorders: (Period & { recorderSerial: string })[];
}

const officerPathRoot = '/api/officers';
const officerPath = (badgeNo: string) => `/api/officers/${encodeURIComponent(badgeNo)}`;

function NewOfficerForm({ units, onCreated }: { units: Unit[] | undefined; onCreated(): void }) {
  const form = useAdminForm(
    { badgeNo: '', name: '', unitCode: '', from: '' },
    { badgeNo: [required, badgeNoShape], name: [required, plainText(100)], unitCode: [required, unitCodeShape], from: [localTime] },
  );
  const send = (v: typeof form.values) => api.post(officerPathRoot, { badgeNo: v.badgeNo.trim(), name: v.name.trim(), unitCode: v.unitCode, from: unlessBlank(v.from) });
  return (
    <form class="card" onSubmit={form.submit(send, t('admin.officer.created'), onCreated)} noValidate>
      <h2>{t('admin.officer.new')}</h2>
      <div class="row">
        <FormInput form={form} name="badgeNo" label={t('common.badgeNo')} hint={t('admin.hint.code')} />
        <FormInput form={form} name="name" label={t('admin.officer.name')} />
        <FormSelect form={form} name="unitCode" label={t('common.unit')}>
          <UnitOptions units={units} empty={t('admin.choose')} />
        </FormSelect>
        <FormInput form={form} name="from" type="datetime-local" label={t('admin.officer.inUnitFrom')} hint={t('admin.hint.fromAlways')} />
      </div>
      <FormFoot form={form} label={t('admin.create')} testId="officer-create" />
    </form>
  );
}
function MoveOfficerForm({ officer, units, onDone }: { officer: Officer; units: Unit[] | undefined; onDone(): void }) {
  const form = useAdminForm({ unitCode: '', from: '' }, { unitCode: [required, unitCodeShape], from: [localTime] });
  return (
    <form
      class="row admin-inline-form"
      onSubmit={form.submit((v) => api.patch(officerPath(officer.badgeNo), { unitCode: v.unitCode, from: unlessBlank(v.from) }), t('common.saved'), onDone)}
      noValidate
    >
      <FormSelect form={form} name="unitCode" label={t('admin.officer.newUnit')}>
        <UnitOptions units={units?.filter((u) => u.code !== officer.unitCode)} empty={t('admin.choose')} />
      </FormSelect>
      <FormInput form={form} name="from" type="datetime-local" label={t('admin.officer.moveFrom')} hint={t('admin.hint.fromNow')} />
      <FormFoot form={form} label={t('admin.officer.move')} testId="officer-move-save" />
    </form>
  );
}

function OfficerHistory({ badgeNo, version }: { badgeNo: string; version: number }) {
  const detail = useAsync(() => api.get<OfficerDetail>(officerPath(badgeNo)), [badgeNo, version]);
  return (
    <div class="card" data-testid="officer-history">
      <h2>{t('admin.officer.history', { badgeNo })}</h2>
      <ErrorMessage error={detail.error} />
      {detail.loading && !detail.data ? <Loading /> : null}
      {detail.data ? (
        <div class="admin-history">
          <div>
            <h3>{t('admin.officer.unitHistory')}</h3>
            <ul>
              {detail.data.units.map((u) => (
                <li key={`${u.unitCode}${u.from}`}>
                  <span class="mono">{u.unitCode}</span> {u.unitName} · <PeriodText from={u.from} to={u.to} />
                </li>
              ))}
            </ul>
          </div>
          <div>
            <h3>{t('admin.officer.recorderHistory')}</h3>
            {detail.data.recorders.length === 0 ? <p class="muted">{t('common.noItems')}</p> : null}
            <ul>
              {detail.data.recorders.map((r) => (
                <li key={`${r.recorderSerial}${r.from}`}>
                  <span class="mono">{r.recorderSerial}</span> · <PeriodText from={r.from} to={r.to} />
                </li>
              ))}
            </ul>
          </div>
        </div>
      ) : null}
    </div>
  );
}

function OfficerRow({
  officer,
  units,
  selected,
  onSelect,
  onChanged,
}: {
  officer: Officer;
  units: Unit[] | undefined;
  selected: boolean;
  onSelect(): void;
  onChanged(): void;
}) {
  const [moving, setMoving] = useState(false);
  return (
    <>
      <tr class={[selected ? 'selected' : '', officer.active ? '' : 'inactive'].join(' ')} data-testid="officer-row" data-badge={officer.badgeNo}>
        <td>
          <button type="button" class="link mono" onClick={onSelect} title={t('admin.showHistory')}>
            {officer.badgeNo}
          </button>
        </td>
        <td>{officer.name}</td>
        <td class="mono">{officer.unitCode ?? '—'}</td>
        <td class="mono">{officer.recorderSerial ?? '—'}</td>
        <td>
          <ActiveBadge active={officer.active} />
        </td>
        <td class="admin-actions">
          {officer.active ? (
            <button type="button" onClick={() => setMoving(!moving)}>
              {moving ? t('common.cancel') : t('admin.officer.move')}
            </button>
          ) : null}
          <ActiveToggle
            active={officer.active}
            subject={`${officer.badgeNo} ${officer.name}`}
            onSet={(active) => api.patch(officerPath(officer.badgeNo), { active }).then(onChanged)}
          />
        </td>
      </tr>
      {moving ? (
        <tr class="admin-subrow">
          <td colSpan={6}>
            <MoveOfficerForm officer={officer} units={units} onDone={() => (setMoving(false), onChanged())} />
          </td>
        </tr>
      ) : null}
    </>
  );
}

export function AdminOfficersPage(_props: PageProps) {
  const units = useUnits();
  const officers = useAsync(() => api.get<{ items: Officer[] }>(officerPathRoot).then((r) => r.items), []);
  const [selected, setSelected] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const changed = () => {
    officers.reload();
    setVersion((n) => n + 1);
  };
  const shown = useShown(officers.data ?? [], (o, q) =>
    [o.badgeNo, o.name, o.unitCode ?? '', o.recorderSerial ?? ''].some((v) => v.toLowerCase().includes(q)),
  );
  return (
    <AdminPage title={t('admin.officers.title')}>
      <NewOfficerForm units={units.data} onCreated={changed} />
      <div class={selected ? 'grid-2' : ''}>
        <ListCard
          title={t('admin.officers.list')}
          list={officers}
          shown={shown}
          filterLabel={t('admin.filter.officers')}
          columns={[t('common.badgeNo'), t('admin.officer.name'), t('common.unit'), t('admin.recorder.serial'), t('common.status'), t('common.actions')]}
          testId="officers-table"
        >
          {shown.shown.map((o) => (
            <OfficerRow
              key={o.badgeNo}
              officer={o}
              units={units.data}
              selected={o.badgeNo === selected}
              onSelect={() => setSelected(o.badgeNo === selected ? null : o.badgeNo)}
              onChanged={changed}
            />
          ))}
        </ListCard>
        {selected ? <OfficerHistory badgeNo={selected} version={version} /> : null}
      </div>
    </AdminPage>
  );
}
