import { useState } from 'preact/hooks';
import { api } from '../api';
import { t } from '../i18n';
import type { PageProps } from '../routes';
import { AdminPage } from '../admin-nav';
import { plainText, required, unitCodeShape } from '../admin-validate';
import { FormFoot, FormInput, useAdminForm, useShown, useUnits, type Unit } from '../admin-form';
import { ActiveBadge, ActiveToggle, ListCard } from '../admin-parts';

const unitPath = (code: string) => `/api/units/${encodeURIComponent(code)}`;

function NewUnitForm({ onCreated }: { onCreated(): void }) {
  const form = useAdminForm({ code: '', name: '' }, { code: [required, unitCodeShape], name: [required, plainText(100)] });
  return (
    <form class="card" onSubmit={form.submit((v) => api.post('/api/units', { code: v.code.trim(), name: v.name.trim() }), t('admin.unit.created'), onCreated)} noValidate>
      <h2>{t('admin.unit.new')}</h2>
      <div class="row">
        <FormInput form={form} name="code" label={t('admin.unit.code')} hint={t('admin.hint.code')} />
        <FormInput form={form} name="name" label={t('admin.unit.name')} />
      </div>
      <FormFoot form={form} label={t('admin.create')} testId="unit-create" />
    </form>
  );
}

function RenameUnit({ unit, onDone }: { unit: Unit; onDone(): void }) {
  const form = useAdminForm({ name: unit.name }, { name: [required, plainText(100)] });
  return (
    <form class="row admin-inline-form" onSubmit={form.submit((v) => api.patch(unitPath(unit.code), { name: v.name.trim() }), t('common.saved'), onDone)} noValidate>
      <FormInput form={form} name="name" label={t('admin.unit.name')} />
      <FormFoot form={form} label={t('common.save')} />
    </form>
  );
}

function UnitRow({ unit, onChanged }: { unit: Unit; onChanged(): void }) {
  const [renaming, setRenaming] = useState(false);
  return (
    <tr class={unit.active ? '' : 'inactive'}>
      <td class="mono">{unit.code}</td>
      <td>
        {renaming ? (
          <RenameUnit unit={unit} onDone={() => (setRenaming(false), onChanged())} />
        ) : (
          unit.name
        )}
      </td>
      <td>
        <ActiveBadge active={unit.active} />
      </td>
      <td class="admin-actions">
        <button type="button" onClick={() => setRenaming(!renaming)}>
          {renaming ? t('common.cancel') : t('admin.rename')}
        </button>
        <ActiveToggle active={unit.active} subject={unit.code} onSet={(active) => api.patch(unitPath(unit.code), { active }).then(onChanged)} />
      </td>
    </tr>
  );
}

export function AdminUnitsPage(_props: PageProps) {
  const units = useUnits();
  const shown = useShown(units.data ?? [], (u, q) => u.code.toLowerCase().includes(q) || u.name.toLowerCase().includes(q));
  return (
    <AdminPage title={t('admin.units.title')}>
      <NewUnitForm onCreated={units.reload} />
      <ListCard
        title={t('admin.units.list')}
        list={units}
        shown={shown}
        filterLabel={t('admin.filter.units')}
        columns={[t('admin.unit.code'), t('admin.unit.name'), t('common.status'), t('common.actions')]}
        testId="units-table"
      >
        {shown.shown.map((u) => (
          <UnitRow key={u.code} unit={u} onChanged={units.reload} />
        ))}
      </ListCard>
    </AdminPage>
  );
}
