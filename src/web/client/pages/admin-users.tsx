import { useState } from 'preact/hooks';
import { api } from '../api';
import { t } from '../i18n';
import type { PageProps } from '../routes';
import { useUser, type Role } from '../session';
import { useAsync } from '../ui';
import { AdminPage } from '../admin-nav';
import { badgeNoShape, badgeRequiredFor, isMachineRole, password, required, unitCodeShape, unlessBlank, usernameShape } from '../admin-validate';
import { FormFoot, FormInput, FormSelect, UnitOptions, useAdminForm, useShown, useUnits, type AdminForm, type Unit } from '../admin-form';
import { ActiveBadge, ActiveToggle, ListCard } from '../admin-parts';
import { MachineTokens } from '../admin-tokens';

export interface User {
  id: number;
  username: string;
  role: Role;
  unitCode: string | null;
  badgeNo: string | null;
  active: boolean;
}

const ROLES: Role[] = ['admin', 'supervisor', 'reviewer', 'officer', 'station', 'integration'];
const userPath = (username: string) => `/api/users/${encodeURIComponent(username)}`;

/** The users, for this page and the docking stations'. */
export const useUsers = () => useAsync(() => api.get<{ items: User[] }>('/api/users').then((r) => r.items), []);

function RoleOptions() {
  return (
    <>
      {ROLES.map((r) => (
        <option key={r} value={r}>
          {t(`role.${r}`)}
        </option>
      ))}
    </>
  );
}

type ScopeField = 'role' | 'unitCode' | 'badgeNo';

/** What an account may reach: its role, its unit (none: the whole bureau), the officer it is. */
function ScopeFields({ form, units }: { form: AdminForm<ScopeField>; units: Unit[] | undefined }) {
  return (
    <>
      <FormSelect form={form} name="role" label={t('admin.user.role')}>
        <RoleOptions />
      </FormSelect>
      <FormSelect form={form} name="unitCode" label={t('common.unit')}>
        <UnitOptions units={units} empty={t('admin.user.wholeBureau')} />
      </FormSelect>
      <FormInput
        form={form}
        name="badgeNo"
        label={t('common.badgeNo')}
        hint={badgeRequiredFor(form.values.role) ? t('admin.hint.officerBadge') : t('admin.hint.optional')}
      />
    </>
  );
}

const scopeRules = (v: Record<ScopeField, string>) => ({
  role: [required],
  unitCode: [unitCodeShape],
  badgeNo: badgeRequiredFor(v.role) ? [required, badgeNoShape] : [badgeNoShape],
});

function NewUserForm({ units, onCreated }: { units: Unit[] | undefined; onCreated(): void }) {
  const form = useAdminForm({ username: '', password: '', role: 'reviewer', unitCode: '', badgeNo: '' }, (v) => ({
    username: [required, usernameShape],
    password: [required, password],
    ...scopeRules(v),
  }));
  const send = (v: typeof form.values) =>
    api.post('/api/users', { username: v.username.trim(), password: v.password, role: v.role, unitCode: unlessBlank(v.unitCode), badgeNo: unlessBlank(v.badgeNo) });
  return (
    <form class="card" onSubmit={form.submit(send, t('admin.user.created'), onCreated)} noValidate data-testid="user-form">
      <h2>{t('admin.user.new')}</h2>
      <div class="row">
        <FormInput form={form} name="username" label={t('login.username')} autocomplete="off" />
        <FormInput form={form} name="password" type="password" label={t('login.password')} autocomplete="new-password" hint={t('admin.hint.password')} />
        <ScopeFields form={form} units={units} />
      </div>
      <FormFoot form={form} label={t('admin.create')} testId="user-create" />
    </form>
  );
}

function EditUserForm({ user, units, onDone }: { user: User; units: Unit[] | undefined; onDone(): void }) {
  const form = useAdminForm<ScopeField>({ role: user.role, unitCode: user.unitCode ?? '', badgeNo: user.badgeNo ?? '' }, scopeRules);
  const send = (v: typeof form.values) => api.patch(userPath(user.username), { role: v.role, unitCode: v.unitCode || null, badgeNo: v.badgeNo.trim() || null });
  return (
    <form class="row admin-inline-form" onSubmit={form.submit(send, t('common.saved'), onDone)} noValidate>
      <ScopeFields form={form} units={units} />
      <FormFoot form={form} label={t('common.save')} />
      <span class="field-hint">{t('admin.user.editHint')}</span>
    </form>
  );
}

