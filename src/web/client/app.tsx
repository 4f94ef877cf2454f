import { useEffect, useState } from 'preact/hooks';
import { api, setUnauthenticatedHandler } from './api';
import { currentLang, setLang, t } from './i18n';
import { Link, matchPath, navigate, useLocation } from './router';
import { HOME, ROUTES } from './routes';
import { SessionContext, type SessionUser } from './session';
import { LoginPage } from './pages/login';
import { Loading } from './ui';

type SessionState = { status: 'checking' } | { status: 'out'; expired?: boolean } | { status: 'in'; user: SessionUser };

function loginPath(expired: boolean): string {
  const back = location.pathname === '/login' ? new URLSearchParams(location.search).get('next') : location.pathname + location.search;
  const q = new URLSearchParams();
  if (back && back !== '/') q.set('next', back);
  if (expired) q.set('expired', '1');
  const s = q.toString();
  return `/login${s ? `?${s}` : ''}`;
}

/** The page to return to after login: a path of this site only (`/\other.host` parses as another origin). */
function sameSitePath(next: string | null): string | null {
  if (!next) return null;
  try {
    const url = new URL(next, location.origin);
    return url.origin === location.origin ? url.pathname + url.search : null;
  } catch {
    return null;
  }
}

export function App() {
  const [session, setSession] = useState<SessionState>({ status: 'checking' });
  const [, setLangTick] = useState(0);
  const { path, query } = useLocation();

  useEffect(() => {
    // A request that comes back 401 means the session ended (expired or revoked elsewhere).
    setUnauthenticatedHandler(() => {
      setSession((s) => {
        if (s.status === 'in') navigate(loginPath(true), true);
        return { status: 'out', expired: true };
      });
    });
    api.get<SessionUser>('/api/auth/me').then(
      (user) => setSession({ status: 'in', user }),
      () => setSession({ status: 'out' }),
    );
  }, []);

  const switchLang = () => {
    setLang(currentLang() === 'zh' ? 'en' : 'zh');
    setLangTick((n) => n + 1);
  };

  if (session.status === 'checking') return <Loading />;

  if (session.status === 'out') {
    if (path !== '/login') {
      navigate(loginPath(false), true);
      return <Loading />;
    }
    return (
      <LoginPage
        expired={query.get('expired') === '1'}
        onSwitchLang={switchLang}
        onLogin={(user) => {
          setSession({ status: 'in', user });
          const next = query.get('next');
          navigate(sameSitePath(next) ?? HOME[user.role], true);
        }}
      />
    );
  }

  const { user } = session;
  if ((path === '/' || path === '/login') && HOME[user.role] !== path) {
    navigate(HOME[user.role], true);
    return <Loading />;
  }

  // A password an admin set: the API refuses everything but changing it, so the password page is all there is.
  if (user.mustChangePassword && path !== '/password') {
    navigate('/password', true);
    return <Loading />;
  }

  const logout = async () => {
    try {
      await api.post('/api/auth/logout');
    } finally {
      setSession({ status: 'out' });
      navigate('/login', true);
    }
  };

  // Station and integration accounts have no pages: they use the API (HOME sends them to '/').
  let content = <p class="msg msg-error">{t(path === '/' ? 'page.forbidden' : 'page.notFound')}</p>;
  for (const route of ROUTES) {
    const params = matchPath(route.pattern, path);
    if (!params) continue;
    const Page = route.page;
    content = route.roles.includes(user.role) ? (
      <Page params={params} query={query} />
    ) : (
      <p class="msg msg-error" data-testid="forbidden">
        {t('page.forbidden')}
      </p>
    );
    break;
  }

  const nav = ROUTES.filter((r) => r.nav && r.roles.includes(user.role));
  return (
    <SessionContext.Provider value={user}>
      <header class="topbar">
        <Link href={HOME[user.role]} class="brand">
          {t('appName')}
        </Link>
        <nav>
          {nav.map((r) => (
            <Link key={r.pattern} href={r.pattern} class={path === r.pattern || path.startsWith(`${r.pattern}/`) ? 'active' : ''}>
              {t(r.nav!)}
            </Link>
          ))}
          {user.role === 'admin' ? <a href="/admin/queues">{t('nav.queues')}</a> : null}
        </nav>
        <div class="who">
          <span data-testid="whoami">
            {user.username} · {t(`role.${user.role}`)}
            {user.unitCode ? ` · ${user.unitCode}` : ''}
          </span>
          <Link href="/password" data-testid="change-password">
            {t('nav.password')}
          </Link>
          <button type="button" class="link" onClick={switchLang} data-testid="lang-switch">
            {t('nav.language')}
          </button>
          <button type="button" class="link" onClick={logout} data-testid="logout">
            {t('nav.logout')}
          </button>
        </div>
      </header>
      <main key={currentLang()}>{content}</main>
    </SessionContext.Provider>
  );
}
