import { useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { check, password, required } from '../admin-validate';
import { t, type MessageKey } from '../i18n';
import { Button, ErrorMessage, Field, Notice, Page, useAction } from '../ui';

type Form = { current: string; next: string; repeat: string };
const EMPTY: Form = { current: '', next: '', repeat: '' };

/** Problems the form can see before sending: the API judges the rest (its minimum length, the current password). */
function problemsOf(f: Form): Partial<Record<keyof Form, MessageKey>> {
  const found: Partial<Record<keyof Form, MessageKey>> = check(f, { current: [required], next: [required, password], repeat: [required] });
  if (!found.next && f.current && f.next === f.current) found.next = 'password.same';
  if (!found.repeat && f.repeat !== f.next) found.repeat = 'password.mismatch';
  return found;
}

/** What the API's refusal means at a field, in the reader's language; null for a refusal shown above the button. */
function fieldOf(err: unknown): { field: keyof Form; message: MessageKey } | null {
  if (!(err instanceof ApiError)) return null;
  if (err.code === 'wrong_password') return { field: 'current', message: 'password.wrong' };
  if (err.code === 'same_password') return { field: 'next', message: 'password.same' };
  return null;
}

/** Anyone with a login changes their own password here; this session goes on, their others end. */
export function PasswordPage() {
  const [form, setForm] = useState<Form>(EMPTY);
  const [shown, setShown] = useState<Partial<Record<keyof Form, MessageKey>>>({});
  const action = useAction();
  const set = (name: keyof Form) => (e: { currentTarget: HTMLInputElement }) => setForm({ ...form, [name]: e.currentTarget.value });

  const submit = async (e: Event) => {
    e.preventDefault();
    const found = problemsOf(form);
    setShown(found);
    if (Object.keys(found).length) return;
    const done = await action.run(() => api.post('/api/auth/password', { currentPassword: form.current, newPassword: form.next }).then(() => true), t('password.changed'));
    if (done) setForm(EMPTY);
  };

  const refused = fieldOf(action.error);
  const throttled = action.error instanceof ApiError && action.error.status === 429;
  const error = (name: keyof Form) => (shown[name] ? t(shown[name]) : refused?.field === name ? t(refused.message) : null);
  return (
    <Page title={t('password.title')}>
      <form class="card form-narrow" onSubmit={submit} noValidate data-testid="password-form">
        <p class="muted">{t('password.explain')}</p>
        <Field label={t('password.current')} error={error('current')}>
          <input name="current" type="password" autocomplete="current-password" value={form.current} onInput={set('current')} />
        </Field>
        <Field label={t('password.new')} error={error('next')}>
          <input name="next" type="password" autocomplete="new-password" value={form.next} onInput={set('next')} />
        </Field>
        <Field label={t('password.repeat')} error={error('repeat')}>
          <input name="repeat" type="password" autocomplete="new-password" value={form.repeat} onInput={set('repeat')} />
        </Field>
        {throttled ? (
          <div class="msg msg-error" role="alert">
            {t('password.throttled')}
          </div>
        ) : refused ? null : (
          <ErrorMessage error={action.error} />
        )}
        <Notice text={action.done} />
        <Button type="submit" busy={action.busy} class="primary">
          {t('password.submit')}
        </Button>
      </form>
    </Page>
  );
}
