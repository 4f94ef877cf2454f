import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { projectRoot } from '../../src/paths';
import { listen } from '../support/listen';
import { startWorkingSystem, type WorkingSystem } from '../support/working-system';

/** Where the browser tests keep their screenshots (CI keeps the folder as an artifact; the README names it). */
export const SCREENSHOT_DIR = path.join(projectRoot(), 'test-artifacts', 'screenshots');

// DESIGN.md "Tests": Debian's Chromium, no browser download; the profile goes to launchPersistentContext.
const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

export interface BrowserSystem {
  system: WorkingSystem;
  base: string;
  browser: BrowserContext;
  /** A fresh page with its own cookies: each role logs in in a context of its own (see newSession). */
  newSession(): Promise<{ page: Page; close(): Promise<void> }>;
  close(): Promise<void>;
}

/** The working system (API, worker, the small bureau) on a real socket, and Debian's Chromium. */
export async function startBrowserSystem(settings: Record<string, string> = {}): Promise<BrowserSystem> {
  const system = await startWorkingSystem(settings);
  const server = await listen(system.env.app);
  const profiles: string[] = [];
  const contexts: BrowserContext[] = [];
  const launch = async () => {
    const profile = await mkdtemp(path.join(tmpdir(), 'bce-chromium-'));
    profiles.push(profile);
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: false,
      args: CHROMIUM_ARGS,
      viewport: { width: 1400, height: 900 },
      acceptDownloads: true,
      locale: 'zh-CN',
    });
    contexts.push(context);
    return context;
  };
  const browser = await launch();
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  return {
    system,
    base: server.base,
    browser,
    async newSession() {
      const context = await launch();
      const page = context.pages()[0] ?? (await context.newPage());
      return { page, close: () => context.close() };
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await server.close();
      await system.close();
      for (const p of profiles) await rm(p, { recursive: true, force: true });
    },
  };
}

/** The password test/support/harness.ts userWithToken gives every user it makes. */
export const passwordOf = (username: string) => `pw-${username}-long-enough`;

/** Logs in through the login page, as a person would, and waits for the landing page. */
export async function logIn(page: Page, base: string, username: string, next = '/'): Promise<void> {
  await page.goto(`${base}${next === '/' ? '/login' : next}`);
  await page.waitForURL(/\/login/);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', passwordOf(username));
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-testid=whoami]');
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}
