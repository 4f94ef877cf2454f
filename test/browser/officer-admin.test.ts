import type { Page } from 'playwright-core';
import { logIn, screenshot, startBrowserSystem, type BrowserSystem } from './support';
import { expectPlaying } from './video';
import { seedScenario, type Scenario } from './scenario';

// The officer's own pages and the admin's: what each role is offered, and the main paths through them.
let sys: BrowserSystem;
let scenario: Scenario;
beforeAll(async () => {
  sys = await startBrowserSystem();
  scenario = await seedScenario(sys.system);
}, 90_000);
afterAll(() => sys?.close());

const pathOf = (page: Page) => new URL(page.url()).pathname;

interface ImageLike {
  complete: boolean;
  naturalWidth: number;
}
type InPage = { document: { querySelectorAll(s: string): ArrayLike<ImageLike> } };
// Predicates run in the page as self-contained functions: the CSP forbids evaluating strings there.
const thumbnailLoaded = () =>
  Array.from((globalThis as unknown as InPage).document.querySelectorAll('img[data-testid=thumb]')).some((img) => img.complete && img.naturalWidth > 0);

/** API paths the page asked for, to show a page never even asked for data its role may not see. */
function apiRequests(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.pathname.startsWith('/api/')) seen.push(`${r.method()} ${url.pathname}`);
  });
  return seen;
}

test('an officer sees only their own footage with thumbnails and cases, plays it, sees their dockings, and no supervisor page', async () => {
  const { page, close } = await sys.newSession();
  try {
    const requests = apiRequests(page);
    await logIn(page, sys.base, 'zhangsan');
    expect(pathOf(page)).toBe('/my/recordings');

    await page.waitForSelector('[data-testid=my-recording-row]');
    const ids = await page.$$eval('[data-testid=my-recording-row]', (rows) => rows.map((r) => r.getAttribute('data-id')));
    expect(ids.sort()).toEqual([scenario.recordingIds[0], scenario.unlinkedId].sort());
    const linked = page.locator(`[data-testid=my-recording-row][data-id="${scenario.recordingIds[0]}"]`);
    expect(await linked.locator('[data-testid=my-recording-cases]').textContent()).toContain(scenario.caseNo);
    const unlinked = page.locator(`[data-testid=my-recording-row][data-id="${scenario.unlinkedId}"]`);
    expect(await unlinked.locator('[data-testid=my-recording-cases]').textContent()).toContain('未关联案件');
    await page.waitForFunction(thumbnailLoaded);
    await screenshot(page, 'my-recordings');

    // The officer's own footage plays on the recording page.
    await linked.locator('[data-testid=my-recording-link]').click();
    await page.waitForURL(`**/recordings/${scenario.recordingIds[0]}`);
    await expectPlaying(page, 'video', 0.5);

    await page.click('nav >> text=归档记录');
    await page.waitForSelector('[data-testid=docking-row]');
    const docking = await page.textContent('[data-testid=docking-row]');
    expect(docking).toContain('dock-01');
    // Only the officer's own two files of that docking (100002's is not theirs).
    expect(docking).toContain('2 个文件');
    expect(docking).toContain('可播放 2');
    await screenshot(page, 'my-dockings');

    // Nothing of the supervisors' is offered, and their pages say so without asking the API for their data.
    const navLinks = await page.$$eval('header nav a', (links) => links.map((a) => a.getAttribute('href')));
    expect(navLinks).toEqual(['/my/recordings', '/my/dockings']);
    for (const path of ['/compliance', '/spot-checks']) {
      await page.goto(`${sys.base}${path}`);
      await page.waitForSelector('[data-testid=forbidden]');
    }
    expect(requests.filter((r) => /\/api\/(compliance|spot-checks|bulletins|cases)/.test(r))).toEqual([]);

    // The same page in English.
    await page.goto(`${sys.base}/my/recordings`);
    await page.click('[data-testid=lang-switch]');
    await page.waitForSelector('h1:text("My recordings")');
    await page.waitForSelector('[data-testid=my-recording-row]');
    expect(await unlinked.locator('[data-testid=my-recording-cases]').textContent()).toContain('Not linked');

    // A recording still in the pipeline shows its progress, and the row catches up by itself once it is done.
    await page.route(/\/api\/recordings\?/, async (route) => {
      const response = await route.fetch();
      const body = await response.json();
      Object.assign(body.items[0], { status: 'processing', progress: 0.4, playback: null });
      await route.fulfill({ response, json: body });
    });
    await page.reload();
    await page.waitForSelector('[role=progressbar][aria-valuenow="40"]');
    await page.waitForSelector('text=Some recordings are being processed');
    await page.waitForSelector('[role=progressbar]', { state: 'detached' });
    expect(await page.locator('[data-testid=my-recording-row]').first().textContent()).toContain('Ready');
    await page.waitForSelector(`[data-testid=my-recording-row][data-id="${scenario.unlinkedId}"] img[data-testid=thumb]`);
  } finally {
    await close();
  }
}, 90_000);

