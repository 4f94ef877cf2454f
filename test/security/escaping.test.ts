import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import type { Page } from 'playwright-core';
import request from 'supertest';
import type { BulletinContent } from '../../src/compliance/bulletin-content';
import { bulletinCsv } from '../../src/compliance/bulletin-csv';
import { bulletinHtml } from '../../src/compliance/bulletin-html';
import { logIn, startBrowserSystem, type BrowserSystem } from '../browser/support';
import { fakeMp4 } from '../evidence/helpers';
import { settle } from '../support/settle';
import { dispositionNames, XSS } from './support';

// Script and markup typed into every free-text field a bulletin or a page shows (unit and officer names, case
// numbers, titles, activity keys and places, the spot check's seed, an inspector's note, the bulletin's number),
// set through the API as any client could. The bulletin's HTML escapes them (a browser parsing it finds no element
// they made), its PDF prints them as text, its CSV keeps them as text and neutralises cells Excel would run as
// formulas, and the web application shows them as text. The served page and JSON never carry them as HTML.

const run = promisify(execFile);
let sys: BrowserSystem;
let dir: string;
let admin: string;
let integration: string;
let checkId: string;
let bulletinId: string;

// Cells a spreadsheet would evaluate (=, +, -, @), as names.
const FORMULAS = ['=HYPERLINK("http://evil.invalid","x")', "@SUM(1+1)*cmd|' /C calc'!A0", '+1+1', '-2+3'];

beforeAll(async () => {
  sys = await startBrowserSystem();
  ({ admin, integration } = sys.system.tokens);
  dir = await mkdtemp(path.join(tmpdir(), 'bce-escaping-'));
  const app = sys.system.env.app;
  const as = (token: string) => ({ Authorization: `Bearer ${token}` });
  const ok = (res: request.Response, what: string) => {
    if (res.status >= 300) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
    return res;
  };
  ok(await request(app).post('/api/units').set(as(admin)).send({ code: 'XSS1', name: XSS }), 'unit XSS1');
  ok(await request(app).post('/api/units').set(as(admin)).send({ code: 'FRM1', name: FORMULAS[0] }), 'unit FRM1');
  const officers: [string, string, string][] = [
    ['900001', XSS, 'XSS1'],
    ['900002', FORMULAS[1]!, 'XSS1'],
    ['900003', FORMULAS[2]!, 'FRM1'],
    ['900004', FORMULAS[3]!, 'FRM1'],
  ];
  for (const [badgeNo, name, unitCode] of officers) ok(await request(app).post('/api/officers').set(as(admin)).send({ badgeNo, name, unitCode }), `officer ${badgeNo}`);
  const activity = (key: string, badgeNos: string[]) => ({
    key,
    type: 'inspection',
    badgeNos,
    startedAt: '2026-03-05T09:00:00+08:00',
    endedAt: '2026-03-05T09:30:00+08:00',
    location: XSS,
  });
  ok(
    await request(app).put(`/api/cases/${encodeURIComponent(XSS)}`).set(as(integration)).send({ title: XSS, kind: 'penalty', status: 'open', unitCode: 'XSS1', activities: [activity(XSS, ['900001', '900002'])] }),
    'case XSS',
  );
  ok(
    await request(app).put('/api/cases/FRM-1').set(as(integration)).send({ title: FORMULAS[0], kind: 'penalty', status: 'open', unitCode: 'FRM1', activities: [activity(FORMULAS[1]!, ['900003', '900004'])] }),
    'case FRM-1',
  );
  // Footage of the officers during the activities (so the items wait for an inspector's verdicts and note), its
  // file names hostile too: a typical case quotes them. Processed by the system's worker before the draw.
  ok(await request(app).post('/api/recorders').set(as(admin)).send({ serial: 'XSSREC1' }), 'recorder');
  for (const [badgeNo, filename, size] of [
    ['900001', '<img src=x onerror=alert(1)>.MP4', 5000],
    ['900003', '=1+2.MP4', 5001],
  ] as const) {
    ok(
      await request(app)
        .post('/api/recordings')
        .set(as(sys.system.tokens.station))
        .field('recorderSerial', 'XSSREC1')
        .field('badgeNo', badgeNo)
        .field('startedAt', '2026-03-05T09:05:00+08:00')
        .field('dockedAt', '2026-03-09T09:05:00+08:00')
        .attach('file', fakeMp4(size), filename),
      `footage of ${badgeNo}`,
    );
  }
  await settle(sys.system.env, 60_000);
  const check = ok(
    await request(app).post('/api/spot-checks').set(as(admin)).send({ from: '2026-03-01', to: '2026-03-31', unitCodes: ['XSS1', 'FRM1'], sample: { mode: 'ratio', value: 1 }, seed: XSS }),
    'spot check',
  );
  checkId = check.body.id;
  expect(check.body.items).toHaveLength(2);
  for (const item of check.body.items as { id: number; unitCode: string }[]) {
    const note = item.unitCode === 'XSS1' ? XSS : FORMULAS[0];
    ok(await request(app).patch(`/api/spot-checks/${checkId}/items/${item.id}`).set(as(admin)).send({ verdicts: { M1: 'fail', M2: 'pass', M3: 'pass', M4: 'pass' }, note }), 'verdicts');
  }
  bulletinId = ok(await request(app).post(`/api/spot-checks/${checkId}/bulletins`).set(as(admin)).send({ number: XSS }), 'bulletin').body.id;
}, 120_000);
afterAll(async () => {
  await sys?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const fetchBytes = (url: string) =>
  request(sys.system.env.app)
    .get(url)
    .set('Authorization', `Bearer ${admin}`)
    .buffer(true)
    .parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });

