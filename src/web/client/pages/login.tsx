import { useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { t } from '../i18n';
import type { SessionUser } from '../session';
import { Button, ErrorMessage, Field, useAction } from '../ui';

export function LoginPage({ expired, onLogin, onSwitchLang }: { expired: boolean; onLogin(user: SessionUser): void; onSwitchLang(): void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [missing, setMissing] = useState(false);
  const action = useAction();

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!username.trim() || !password) {
      setMissing(true);
      return;
    }
    setMissing(false);
    // /me carries the badge number the login answer leaves out.
    const user = await action.run(async () => {
      await api.post('/api/auth/login', { username: username.trim(), password });
      return api.get<SessionUser>('/api/auth/me');
    });
    if (user) onLogin(user);
  };

  const failed = action.error instanceof ApiError && action.error.status === 401 ? t('login.failed') : null;
  return (
    <div class="login">
      <form class="card login-card" onSubmit={submit} noValidate>
        <div class="login-head">
          <h1>{t('appName')}</h1>
          <button type="button" class="link" onClick={onSwitchLang} data-testid="lang-switch">
            {t('nav.language')}
          </button>
        </div>
        <h2>{t('login.title')}</h2>
        {expired ? <div class="msg msg-warn">{t('login.expired')}</div> : null}
        <Field label={t('login.username')}>
          <input name="username" autocomplete="username" value={username} onInput={(e) => setUsername(e.currentTarget.value)} autofocus />
        </Field>
        <Field label={t('login.password')}>
          <input name="password" type="password" autocomplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </Field>
        {missing ? <div class="msg msg-error">{t('login.required')}</div> : null}
        {failed ? <div class="msg msg-error" role="alert">{failed}</div> : <ErrorMessage error={action.error} />}
        <Button type="submit" busy={action.busy} class="primary wide">
          {t('login.submit')}
        </Button>
      </form>
    </div>
  );
}
