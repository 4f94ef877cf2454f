import { api } from '../api';
import { password, required } from '../admin-validate';
import { FormFoot, FormInput, useAdminForm } from '../admin-form';
import { t } from '../i18n';
import { useUser } from '../session';
import { Page } from '../ui';

/** Anyone with a login changes their own password here; this session goes on, their others end. */
export function PasswordPage() {
  const forced = useUser().mustChangePassword;
  // Checked before sending: what the form can see (the API judges its minimum length and the current password).
  const form = useAdminForm({ currentPassword: '', newPassword: '', repeat: '' }, (v) => ({
    currentPassword: [required],
    newPassword: [required, password, (n) => (n === v.currentPassword ? 'admin.err.samePassword' : null)],
    repeat: [required, (r) => (r === v.newPassword ? null : 'admin.err.passwordMismatch')],
  }));
  const send = (v: typeof form.values) => api.post('/api/auth/password', { currentPassword: v.currentPassword, newPassword: v.newPassword });
  return (
    <Page title={t('password.title')}>
      {/* Forced: once changed, a fresh start of the application reads the session again and opens the home page. */}
      <form class="card form-narrow" onSubmit={form.submit(send, t('password.changed'), () => forced && location.assign('/'))} noValidate data-testid="password-form">
        {forced ? (
          <p class="msg msg-warn" data-testid="password-required">
            {t('password.required')}
          </p>
        ) : null}
        <p class="muted">{t('password.explain')}</p>
        <FormInput form={form} name="currentPassword" type="password" label={t('password.current')} autocomplete="current-password" />
        <FormInput form={form} name="newPassword" type="password" label={t('password.new')} autocomplete="new-password" hint={t('admin.hint.password')} />
        <FormInput form={form} name="repeat" type="password" label={t('password.repeat')} autocomplete="new-password" />
        <FormFoot form={form} label={t('password.submit')} testId="password-submit" />
      </form>
    </Page>
  );
}
