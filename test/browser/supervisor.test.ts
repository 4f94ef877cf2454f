import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { seedScenario } from './scenario';
import { logIn, screenshot, startBrowserSystem, type BrowserSystem } from './support';
import { expectPlaying } from './video';

// The supervisor's journey (issue 7): the compliance dashboard, a spot check drawn from the form, its item
// worked through with the footage playing beside the checklist, the bulletin issued and downloaded; a
// supervisor of another unit does not see the check, and an officer is not offered these pages.

let sys: BrowserSystem;
let session: { page: Page; close(): Promise<void> };
let checkId: string;

beforeAll(async () => {
  sys = await startBrowserSystem();
  await seedScenario(sys.system);
  session = await sys.newSession();
}, 90_000);
afterAll(async () => {
  await session?.close();
  await sys?.close();
});

/** A journey of another user, in a browser context of their own. */
async function asUser(username: string, journey: (page: Page) => Promise<void>): Promise<void> {
  const { page, close } = await sys.newSession();
  try {
    await logIn(page, sys.base, username);
    await journey(page);
  } finally {
    await close();
  }
}

const UUID = /\/spot-checks\/([0-9a-f-]{36})/;
const text = (page: Page, selector: string) => page.locator(selector).first().innerText();

const VIDEO = '[data-testid=item-player] video';
type InPage = { scrollTo(x: number, y: number): void };

/** Back to the top before a full-page screenshot: the top bar and the player are sticky, and would show where the page was scrolled to. */
const toTop = (page: Page) => page.evaluate(() => (globalThis as unknown as InPage).scrollTo(0, 0));

test('the supervisor lands on the compliance dashboard and sees the unit figures of February 2026', async () => {
  const { page } = session;
  await logIn(page, sys.base, 'sup-zf1');
  expect(new URL(page.url()).pathname).toBe('/compliance');
  await page.fill('input[name=from]', '2026-01');
  await page.fill('input[name=to]', '2026-03');
  await page.click('[data-testid=compliance-filters] button[type=submit]');
  await page.waitForURL(/from=2026-01&to=2026-03/);
  // Both officers recorded, on their own recorders, docked the same day; 8 s of a 20 min inspection is not the full process.
  await page.waitForSelector('[data-testid="rate-ZF1-2026-02-recording"]');
  expect(await text(page, '[data-testid="rate-ZF1-2026-02-recording"] .cmp-rate')).toBe('100.0%');
  expect(await text(page, '[data-testid="rate-ZF1-2026-02-onTime"] .cmp-rate')).toBe('100.0%');
  expect(await text(page, '[data-testid="rate-ZF1-2026-02-fullProcess"] .cmp-rate')).toBe('0.0%');
  expect(await text(page, '[data-testid="rate-ZF1-2026-01-recording"] .cmp-rate')).toBe('—');
  expect(await page.locator('[data-testid=chart-recording] svg rect').count()).toBeGreaterThan(0);
  expect(await page.locator('[data-testid=officer-table] tbody tr').count()).toBe(2);
  await screenshot(page, 'compliance');

  // A row of the officer table filters the dashboard by that officer.
  await page.click('[data-testid=officer-100002]');
  await page.waitForURL(/badgeNo=100002/);
  await page.waitForSelector('[data-testid=officer-months]');
  expect(await text(page, '[data-testid=officer-months] h2')).toContain('100002');
}, 90_000);

test('a spot check is checked before it is sent, then opened from the form; its page shows the seed', async () => {
  const { page } = session;
  await page.click('nav >> text=抽查');
  await page.waitForURL(/\/spot-checks$/);
  await page.click('[data-testid=open-check]');
  await page.fill('[data-testid=open-form] input[name=from]', '2026-02-03');
  await page.fill('[data-testid=open-form] input[name=to]', '2026-02-03');
  // A supervisor with a unit checks that unit only: it is ticked and cannot be unticked.
  expect(await page.isChecked('[data-testid=open-form] input[name=unit][value=ZF1]')).toBe(true);
  expect(await page.isDisabled('[data-testid=open-form] input[name=unit][value=ZF1]')).toBe(true);

  let posted = 0;
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().endsWith('/api/spot-checks')) posted++;
  });
  await page.fill('[data-testid=open-form] input[name=ratio]', '150');
  await page.click('[data-testid=open-submit]');
  await page.waitForSelector('[data-testid=open-form] .field-error');
  expect(await text(page, '[data-testid=open-form] .field-error')).toContain('不超过 100%');
  expect(posted).toBe(0);
  await screenshot(page, 'spot-check-open');

  await page.fill('[data-testid=open-form] input[name=ratio]', '100');
  await page.click('[data-testid=open-submit]');
  await page.waitForURL(UUID);
  checkId = UUID.exec(page.url())![1]!;
  expect(posted).toBe(1);
  await page.waitForSelector('[data-testid=seed]');
  const seed = await page.inputValue('[data-testid=seed]');
  const stored = await sys.system.env.ctx.pool.query<{ seed: string }>('SELECT seed FROM spot_checks WHERE id = $1', [checkId]);
  expect(seed).toBe(stored.rows[0]!.seed);
  expect(seed.length).toBeGreaterThan(0);
  expect(await page.locator('.sc-items li').count()).toBe(1);
  await screenshot(page, 'spot-check');
}, 90_000);