test('the admin imports the directory, creates a reviewer, reads a recorder history, holds the case and previews retention', async () => {
  const { page, close } = await sys.newSession();
  try {
    const requests = apiRequests(page);
    await logIn(page, sys.base, 'root');
    expect(pathOf(page)).toBe('/admin');
    await page.waitForSelector('[data-testid=units-table] >> text=ZF1');

    // Directory import: the good row creates an officer, the bad one is reported with its line.
    await page.click('.admin-tabs >> text=名册导入');
    const csv = [
      'unit_code,unit_name,badge_no,officer_name,recorder_serial,assigned_from',
      'ZF1,执法一股,100003,赵六,DSJ0009,2026-01-05 08:00:00',
      'ZF1,执法一股,100_004,钱七,,',
    ].join('\r\n');
    await page.click('[data-testid=import-submit]');
    await page.waitForSelector('text=请选择文件');
    expect(requests.filter((r) => r === 'POST /api/directory/import')).toEqual([]);
    await page.setInputFiles('[data-testid=import-file]', { name: '名册.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.click('[data-testid=import-submit]');
    await page.waitForSelector('[data-testid=import-result]');
    const errors = await page.$$eval('[data-testid=import-error]', (rows) => rows.map((r) => r.getAttribute('data-line')));
    expect(errors).toEqual(['3']);
    expect(await page.textContent('[data-testid=import-error]')).toContain('badge');
    await screenshot(page, 'admin-import');

    await page.click('.admin-tabs >> text=执法人员');
    await page.waitForSelector('[data-testid=officer-row][data-badge="100003"]');
    expect(await page.textContent('[data-testid=officer-row][data-badge="100003"]')).toContain('赵六');
    await screenshot(page, 'admin-officers');

    // A new reviewer: the form refuses a bad username before sending, then creates the user.
    await page.click('.admin-tabs >> text=用户');
    await page.waitForSelector('[data-testid=user-row]');
    const form = page.locator('[data-testid=user-form]');
    await form.locator('input[name=username]').fill('r');
    await form.locator('input[name=password]').fill('pw-reviewer-two-long');
    await page.click('[data-testid=user-create]');
    await form.locator('.field-error').first().waitFor();
    expect(requests.filter((r) => r === 'POST /api/users')).toEqual([]);
    await form.locator('input[name=username]').fill('rev-zf1-b');
    await form.locator('select[name=role]').selectOption('reviewer');
    await form.locator('select[name=unitCode]').selectOption('ZF1');
    await page.click('[data-testid=user-create]');
    await page.waitForSelector('[data-testid=user-row][data-username="rev-zf1-b"]');
    expect(await page.textContent('[data-testid=user-row][data-username="rev-zf1-b"]')).toContain('审核');

    // The reviewer forgets it: the admin resets the password (too short is refused before sending), their
    // login ends, and the new one works.
    const login = (password: string) =>
      fetch(`${sys.base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'rev-zf1-b', password }) });
    const before = await login('pw-reviewer-two-long');
    expect(before.status).toBe(200);
    const oldToken = ((await before.json()) as { token: string }).token;
    await page.click('[data-testid=user-row][data-username="rev-zf1-b"] [data-testid=reset-password]');
    const reset = page.locator('[data-testid=reset-password-form]');
    await reset.locator('input[name=password]').fill('short');
    await page.click('[data-testid=reset-password-submit]');
    await reset.locator('.field-error').waitFor();
    expect(requests.filter((r) => r === 'PATCH /api/users/rev-zf1-b')).toEqual([]);
    await reset.locator('input[name=password]').fill('a fresh password for b');
    await page.click('[data-testid=reset-password-submit]');
    await reset.locator('[role=status] >> text=密码已重置').waitFor();
    expect((await fetch(`${sys.base}/api/auth/me`, { headers: { authorization: `Bearer ${oldToken}` } })).status).toBe(401);
    expect((await login('pw-reviewer-two-long')).status).toBe(401);
    expect((await login('a fresh password for b')).status).toBe(200);
    await screenshot(page, 'admin-reset-password');

    await page.click('.admin-tabs >> text=记录仪');
    await page.click('[data-testid=recorder-row][data-serial=DSJ0001] button');
    await page.waitForSelector('[data-testid=assignment-row]');
    const history = await page.textContent('[data-testid=recorder-history]');
    expect(history).toContain('100001');
    expect(history).toContain('最初');

    // A legal hold on the case, seen in the list of holds.
    await page.click('.admin-tabs >> text=法律保全');
    const hold = page.locator('[data-testid=hold-form]');
    await hold.locator('input[name=target]').fill(scenario.caseNo);
    await hold.locator('input[name=reason]').fill('行政复议期间保全');
    await page.click('[data-testid=hold-place]');
    await page.waitForSelector(`[data-testid=holds-cases] >> text=${scenario.caseNo}`);
    expect(await page.textContent('[data-testid=holds-cases]')).toContain('行政复议期间保全');
    await screenshot(page, 'admin-holds');

    await page.click('.admin-tabs >> text=到期清理预览');
    await page.waitForSelector('[data-testid=retention-summary]');
    // As of September 2026 the unlinked clip's six months are over; the case's footage is kept (open case, hold).
    await page.fill('input[name=at]', '2026-09-01T00:00');
    await page.click('[data-testid=retention-run]');
    await page.waitForSelector('[data-testid=retention-summary] >> text=2026-09-01 00:00:00');
    const due = await page.$$eval('[data-testid=retention-row]', (rows) => rows.map((r) => r.textContent ?? ''));
    expect(due).toHaveLength(1);
    expect(due[0]).toContain('DSJ0001_20260203_150000_0002');
    expect(await page.textContent('[data-testid=retention-summary]')).toContain('将删除 1 个录像');
    await screenshot(page, 'admin-retention');

    // Lifting asks for the reason first, and the hold leaves the list.
    await page.click('.admin-tabs >> text=法律保全');
    await page.click('[data-testid=hold-lift]');
    await page.click('[data-testid=hold-lift-confirm]');
    await page.waitForSelector('[data-testid=holds-cases] .field-error');
    await page.fill('[data-testid=hold-lift-reason]', '复议结束');
    await page.click('[data-testid=hold-lift-confirm]');
    await page.waitForSelector('[data-testid=holds-cases]', { state: 'detached' });
    expect((await sys.system.env.ctx.pool.query(`SELECT hold FROM cases WHERE case_no = $1`, [scenario.caseNo])).rows[0].hold).toBeNull();
  } finally {
    await close();
  }
}, 90_000);
