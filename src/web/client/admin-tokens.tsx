import { useRef, useState } from 'preact/hooks';
import { api } from './api';
import { t } from './i18n';
import { Button, ErrorMessage, Notice, useAction } from './ui';
import { ConfirmButton } from './admin-form';

const tokensPath = (username: string) => `/api/users/${encodeURIComponent(username)}/tokens`;

/** The token just issued: the server keeps only its hash, so this is the one time anybody sees it. */
function IssuedToken({ token, onDismiss }: { token: string; onDismiss(): void }) {
  const box = useRef<HTMLElement>(null);
  const [copied, setCopied] = useState<boolean | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(token);
      setCopied(true);
    } catch {
      // The clipboard API needs https or localhost: select the text so Ctrl+C copies it.
      const range = document.createRange();
      if (box.current) range.selectNodeContents(box.current);
      getSelection()?.removeAllRanges();
      getSelection()?.addRange(range);
      setCopied(false);
    }
  };
  return (
    <div class="msg msg-warn admin-token" role="status">
      <div>{t('admin.token.once')}</div>
      <code ref={box} data-testid="issued-token">
        {token}
      </code>
      <div class="row">
        <button type="button" onClick={copy}>
          {t('admin.token.copy')}
        </button>
        <button type="button" onClick={onDismiss}>
          {t('admin.token.stored')}
        </button>
        {copied === true ? <span class="muted">{t('admin.token.copied')}</span> : null}
        {copied === false ? <span class="muted">{t('admin.token.pressCopy')}</span> : null}
      </div>
    </div>
  );
}

/** Issue and revoke the long-lived tokens of a station or integration account. */
export function MachineTokens({ username, active }: { username: string; active: boolean }) {
  const issue = useAction();
  const [token, setToken] = useState<string | null>(null);
  const [revoked, setRevoked] = useState<number | null>(null);
  return (
    <div class="admin-tokens">
      <div class="row">
        {active ? (
          <Button
            busy={issue.busy}
            data-testid="token-issue"
            onClick={async () => {
              setRevoked(null);
              const out = await issue.run(() => api.post<{ token: string }>(tokensPath(username)));
              if (out) setToken(out.token);
            }}
          >
            {t('admin.token.issue')}
          </Button>
        ) : null}
        <ConfirmButton
          label={t('admin.token.revoke')}
          question={t('admin.token.revokeQ', { username })}
          testId="token-revoke"
          onConfirm={async () => {
            const out = await api.del<{ revoked: number }>(tokensPath(username));
            setToken(null);
            setRevoked(out.revoked);
          }}
        />
      </div>
      <ErrorMessage error={issue.error} />
      {token ? <IssuedToken token={token} onDismiss={() => setToken(null)} /> : null}
      <Notice text={revoked === null ? null : t('admin.token.revoked', { n: revoked })} />
    </div>
  );
}