test('the item: its footage plays beside the checklist, and the M1–M4 verdicts and note are saved', async () => {
  const { page } = session;
  await page.click('.sc-items a');
  await page.waitForURL(/\?item=\d+/);
  await page.waitForSelector('[data-testid=checklist]');
  // The automatic findings with their evidence: the full process is not recorded (8 s clips in 20 min).
  expect(await text(page, '[data-testid=finding-R2] .sc-finding-head .badge')).toBe('不合格');
  expect(await text(page, '[data-testid=finding-R2]')).toContain('最长中断');
  expect(await text(page, '[data-testid=finding-R1] .sc-finding-head .badge')).toBe('合格');

  // "Plays": time advances, frames are decoded, a picture has a size, no error.
  await expectPlaying(page, VIDEO, 0.5);

  // Nothing chosen: the form says so and sends nothing.
  await page.click('[data-testid=save-verdicts]');
  await page.waitForSelector('[data-testid=verdict-form] .field-error');
  for (const m of ['M1', 'M2', 'M4']) await page.check(`input[name=verdict-${m}][value=pass]`);
  await page.check('input[name=verdict-M3][value=fail]');
  await page.fill('[data-testid=verdict-form] textarea[name=note]', '执法人员未使用规范用语\n已当面提醒');
  await toTop(page);
  await screenshot(page, 'spot-check-item');
  await page.click('[data-testid=save-verdicts]');
  await page.waitForSelector('text=检查结果已保存');

  // Kept: after a reload the verdicts are there (the check is complete now, so they are shown, not offered).
  await page.reload();
  await page.waitForSelector('[data-testid=verdict-M1] .badge');
  expect(await text(page, '[data-testid=verdict-M1] .badge')).toBe('合格');
  expect(await text(page, '[data-testid=verdict-M3] .badge')).toBe('不合格');
  expect(await text(page, '[data-testid=verdict-form] .sc-note')).toContain('执法人员未使用规范用语 已当面提醒');
  expect(await text(page, '[data-testid=verdict-M2]')).toContain('sup-zf1');
  expect(await page.locator('[data-testid=save-verdicts]').count()).toBe(0);
  await page.waitForSelector('.page-actions >> text=已完成');
}, 90_000);

test('the bulletin is issued, its PDF downloads, and it is listed with the past bulletins', async () => {
  const { page } = session;
  await page.selectOption('[data-testid=issue-form] select[name=locale]', 'zh-CN');
  await page.click('[data-testid=issue-bulletin]');
  await page.waitForSelector('text=通报已签发');
  const pdfLink = '[data-testid=bulletin-section] [data-testid=bulletin-pdf]';
  await page.waitForSelector(pdfLink);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(pdfLink)]);
  const pdf = await readFile((await download.path())!);
  expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  // Issued once: the form now offers a correction, not a second bulletin.
  await page.waitForSelector('[data-testid=reissue]');

  await page.click('nav >> text=抽查');
  await page.waitForSelector(`[data-testid=check-${checkId}]`);
  expect(await text(page, '[data-testid=spot-check-row]')).toContain('〔2026〕第 1 期');
  await screenshot(page, 'spot-checks');
  await page.click('nav >> text=通报');
  await page.waitForURL(/\/bulletins$/);
  await page.waitForSelector('[data-testid=bulletin-row]');
  expect(await page.locator('[data-testid=bulletin-row]').count()).toBe(1);
  expect(await text(page, '[data-testid=bulletin-row]')).toContain('现行');
  expect(await page.getAttribute('[data-testid=bulletin-row] a[href^="/spot-checks/"]', 'href')).toBe(`/spot-checks/${checkId}`);
  await screenshot(page, 'bulletins');
}, 90_000);

