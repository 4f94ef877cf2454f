import type { Page } from 'playwright-core';
import { logIn, passwordOf, screenshot, startBrowserSystem, type BrowserSystem } from './support';
import { createUser } from '../../src/directory/users';
import { userWithToken } from '../support/harness';

// What every user goes through: logging in (and being sent back to the page they asked for), the language,
// logging out, and a session that ends under them.
let sys: BrowserSystem;
beforeAll(async () => {
  sys = await startBrowserSystem();
}, 90_000);
afterAll(() => sys?.close());

const loginRequests = (page: Page) => {
  let n = 0;
  page.on('request', (r) => {
    if (r.url().endsWith('/api/auth/login')) n++;
  });
  return () => n;
};

test('a deep link asks for a login first and then opens the page asked for', async () => {
  const { page, close } = await sys.newSession();
  try {
    await page.goto(`${sys.base}/compliance?from=2026-01`);
    await page.waitForURL(/\/login\?next=/);
    await logIn(page, sys.base, 'sup-zf1', '/compliance?from=2026-01');
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/compliance?from=2026-01');
    await expect(page.textContent('[data-testid=whoami]')).resolves.toContain('sup-zf1');
  } finally {
    await close();
  }
}, 60_000);

test('a wrong password is refused with a message, and empty fields are not sent', async () => {
  const { page, close } = await sys.newSession();
  try {
    const sent = loginRequests(page);
    await page.goto(`${sys.base}/login`);
    await page.click('button[type=submit]');
    await page.waitForSelector('text=请填写用户名和密码');
    expect(sent()).toBe(0);
    await page.fill('input[name=username]', 'rev-zf1');
    await page.fill('input[name=password]', 'not the password');
    await page.click('button[type=submit]');
    await page.waitForSelector('[role=alert]');
    expect(await page.textContent('[role=alert]')).toContain('用户名或密码错误');
    expect(sent()).toBe(1);
    expect(new URL(page.url()).pathname).toBe('/login');
    await screenshot(page, 'login-refused');
  } finally {
    await close();
  }
}, 60_000);

test('Chinese by default; the English choice is kept across reloads and logins', async () => {
  const { page, close } = await sys.newSession();
  try {
    await page.goto(`${sys.base}/login`);
    expect(await page.textContent('h2')).toBe('登录');
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    await page.click('[data-testid=lang-switch]');
    expect(await page.textContent('h2')).toBe('Log in');
    await page.reload();
    expect(await page.textContent('h2')).toBe('Log in');
    await page.fill('input[name=username]', 'rev-zf1');
    await page.fill('input[name=password]', passwordOf('rev-zf1'));
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=whoami]');
    expect(await page.textContent('[data-testid=whoami]')).toContain('Reviewer');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await page.click('[data-testid=lang-switch]');
    expect(await page.textContent('[data-testid=whoami]')).toContain('审核');
  } finally {
    await close();
  }
}, 60_000);

test('logging out ends the session: the pages and the API ask for a login again', async () => {
  const { page, close } = await sys.newSession();
  try {
    await logIn(page, sys.base, 'rev-zf1');
    await page.click('[data-testid=logout]');
    await page.waitForURL(/\/login$/);
    const me = await page.evaluate(async () => (await fetch('/api/auth/me')).status);
    expect(me).toBe(401);
    await page.goto(`${sys.base}/cases`);
    await page.waitForURL(/\/login\?next=%2Fcases/);
  } finally {
    await close();
  }
}, 60_000);

test('a session that ends under the user (expired or revoked) sends them to the login page with the reason', async () => {
  const { page, close } = await sys.newSession();
  try {
    await logIn(page, sys.base, 'rev-zf1');
    await sys.system.env.ctx.pool.query(
      `UPDATE auth_tokens SET expires_at = now() - interval '1 second' WHERE kind = 'session' AND user_id = (SELECT id FROM users WHERE username = 'rev-zf1')`,
    );
    // The next thing the page asks of the API is refused: the app goes to the login page and says why.
    await page.click('nav >> text=录像');
    // A function, not a string: the page's CSP forbids evaluating strings.
    await page.waitForFunction(() => {
      const { pathname, search } = (globalThis as unknown as { location: { pathname: string; search: string } }).location;
      return pathname === '/login' && search === '?next=%2Frecordings&expired=1';
    });
    await page.waitForSelector('text=登录已过期，请重新登录');
    await logIn(page, sys.base, 'rev-zf1', '/recordings');
    expect(new URL(page.url()).pathname).toBe('/recordings');
  } finally {
    await close();
  }
}, 60_000);

test('an address that is no page says so, inside the application', async () => {
  const { page, close } = await sys.newSession();
  try {
    await logIn(page, sys.base, 'rev-zf1');
    await page.goto(`${sys.base}/no-such-page`);
    await page.waitForSelector('text=页面不存在');
  } finally {
    await close();
  }
}, 60_000);