interface Parsed {
  scripts: number;
  images: number;
  handlers: number;
  text: string;
}
type InPage = { document: { querySelectorAll(s: string): ArrayLike<{ getAttributeNames(): string[] }>; body: { textContent: string | null; innerText: string } } };
// Runs in the page: what markup the document holds beyond its own (self-contained: the app's CSP refuses strings).
const markupOf = (): Parsed => {
  const d = (globalThis as unknown as InPage).document;
  const all = Array.from(d.querySelectorAll('*'));
  return {
    scripts: d.querySelectorAll('script:not([src])').length,
    images: d.querySelectorAll('img[src="x"]').length,
    handlers: all.filter((el) => el.getAttributeNames().some((n) => n.startsWith('on'))).length,
    text: d.body.textContent ?? '',
  };
};

/** An HTML document as a browser parses it (no network, its scripts allowed to run), and whether anything ran. */
async function parsedByBrowser(html: string): Promise<Parsed & { dialogs: number }> {
  const { page, close } = await sys.newSession();
  try {
    let dialogs = 0;
    page.on('dialog', (d) => {
      dialogs++;
      void d.dismiss();
    });
    await page.setContent(html, { waitUntil: 'load' });
    return { ...(await page.evaluate(markupOf)), dialogs };
  } finally {
    await close();
  }
}

const occurrences = (text: string, part: string) => text.split(part).length - 1;

test('the bulletin\'s HTML escapes every field: a browser parsing it finds no script, image or handler they made, and shows them as text', async () => {
  const res = await fetchBytes(`/api/bulletins/${bulletinId}.html`);
  expect(res.status).toBe(200);
  expect(res.headers['content-security-policy']).toContain("default-src 'none'");
  const html = (res.body as Buffer).toString();
  expect(html).not.toMatch(/<script|<img|<[^>]*\son\w+=/i);
  const escaped = XSS.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  // Number (title and header), seed, unit name (table, trend, criticized), officer, case, activity, note.
  expect(occurrences(html, escaped)).toBeGreaterThanOrEqual(8);
  const parsed = await parsedByBrowser(html);
  expect({ scripts: parsed.scripts, images: parsed.images, handlers: parsed.handlers, dialogs: parsed.dialogs }).toEqual({ scripts: 0, images: 0, handlers: 0, dialogs: 0 });
  expect(occurrences(parsed.text, XSS)).toBeGreaterThanOrEqual(8);
});

test('the bulletin\'s download names (its number is markup with a slash) are one file name each, without a path', async () => {
  for (const format of ['html', 'pdf', 'csv']) {
    const res = await fetchBytes(`/api/bulletins/${bulletinId}.${format}`);
    // Read strictly: the number's quotes and slashes neither split the header nor make a path.
    const { fallback, utf8 } = dispositionNames(res.headers['content-disposition']);
    expect(fallback).toMatch(new RegExp(`^bulletin-[\\w-]+-v1\\.${format}$`));
    expect(utf8).toBe(`通报${XSS.replace(/\s+/g, '').replace(/\//g, '_')}-v1.${format}`);
  }
});

test('the bulletin\'s PDF prints them as the literal text', async () => {
  const res = await fetchBytes(`/api/bulletins/${bulletinId}.pdf`);
  expect(res.status).toBe(200);
  const file = path.join(dir, 'b.pdf');
  await writeFile(file, res.body as Buffer);
  // Lines wrap where pdftotext sees fit: compared without white space.
  const text = (await run('pdftotext', [file, '-'])).stdout.replace(/\s+/g, '');
  expect(occurrences(text, XSS.replace(/\s+/g, ''))).toBeGreaterThanOrEqual(5);
});

/** Cells Excel would evaluate: a text starting with = + - @ (or a tab or CR), other than a signed number. */
const live = (cell: string) => /^[=+\-@\t\r]/.test(cell) && !/^[+-]\d+(\.\d+)?%?$/.test(cell);