test('the same seed redraws the same sample; a draw is abandoned with a reason, and stays on record', async () => {
  const { page } = session;
  const seed = await sys.system.env.ctx.pool.query<{ seed: string }>('SELECT seed FROM spot_checks WHERE id = $1', [checkId]);
  await page.goto(`${sys.base}/spot-checks?open=1`);
  await page.fill('[data-testid=open-form] input[name=from]', '2026-02-03');
  await page.fill('[data-testid=open-form] input[name=to]', '2026-02-03');
  await page.check('[data-testid=open-form] input[name=mode][value=perUnit]');
  await page.fill('[data-testid=open-form] input[name=perUnit]', '1');
  await page.fill('[data-testid=open-form] input[name=seed]', seed.rows[0]!.seed);
  await page.click('[data-testid=open-submit]');
  await page.waitForURL((url) => UUID.test(url.pathname) && !url.pathname.includes(checkId));
  expect(await page.inputValue('[data-testid=seed]')).toBe(seed.rows[0]!.seed);
  expect(await text(page, '.sc-items li')).toContain('某交执罚〔2026〕208号');
  expect(await text(page, '.sc-head')).toContain('每单位 1 项');
  // Both draws of the period count, so trying seeds until one suits would show.
  expect(await text(page, '.sc-head dd >> nth=4')).toMatch(/^2/);

  await page.click('[data-testid=abandon]');
  await page.click('[data-testid=abandon-confirm]');
  await page.waitForSelector('.sc-abandon .field-error');
  await page.fill('.sc-abandon textarea[name=reason]', '期间填写有误，重新抽取');
  await page.click('[data-testid=abandon-confirm]');
  await page.waitForSelector('[data-testid=check-status] >> text=已放弃');
  expect(await text(page, '.sc-head')).toContain('期间填写有误，重新抽取');
  expect(await page.locator('[data-testid=abandon]').count()).toBe(0);
  expect(await page.locator('[data-testid=bulletin-section]').count()).toBe(0);
}, 90_000);

test('the same pages in English', async () => {
  const { page } = session;
  await page.click('[data-testid=lang-switch]');
  await page.goto(`${sys.base}/compliance?from=2026-01&to=2026-03`);
  await page.waitForSelector('[data-testid="rate-ZF1-2026-02-ownRecorder"]');
  expect(await text(page, '[data-testid=chart-recording] figcaption')).toContain('Recording rate');
  await page.goto(`${sys.base}/spot-checks/${checkId}`);
  await page.click('.sc-items a');
  await page.waitForSelector('[data-testid=checklist]');
  expect(await text(page, 'h1')).toBe('Spot check 2026-02-03 to 2026-02-03');
  expect(await text(page, '[data-testid=finding-R2]')).toContain('Longest gap');
  expect(await text(page, '[data-testid=verdict-M3] .badge')).toBe('Fail');
  await toTop(page);
  await screenshot(page, 'spot-check-item-en');
  await page.click('[data-testid=lang-switch]');
}, 90_000);

test('a supervisor of another unit does not see the check, nor open it by its address', () =>
  asUser('sup-zf2', async (page) => {
    await page.goto(`${sys.base}/spot-checks`);
    await page.waitForSelector('.list-footer >> text=没有记录');
    expect(await page.locator(`[data-testid=check-${checkId}]`).count()).toBe(0);
    await page.goto(`${sys.base}/spot-checks/${checkId}`);
    await page.waitForSelector('[role=alert]');
    // The API's English detail comes with what it means in the reader's language.
    expect(await page.textContent('[role=alert]')).toMatch(/^(不在您所在单位的管辖范围内|未找到，可能已被删除或地址有误)（.+）$/);
    expect(await page.locator('[data-testid=seed]').count()).toBe(0);
    await page.goto(`${sys.base}/bulletins`);
    await page.waitForSelector('.list-footer >> text=没有记录');
  }), 90_000);

test('an officer is offered none of these pages and cannot reach them by address', () =>
  asUser('zhangsan', async (page) => {
    expect(await page.locator('nav >> text=合规看板').count()).toBe(0);
    for (const path of ['/compliance', '/spot-checks', `/spot-checks/${checkId}`, '/bulletins']) {
      await page.goto(`${sys.base}${path}`);
      await page.waitForSelector('[data-testid=forbidden]');
    }
  }), 90_000);
