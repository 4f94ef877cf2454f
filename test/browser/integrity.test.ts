import { open } from 'node:fs/promises';
import { runIntegrityAudit } from '../../src/integrity/run';
import { docker, storedFile } from '../integrity/helpers';
import { settle } from '../support/settle';
import { logIn, screenshot, startBrowserSystem, type BrowserSystem } from './support';

// The integrity alert as the admin meets it: a red banner across the admin pages, and the integrity page that
// lists the failed originals, each leading to its recording.
let sys: BrowserSystem;
beforeAll(async () => {
  sys = await startBrowserSystem({ INTEGRITY_AUDIT_AT: 'off' });
}, 90_000);
afterAll(() => sys?.close());

test('an original changed in the store: the admin pages show a red alert, the integrity page lists it and links to the recording', async () => {
  const { env, tokens, dir } = sys.system;
  const dock = docker(env, tokens.station, dir);
  const [intact, changed] = [await dock(), await dock()];
  await settle(env, 60_000);
  const fh = await open(storedFile(env.dataDir, changed.id), 'r+');
  await fh.write(Buffer.from('tampered'), 0, 8, 300);
  await fh.close();
  const report = await runIntegrityAudit(env.ctx);
  expect(report).toMatchObject({ checked: 2, ok: 1, mismatch: 1 });

  const { page, close } = await sys.newSession();
  try {
    await logIn(page, sys.base, 'root');
    const alert = page.locator('[data-testid=integrity-alert]');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('1 个原始文件完整性校验失败');
    await screenshot(page, 'admin-integrity-alert');

    await alert.locator('a').click();
    await page.waitForURL('**/admin/integrity');
    const rows = page.locator('[data-testid=integrity-failure]');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain(changed.sha256);
    expect(await rows.first().textContent()).not.toContain(intact.sha256);
    expect(await page.textContent('[data-testid=integrity-last-run]')).toContain('不一致 1 个');
    // The page itself carries the failures, not the banner as well.
    expect(await page.locator('[data-testid=integrity-alert]').count()).toBe(0);
    await screenshot(page, 'admin-integrity');

    await rows.first().locator('a').click();
    await page.waitForURL(`**/recordings/${changed.id}`);
  } finally {
    await close();
  }
}, 120_000);