/**
 * A forgotten password: the admin sets a new one and hands it over; the user's logins end at once, and they
 * change it themselves on the password page (修改密码) after logging in. The API's minimum is checked there.
 */
function ResetPasswordForm({ user }: { user: User }) {
  const form = useAdminForm({ password: '' }, { password: [required, password] });
  const send = (v: typeof form.values) => api.patch(userPath(user.username), { password: v.password });
  return (
    <form class="row admin-inline-form" onSubmit={form.submit(send, t('admin.user.passwordReset'))} noValidate data-testid="reset-password-form">
      <FormInput form={form} name="password" type="password" label={t('admin.user.newPassword')} autocomplete="new-password" hint={t('admin.hint.password')} />
      <FormFoot form={form} label={t('admin.user.resetPassword')} testId="reset-password-submit" />
    </form>
  );
}

function UserRow({ user, units, onChanged }: { user: User; units: Unit[] | undefined; onChanged(): void }) {
  const me = useUser();
  const [open, setOpen] = useState<'edit' | 'password' | null>(null);
  const toggle = (what: 'edit' | 'password') => setOpen(open === what ? null : what);
  const self = me.username === user.username;
  return (
    <>
      <tr class={user.active ? '' : 'inactive'} data-testid="user-row" data-username={user.username}>
        <td>{user.username}</td>
        <td>{t(`role.${user.role}`)}</td>
        <td>{user.unitCode ?? t('admin.user.wholeBureau')}</td>
        <td class="mono">{user.badgeNo ?? '—'}</td>
        <td>
          <ActiveBadge active={user.active} />
        </td>
        <td class="admin-actions">
          {/* An admin changing or switching off their own account would lock themselves out mid-task. */}
          {self ? (
            <span class="muted">{t('admin.user.self')}</span>
          ) : (
            <>
              <button type="button" onClick={() => toggle('edit')}>
                {open === 'edit' ? t('common.cancel') : t('admin.edit')}
              </button>
              {/* Machine accounts work with tokens (below), not passwords. */}
              {isMachineRole(user.role) ? null : (
                <button type="button" onClick={() => toggle('password')} data-testid="reset-password">
                  {open === 'password' ? t('common.cancel') : t('admin.user.resetPassword')}
                </button>
              )}
              <ActiveToggle active={user.active} subject={user.username} onSet={(active) => api.patch(userPath(user.username), { active }).then(onChanged)} />
            </>
          )}
          {isMachineRole(user.role) ? <MachineTokens username={user.username} active={user.active} /> : null}
        </td>
      </tr>
      {open ? (
        <tr class="admin-subrow">
          <td colSpan={6}>
            {open === 'edit' ? <EditUserForm user={user} units={units} onDone={() => (setOpen(null), onChanged())} /> : <ResetPasswordForm user={user} />}
          </td>
        </tr>
      ) : null}
    </>
  );
}

export function AdminUsersPage(_props: PageProps) {
  const units = useUnits();
  const users = useUsers();
  const shown = useShown(users.data ?? [], (u, q) =>
    [u.username, u.role, t(`role.${u.role}`), u.unitCode ?? '', u.badgeNo ?? ''].some((v) => v.toLowerCase().includes(q)),
  );
  return (
    <AdminPage title={t('admin.users.title')}>
      <NewUserForm units={units.data} onCreated={users.reload} />
      <ListCard
        title={t('admin.users.list')}
        list={users}
        shown={shown}
        filterLabel={t('admin.filter.users')}
        columns={[t('login.username'), t('admin.user.role'), t('common.unit'), t('common.badgeNo'), t('common.status'), t('common.actions')]}
        testId="users-table"
      >
        {shown.shown.map((u) => (
          <UserRow key={u.username} user={u} units={units.data} onChanged={users.reload} />
        ))}
      </ListCard>
    </AdminPage>
  );
}
