import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import request from 'supertest';
import { unzip } from '../evidence/helpers';
import { logIn, screenshot, SCREENSHOT_DIR, startBrowserSystem, type BrowserSystem } from './support';
import { expectPlaying, framesKeepGrowing, type VideoLike } from './video';
import { seedScenario, type Scenario } from './scenario';

// The reviewer's journey through the evidence of a case, in both languages: find the case, watch the footage
// (it really plays, and seeks), export the package, read the custody log, unlink and link again.

let sys: BrowserSystem;
let scenario: Scenario;
const sha: Record<string, string> = {};

// 16 s clips: after a seek to 75 % there are seconds of footage left to watch frames being decoded.
const CLIP_S = 16;

beforeAll(async () => {
  sys = await startBrowserSystem();
  scenario = await seedScenario(sys.system, { seconds: CLIP_S });
  for (const id of scenario.recordingIds) {
    const res = await request(sys.system.env.app).get(`/api/recordings/${id}`).set('Authorization', `Bearer ${sys.system.tokens.reviewer}`);
    sha[id] = res.body.sha256;
  }
}, 90_000);
afterAll(() => sys?.close());

const VIDEO = 'video[data-testid=player]';

/** Hovers the scrub bar at a fraction (the sprite preview shows that moment's tile), then clicks there. */
async function scrubTo(page: Page, fraction: number, shot?: string): Promise<number> {
  const scrub = page.locator('[data-testid=scrub-bar]');
  await scrub.scrollIntoViewIfNeeded();
  const bar = (await scrub.boundingBox())!;
  const x = bar.x + bar.width * fraction;
  const y = bar.y + bar.height / 2;
  await page.mouse.move(x, y);
  const tile = page.locator('[data-testid=scrub-preview] .scrub-tile');
  await tile.waitFor();
  const length = await page.locator(VIDEO).evaluate((v: VideoLike) => v.duration);
  // The server's sheet for a 16 s clip: 8 tiles of 2 s.
  expect(Number(await tile.getAttribute('data-tile'))).toBe(Math.floor((fraction * length) / 2));
  expect(await tile.evaluate((el: { style: { backgroundImage: string } }) => el.style.backgroundImage)).toContain('/thumbnail?kind=sprite');
  // What the reviewer sees while hovering (the viewport, not scrolled: the pointer stays where it is).
  if (shot) await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${shot}.png`) });
  await page.mouse.click(x, y);
  return fraction * length;
}

const textOf = async (page: Page, sel: string) => ((await page.textContent(sel)) ?? '').trim();
const bars = (page: Page) => page.locator('[data-testid=timeline-bar]');
const top = (page: Page) => page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));

type Doc = { document: { querySelectorAll(s: string): { length: number } } };
/** The results list has loaded (nothing in progress) with this many rows. */
const listSettled = (page: Page, rows: number) =>
  page.waitForFunction(
    (n: number) => {
      const d = (globalThis as unknown as Doc).document;
      return d.querySelectorAll('.list-footer .loading').length === 0 && d.querySelectorAll('[data-testid=case-row]').length === n;
    },
    rows,
  );

const WORDS = {
  zh: { search: '案件查询', export: '导出案件证据包', unlinked: '已取消关联', linked: '已关联到本案', reasonRequired: '请填写理由' },
  en: { search: 'Find a case', export: 'Export case package', unlinked: 'Unlinked', linked: 'Linked to this case', reasonRequired: 'Give a reason' },
};

async function reviewerJourney(lang: 'zh' | 'en'): Promise<void> {
  const words = WORDS[lang];
  const [firstId, secondId] = scenario.recordingIds as [string, string];
  const { page, close } = await sys.newSession();
  try {
    await logIn(page, sys.base, 'rev-zf1');
    expect(new URL(page.url()).pathname).toBe('/cases');
    if (lang === 'en') await page.click('[data-testid=lang-switch]');
    expect(await textOf(page, 'h1')).toBe(words.search);

    // A filter the API would refuse is pointed out and not sent; one that matches nothing says so.
    await page.fill('[data-testid=case-search] input[name=badgeNo]', '100 001');
    await page.click('[data-testid=case-search-submit]');
    await page.locator('[data-testid=case-search] .field-error').waitFor();
    expect(new URL(page.url()).search).toBe('');
    await page.fill('[data-testid=case-search] input[name=badgeNo]', '');
    await page.fill('[data-testid=case-search] input[name=q]', '〔1999〕');
    await page.click('[data-testid=case-search-submit]');
    await listSettled(page, 0);

    // Find the case by part of its number.
    await page.fill('[data-testid=case-search] input[name=q]', '〔2026〕208');
    await page.click('[data-testid=case-search-submit]');
    await page.waitForURL(/\/cases\?q=/);
    await listSettled(page, 1);
    const row = page.locator(`[data-testid=case-row][data-case-no="${scenario.caseNo}"]`);
    expect(await row.count()).toBe(1);
    if (lang === 'zh') await screenshot(page, 'case-search');

    // The case page: facts, both officers' footage on one timeline, the first recording in the player.
    await row.locator('[data-testid=case-link]').click();
    await page.waitForURL(`**/cases/${encodeURIComponent(scenario.caseNo)}`);
    expect(await textOf(page, '[data-testid=case-no]')).toBe(scenario.caseNo);
    await page.locator('[data-testid=timeline-lane]').nth(1).waitFor();
    expect(await page.locator('[data-testid=timeline-lane]').evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { badge: string } }).dataset.badge))).toEqual([
      '100001',
      '100002',
    ]);
    expect(await bars(page).count()).toBe(2);
    expect(await textOf(page, '[data-testid=export-case]')).toBe(words.export);
    expect(await textOf(page, '[data-testid=recording-sha256]')).toBe(sha[firstId]);

    await expectPlaying(page, VIDEO);
    await top(page);
    await screenshot(page, lang === 'zh' ? 'case-page' : 'case-page-en');

    // Seeking: the scrub bar at ~75 % (inside a tile, not on its edge) shows that moment's sprite tile and jumps there; playback goes on.
    const target = await scrubTo(page, 0.78, lang === 'zh' ? 'player-scrub-preview' : undefined);
    const at = await page.locator(VIDEO).evaluate((v: VideoLike) => v.currentTime);
    expect(at).toBeGreaterThanOrEqual(target - 0.5);
    expect(at).toBeLessThan(target + 3);
    await framesKeepGrowing(page, VIDEO);
    expect(await page.locator(VIDEO).evaluate((v: VideoLike) => v.error)).toBeNull();

    // The export: originals and a manifest with both recordings' SHA-256.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-case]')]);
    const entries = await unzip(await readFile((await download.path())!));
    const manifest = JSON.parse(entries.find((e) => e.name === 'manifest.json')!.data.toString('utf8'));
    expect(manifest.caseNo).toBe(scenario.caseNo);
    expect(manifest.files.map((f: { recordingId: string; sha256: string }) => [f.recordingId, f.sha256]).sort()).toEqual(
      scenario.recordingIds.map((id) => [id, sha[id]]).sort(),
    );

    // The custody log of the recording played: its view and the export are on it.
    await page.click('[data-testid=custody-refresh]');
    await page.locator('[data-testid=custody-row][data-action=export]').first().waitFor();
    await page.locator('[data-testid=custody-row][data-action=view]').first().waitFor();
    const hashCell = page.locator('[data-testid=custody-row][data-action=export] td').last();
    expect((await hashCell.getAttribute('title'))!).toMatch(/^[0-9a-f]{64}$/);

    // Unlink the second recording: a reason is asked for before anything is sent, then the bar is gone.
    await page.click(`[data-testid=timeline-bar][data-recording-id="${secondId}"]`);
    await page.waitForURL(`**?recording=${secondId}`);
    await page.waitForFunction(
      (want: string) => (globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document.querySelector('[data-testid=recording-sha256]')?.textContent === want,
      sha[secondId]!,
    );
    await page.click('[data-testid=unlink]');
    await page.click('[data-testid=unlink-confirm]');
    expect(await textOf(page, '[data-testid=unlink-form] .field-error')).toBe(words.reasonRequired);
    await page.fill('[data-testid=unlink-reason]', lang === 'zh' ? '非本案现场录像' : 'not footage of this case');
    await page.click('[data-testid=unlink-confirm]');
    await page.waitForSelector(`.msg-ok:has-text("${words.unlinked}")`);
    await page.waitForFunction(() => (globalThis as unknown as Doc).document.querySelectorAll('[data-testid=timeline-bar]').length === 1);
    expect(await bars(page).getAttribute('data-recording-id')).toBe(firstId);
    await page.locator('[data-testid=not-linked]').waitFor();

    // Link it back: it is offered among the officers' unlinked footage of the day, chosen already.
    const candidate = page.locator('[data-testid=link-candidate]');
    await page.waitForFunction((id: string) => {
      const sel = (globalThis as unknown as { document: { querySelector(s: string): { value: string } | null } }).document.querySelector('[data-testid=link-candidate]');
      return sel?.value === id;
    }, secondId);
    expect(await candidate.locator('option').evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value))).toContain(scenario.unlinkedId);
    await page.fill('[data-testid=link-reason]', lang === 'zh' ? '复核确认属于本案' : 'reviewed: it belongs to this case');
    await page.click('[data-testid=link-submit]');
    await page.waitForSelector(`.msg-ok:has-text("${words.linked}")`);
    await page.waitForFunction(() => (globalThis as unknown as Doc).document.querySelectorAll('[data-testid=timeline-bar]').length === 2);
    expect(await page.locator('[data-testid=not-linked]').count()).toBe(0);
    expect(await page.locator(`[data-testid=timeline-bar][data-recording-id="${secondId}"]`).getAttribute('class')).toContain('tl-bar-manual');
  } finally {
    await close();
  }
}

test('a reviewer finds the case, watches, seeks, exports, reads the custody log, unlinks and links again (中文)', () => reviewerJourney('zh'), 90_000);

test('the same journey in English', () => reviewerJourney('en'), 90_000);

test('a case page address asks for a login first and then opens that case, its first recording in the player', async () => {
  const { page, close } = await sys.newSession();
  try {
    const casePage = `/cases/${encodeURIComponent(scenario.caseNo)}`;
    await page.goto(`${sys.base}${casePage}`);
    await page.waitForURL(/\/login\?next=/);
    await logIn(page, sys.base, 'rev-zf1', casePage);
    expect(new URL(page.url()).pathname).toBe(casePage);
    expect(await textOf(page, '[data-testid=case-no]')).toBe(scenario.caseNo);
    await page.locator(VIDEO).waitFor();
    expect(await textOf(page, '[data-testid=recording-sha256]')).toBe(sha[scenario.recordingIds[0]!]);
  } finally {
    await close();
  }
}, 60_000);

test('an officer watches their own recording without custody or evidence actions; the case page is not theirs', async () => {
  const { page, close } = await sys.newSession();
  try {
    const own = scenario.recordingIds[0]!;
    await logIn(page, sys.base, 'zhangsan', `/recordings/${own}`);
    await expectPlaying(page, VIDEO);
    expect(await textOf(page, '[data-testid=recording-sha256]')).toBe(sha[own]);
    expect(await page.locator('[data-testid=download-original]').count()).toBe(1);
    for (const absent of ['custody-log', 'important', 'unlink', 'link-case-form']) expect(await page.locator(`[data-testid=${absent}]`).count()).toBe(0);
    await top(page);
    await screenshot(page, 'recording-page-officer');
    await page.goto(`${sys.base}/cases/${encodeURIComponent(scenario.caseNo)}`);
    await page.locator('[data-testid=forbidden]').waitFor();
  } finally {
    await close();
  }
}, 60_000);

test('the recordings list filters by officer in the address; a recording’s page has player, facts and custody', async () => {
  const { page, close } = await sys.newSession();
  try {
    await logIn(page, sys.base, 'rev-zf1', '/recordings?badgeNo=100001');
    await page.waitForFunction(() => (globalThis as unknown as Doc).document.querySelectorAll('[data-testid=recording-row]').length === 2);
    const ids = await page.locator('[data-testid=recording-row]').evaluateAll((rows) => rows.map((r) => (r as unknown as { dataset: { recordingId: string } }).dataset.recordingId));
    expect(ids.sort()).toEqual([scenario.recordingIds[0], scenario.unlinkedId].sort());
    await page.waitForFunction(() =>
      [...(globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<{ complete: boolean; naturalWidth: number }> } }).document.querySelectorAll('[data-testid=recording-results] img')].every((img) => img.complete && img.naturalWidth > 0),
    );
    expect(await page.inputValue('[data-testid=recording-search] input[name=badgeNo]')).toBe('100001');
    await screenshot(page, 'recordings-list');

    await page.click(`[data-testid=recording-row][data-recording-id="${scenario.unlinkedId}"] [data-testid=recording-link]`);
    await page.waitForURL(`**/recordings/${scenario.unlinkedId}`);
    await page.locator(VIDEO).waitFor();
    await page.locator('[data-testid=custody-row][data-action=ingest]').waitFor();
    expect(await page.locator('[data-testid=link-case-form]').count()).toBe(1);
    await expectPlaying(page, VIDEO);
    await top(page);
    await screenshot(page, 'recording-page');
  } finally {
    await close();
  }
}, 60_000);
