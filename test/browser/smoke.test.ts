import { logIn, screenshot, startBrowserSystem, type BrowserSystem } from './support';

let sys: BrowserSystem;
beforeAll(async () => {
  sys = await startBrowserSystem();
}, 90_000);
afterAll(() => sys?.close());

test('login', async () => {
  const { page, close } = await sys.newSession();
  await logIn(page, sys.base, 'rev-zf1');
  await screenshot(page, 'smoke');
  expect(page.url()).toContain('/cases');
  await close();
}, 60_000);