test('a docking station account has no pages and is told so; a return address off this site is ignored', async () => {
  const { page, close } = await sys.newSession();
  try {
    await logIn(page, sys.base, 'dock-01');
    await page.waitForSelector('text=您的角色无权访问此页面');
    expect(new URL(page.url()).pathname).toBe('/');
  } finally {
    await close();
  }
  const second = await sys.newSession();
  try {
    await second.page.goto(`${sys.base}/login?next=${encodeURIComponent('/\\evil.example/x')}`);
    await second.page.fill('input[name=username]', 'rev-zf1');
    await second.page.fill('input[name=password]', passwordOf('rev-zf1'));
    await second.page.click('button[type=submit]');
    await second.page.waitForSelector('[data-testid=whoami]');
    expect(new URL(second.page.url()).origin).toBe(sys.base);
    expect(new URL(second.page.url()).pathname).toBe('/cases');
  } finally {
    await second.close();
  }
}, 60_000);

test('a user changes their own password: checked before sending, refused at the field when the current one is wrong; their other logins end', async () => {
  await userWithToken(sys.system.env, 'rev-pw', 'reviewer');
  const mine = await sys.newSession();
  const elsewhere = await sys.newSession();
  try {
    await logIn(elsewhere.page, sys.base, 'rev-pw');
    const { page } = mine;
    await logIn(page, sys.base, 'rev-pw');
    const sent = (() => {
      let n = 0;
      page.on('request', (r) => {
        if (r.url().endsWith('/api/auth/password')) n++;
      });
      return () => n;
    })();
    await page.click('[data-testid=change-password]');
    await page.waitForURL(/\/password$/);

    // Empty, then two new passwords that differ: shown at their fields, nothing sent.
    await page.click('[data-testid=password-submit]');
    await page.waitForSelector('.field-invalid >> text=当前密码');
    await page.fill('input[name=currentPassword]', 'not my password');
    await page.fill('input[name=newPassword]', 'my own new secret');
    await page.fill('input[name=repeat]', 'my own new secret!');
    await page.click('[data-testid=password-submit]');
    await page.waitForSelector('text=两次输入的新密码不一致');
    expect(sent()).toBe(0);

    // A wrong current password: the API refuses it, the page says so at that field.
    await page.fill('input[name=repeat]', 'my own new secret');
    await page.click('[data-testid=password-submit]');
    await page.waitForSelector('.field-invalid >> text=当前密码输入有误');
    expect(sent()).toBe(1);

    // After a refusal the fields keep what was typed: only the current password is typed again.
    await page.fill('input[name=currentPassword]', passwordOf('rev-pw'));
    await page.click('[data-testid=password-submit]');
    await page.waitForSelector('[role=status] >> text=密码已修改');
    expect(await page.inputValue('input[name=currentPassword]')).toBe('');
    await screenshot(page, 'password-changed');

    // This session goes on; the one in the other browser is sent to the login page, where the new password works.
    await page.click('nav >> text=案件');
    await page.waitForURL(/\/cases/);
    await elsewhere.page.click('nav >> text=录像');
    await elsewhere.page.waitForSelector('text=登录已过期，请重新登录');
    await elsewhere.page.fill('input[name=username]', 'rev-pw');
    await elsewhere.page.fill('input[name=password]', 'my own new secret');
    await elsewhere.page.click('button[type=submit]');
    await elsewhere.page.waitForSelector('[data-testid=whoami]');
  } finally {
    await mine.close();
    await elsewhere.close();
  }
}, 90_000);

test('a password an admin set: the first login leads to the password page and nowhere else until it is changed', async () => {
  const env = sys.system.env;
  await createUser(env.ctx.pool, { username: 'rev-forced', password: passwordOf('rev-forced'), role: 'reviewer', mustChangePassword: true }, env.config.auth.passwordMinLength);
  const { page, close } = await sys.newSession();
  try {
    await logIn(page, sys.base, 'rev-forced');
    await page.waitForURL(/\/password$/);
    await page.waitForSelector('[data-testid=password-required]');
    await page.click('nav >> text=案件');
    await page.waitForURL(/\/password$/);
    await screenshot(page, 'password-required');
    await page.fill('input[name=currentPassword]', passwordOf('rev-forced'));
    await page.fill('input[name=newPassword]', 'rev forced has its own');
    await page.fill('input[name=repeat]', 'rev forced has its own');
    await page.click('[data-testid=password-submit]');
    await page.waitForURL(/\/cases$/);
    await page.waitForSelector('[data-testid=whoami]');
    expect(await page.locator('[data-testid=password-required]').count()).toBe(0);
  } finally {
    await close();
  }
}, 60_000);