test('the bulletin\'s CSV keeps them as text and starts no cell with a formula', async () => {
  const res = await fetchBytes(`/api/bulletins/${bulletinId}.csv`);
  expect(res.status).toBe(200);
  const cells = (parse(res.body as Buffer, { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][]).flat();
  expect(cells.filter((c) => c.includes(XSS)).length).toBeGreaterThanOrEqual(4);
  expect(cells.filter(live)).toEqual([]);
  // The unit name and the activity key that were formulas are there, each behind an apostrophe; the officers'
  // names follow their badge numbers.
  expect(cells).toContain(`'${FORMULAS[0]!}`);
  expect(cells).toContain(`'${FORMULAS[1]!}`);
  expect(cells).toContain(`900003 ${FORMULAS[2]!}、900004 ${FORMULAS[3]!}`);
});

test('every text the bulletin holds, made hostile (regulation texts and requirements too), is escaped in HTML and neutralised in CSV', async () => {
  const { rows } = await sys.system.env.ctx.pool.query<{ content: BulletinContent }>('SELECT content FROM bulletins WHERE id = $1', [bulletinId]);
  const hostile = (v: unknown, prefix: string): unknown =>
    typeof v === 'string' ? `${prefix}${v}"'>${XSS}` : Array.isArray(v) ? v.map((x) => hostile(x, prefix)) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, hostile(x, prefix)])) : v;
  const withMarkup = hostile(rows[0]!.content, '') as BulletinContent;
  const html = bulletinHtml(withMarkup);
  const parsed = await parsedByBrowser(html);
  expect({ scripts: parsed.scripts, images: parsed.images, handlers: parsed.handlers, dialogs: parsed.dialogs }).toEqual({ scripts: 0, images: 0, handlers: 0, dialogs: 0 });
  expect(occurrences(parsed.text, XSS)).toBeGreaterThan(50);
  // Every text starting with a formula character (and ending in a quote that would close an attribute).
  for (const start of ['=', '+', '-', '@']) {
    const cells = (parse(bulletinCsv(hostile(rows[0]!.content, start) as BulletinContent), { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][]).flat();
    expect(cells.filter(live)).toEqual([]);
  }
});

test('the API answers with JSON: the fields as typed, and a hostile path never comes back as a page', async () => {
  const app = sys.system.env.app;
  const res = await request(app).get(`/api/cases/${encodeURIComponent(XSS)}`).set('Authorization', `Bearer ${admin}`);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.body).toMatchObject({ caseNo: XSS, title: XSS });
  for (const url of [`/api/${encodeURIComponent(XSS)}`, `/api/cases/${encodeURIComponent(XSS)}x`, `/api/recordings?caseNo=${encodeURIComponent(XSS)}&x=${encodeURIComponent(XSS)}`]) {
    const answer = await request(app).get(url).set('Authorization', `Bearer ${admin}`);
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
  }
  // A page's deep link with markup in it is the same page: nothing of the path is written into it.
  const page = await request(app).get(`/cases/${encodeURIComponent(XSS)}`);
  expect(page.status).toBe(200);
  expect(page.text).not.toContain('alert(1)');
});

test('the web application shows them as text on the case list, the case, the directory and the spot check (one browser session)', async () => {
  const { page, close } = await sys.newSession();
  let dialogs = 0;
  page.on('dialog', (d) => {
    dialogs++;
    void d.dismiss();
  });
  const shown = async (p: Page, url: string, times: number) => {
    await p.goto(`${sys.base}${url}`);
    await p.waitForFunction(([x, n]) => ((globalThis as unknown as InPage).document.body.innerText.split(x).length - 1) >= n, [XSS, times] as const, { timeout: 30_000 });
    const markup = await p.evaluate(markupOf);
    return { url, scripts: markup.scripts, images: markup.images, handlers: markup.handlers };
  };
  try {
    await logIn(page, sys.base, 'root');
    const clean = (url: string) => ({ url, scripts: 0, images: 0, handlers: 0 });
    // The list: the case number and its title.
    expect(await shown(page, '/cases', 2)).toEqual(clean('/cases'));
    await page.click(`[data-testid=case-row][data-case-no="${XSS.replace(/"/g, '\\"')}"] [data-testid=case-link]`);
    await page.waitForFunction((x) => (globalThis as unknown as InPage).document.body.innerText.includes(x), XSS);
    const casePage = await page.evaluate(markupOf);
    expect({ scripts: casePage.scripts, images: casePage.images, handlers: casePage.handlers }).toEqual({ scripts: 0, images: 0, handlers: 0 });
    expect(await shown(page, '/admin/units', 1)).toEqual(clean('/admin/units'));
    expect(await shown(page, '/admin/officers', 1)).toEqual(clean('/admin/officers'));
    expect(await shown(page, `/spot-checks/${checkId}`, 1)).toEqual(clean(`/spot-checks/${checkId}`));
    expect(dialogs).toBe(0);
  } finally {
    await close();
  }
}, 90_000);
