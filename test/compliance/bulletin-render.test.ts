import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { loadRegulation, RULE_CODES, type Locale, type ManualCode, type RuleCode } from '../../config/regulation';
import { bulletinContent, rateTenths, recordingsInFindings, summaryOf, type BulletinInput, type BulletinItem, type PreviousBulletin } from '../../src/compliance/bulletin-content';
import { bulletinCsv } from '../../src/compliance/bulletin-csv';
import { bulletinHtml } from '../../src/compliance/bulletin-html';
import { BULLETIN_FONT_FILE, bulletinPdf } from '../../src/compliance/bulletin-pdf';

const run = promisify(execFile);
const regulation = loadRegulation(path.join(__dirname, '..', '..', 'config', 'regulation.json'));
const HEAD = 'ab'.repeat(32);

let seq = 0;
const uuid = () => `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`;

/** An item failing the rules and manual items named in `fails` (R detail, M note), passing the rest. */
function item(position: number, unitCode: string, caseNo: string, badgeNos: string[], fails: Partial<Record<RuleCode | ManualCode, string>> = {}): BulletinItem {
  const recs = [uuid(), uuid()];
  return {
    position,
    caseNo,
    activityKey: `A${position}`,
    activityType: 'inspection',
    unitCode,
    badgeNos,
    inspector: 'sup-zf9',
    findings: RULE_CODES.map((rule) =>
      fails[rule] !== undefined
        ? { rule, result: 'fail' as const, detail: fails[rule]!, badgeNo: badgeNos[0], evidence: { recordings: rule === 'R1' ? [] : recs } }
        : { rule, result: 'pass' as const, detail: 'ok', evidence: { recordings: recs } },
    ),
    verdicts: Object.fromEntries((['M1', 'M2', 'M3', 'M4'] as const).map((m) => [m, { result: fails[m] !== undefined ? 'fail' : 'pass', by: 'sup-zf9', at: '2026-04-01T02:00:00.000Z' }])),
    note: fails.M1 ?? fails.M2 ?? fails.M3 ?? fails.M4 ?? null,
    result: Object.keys(fails).length ? 'fail' : 'pass',
  };
}

// Three units: ZF1 3 of 4 (75.0 %), ZF2 1 of 3 (33.3 %, below 80 %: criticized), ZF3 2 of 2 (100 %).
const items: BulletinItem[] = [
  item(1, 'ZF1', '某交执罚〔2026〕11号', ['100001', '100002']),
  item(2, 'ZF1', '某交执罚〔2026〕12号', ['100001', '100002'], { R2: 'uncovered 2026-03-02T01:10:00Z/01:12:30Z (150 s)' }),
  item(3, 'ZF1', '某交执罚〔2026〕13号', ['100002', '100001']),
  item(4, 'ZF1', '某交执罚〔2026〕14号', ['100001', '100002']),
  item(5, 'ZF2', '某交执罚〔2026〕21号', ['200001', '200002'], { R1: 'no footage', M1: '未出示执法证件' }),
  item(6, 'ZF2', '某交执罚〔2026〕22号', ['200001', '200002'], { R3: 'docked 30 h after the end' }),
  item(7, 'ZF2', '某交执罚〔2026〕23号', ['200001', '200002']),
  item(8, 'ZF3', '某交执罚〔2026〕31号', ['300001', '300002']),
  item(9, 'ZF3', '某交执罚〔2026〕32号', ['300001', '300002']),
];

const previous: PreviousBulletin[] = [
  { id: uuid(), number: '〔2026〕第 1 期', issuedAt: '2026-02-05T02:00:00.000Z', periodFrom: '2026-01-01', checked: 10, passed: 6, units: [{ unitCode: 'ZF1', checked: 5, passed: 3 }, { unitCode: 'ZF2', checked: 5, passed: 3 }] },
  { id: uuid(), number: '〔2026〕第 2 期', issuedAt: '2026-03-05T02:00:00.000Z', periodFrom: '2026-02-01', checked: 10, passed: 8, units: [{ unitCode: 'ZF1', checked: 4, passed: 4 }, { unitCode: 'ZF2', checked: 4, passed: 2 }, { unitCode: 'ZF3', checked: 2, passed: 2 }] },
];

const input = (over: Partial<BulletinInput> = {}): BulletinInput => ({
  spotCheck: { id: uuid(), periodFrom: '2026-03-01', periodTo: '2026-03-31', unitCodes: null, sampleMode: 'ratio', sampleValue: '0.1', seed: 'seed-2026-03', regulationVersion: regulation.version, status: 'complete' },
  regulation,
  items,
  unitNames: { ZF1: '执法一股', ZF2: '执法二股', ZF3: '执法三股' },
  officerNames: { '100001': '张三', '200001': '王五' },
  previous,
  draws: 2,
  recordingsChecked: recordingsInFindings(items),
  custody: { seq: 41, head: HEAD },
  number: '〔2026〕第 3 期',
  version: 1,
  replaces: null,
  // 18:30 UTC on 2 April is already 3 April in Shanghai.
  issuedAt: new Date('2026-04-02T18:30:00.000Z'),
  issuedBy: 'sup-zf9',
  zone: 'Asia/Shanghai',
  ...over,
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'bce-bulletin-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Page 1 at 50 dpi, grey: the share of dark pixels in each horizontal band of `bands`. */
async function darkness(pdf: Buffer, name: string, bands: number): Promise<number[]> {
  const file = path.join(dir, `${name}.pdf`);
  await writeFile(file, pdf);
  await run('pdftoppm', ['-r', '50', '-gray', '-f', '1', '-l', '1', '-singlefile', file, path.join(dir, name)]);
  const pgm = await readFile(path.join(dir, `${name}.pgm`));
  // Binary PGM: "P5", width, height, max value (255), then one byte a pixel.
  const m = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(pgm.subarray(0, 50).toString('latin1'));
  expect(m).not.toBeNull();
  const [w, h] = [Number(m![1]), Number(m![2])];
  const pixels = pgm.subarray(m![0].length);
  expect(pixels.length).toBe(w * h);
  const bandH = Math.floor(h / bands);
  return Array.from({ length: bands }, (_, b) => {
    let dark = 0;
    for (let i = b * bandH * w; i < (b + 1) * bandH * w; i++) if (pixels[i]! < 128) dark++;
    return dark / (bandH * w);
  });
}

describe('content', () => {
  const c = bulletinContent(input());

  test('overall, per unit with ranks, categories, criticism, deadline in the bureau zone', () => {
    expect(c.locale).toBe('zh-CN');
    expect(c.overall).toMatchObject({ checked: 9, passed: 6, failed: 3, rateTenths: 667, rate: '66.7%' });
    // Previous: 8 of 10 = 80.0 %; the change is the difference of the printed rates.
    expect(c.overall.change).toMatchObject({ previousNumber: '〔2026〕第 2 期', previousRateTenths: 800, deltaTenths: -133, deltaText: '-13.3' });
    expect(c.overall.changeText).toContain('下降 13.3 个百分点');
    expect(c.units.map((u) => [u.rank, u.unitCode, u.checked, u.passed, u.rate, u.criticized])).toEqual([
      [1, 'ZF3', 2, 2, '100.0%', false],
      [2, 'ZF1', 4, 3, '75.0%', true],
      [3, 'ZF2', 3, 1, '33.3%', true],
    ]);
    expect(c.units.find((u) => u.unitCode === 'ZF2')!.fails).toMatchObject({ R1: 1, R2: 0, R3: 1, M1: 1, M2: 0 });
    expect(c.problems.map((p) => [p.code, p.count])).toEqual([['R1', 1], ['R2', 1], ['R3', 1], ['M1', 1]]);
    expect(c.problems[0]!.cases[0]).toMatchObject({ caseNo: '某交执罚〔2026〕21号', officers: '200001 王五', detail: 'no footage' });
    expect(c.problems[3]!.cases[0]!.detail).toBe('未出示执法证件');
    expect(c.issuedDate).toBe('2026-04-03');
    expect(c.rectification).toMatchObject({ days: 30, deadline: '2026-05-03', threshold: '80.0%' });
    expect(c.rectification.criticized.map((u) => u.unitCode)).toEqual(['ZF1', 'ZF2']);
    expect(c.rectification.requirements[1]).toContain('执法一股（75.0%）、执法二股（33.3%）');
    expect(c.basics).toMatchObject({ draws: 2, activitiesChecked: 9, recordingsChecked: 18 });
    expect(c.basics.method.text).toContain('10%');
  });

  test('the trend: the previous bulletins oldest first, this one last, gaps where a unit was absent', () => {
    expect(c.chart.columns.map((col) => col.number)).toEqual(['〔2026〕第 1 期', '〔2026〕第 2 期', '〔2026〕第 3 期']);
    expect(c.chart.series.find((s) => s.unitCode === 'ZF3')!.rateTenths).toEqual([null, 1000, 1000]);
    expect(c.chart.series.find((s) => s.unitCode === 'ZF2')!.rateTenths).toEqual([600, 500, 333]);
    const short = bulletinContent(input({ regulation: { ...regulation, bulletin: { ...regulation.bulletin, trendBulletins: 1 } } }));
    expect(short.chart.columns).toHaveLength(2);
    expect(short.overall.change?.previousNumber).toBe('〔2026〕第 2 期');
  });

  test('the first bulletin says so; equal rates share a rank; rounding is half up in integers', () => {
    const first = bulletinContent(input({ previous: [] }));
    expect(first.overall.change).toBeNull();
    expect(first.overall.changeText).toContain('首期');
    expect(first.chart.columns).toHaveLength(1);
    const tied = bulletinContent(input({ items: items.filter((i) => i.unitCode !== 'ZF1').concat(item(20, 'ZF0', 'X-1', ['1']), item(21, 'ZF0', 'X-2', ['1'])) }));
    expect(tied.units.map((u) => [u.rank, u.unitCode])).toEqual([[1, 'ZF0'], [1, 'ZF3'], [3, 'ZF2']]);
    expect([rateTenths(1, 8), rateTenths(1, 3), rateTenths(2, 3), rateTenths(0, 5), rateTenths(0, 0)]).toEqual([125, 333, 667, 0, null]);
  });

  test('English: every fixed text in English, the same numbers', () => {
    const en = bulletinContent(input(), 'en');
    expect(en.title).toBe('Spot-check bulletin on body-worn recorder use');
    expect(en.labels.overall).toBe('2. Overall result');
    expect(en.overall.text).toContain('9 activities checked, 6 passed, 3 failed: a pass rate of 66.7%');
    expect(en.issuedDateText).toBe('3 April 2026');
    expect(en.rectification.deadlineText).toBe('3 May 2026');
    expect(en.issuingBody).toBe(regulation.issuingBody.en);
    // Only names (units, bulletin numbers) and the term 通报批评 stay in Chinese.
    const said = [en.overall.text, en.basics.text, ...en.rectification.requirements, en.chart.caption, en.custody.text, en.roundingNote, ...Object.values(en.labels).filter((v) => typeof v === 'string')].join(' ');
    expect(said.replace(/执法[一二三]股|〔\d{4}〕第 \d+ 期|通报批评/g, '')).not.toMatch(/[\u3000-\u9fff]/u);
  });

  test('a stored bulletin is the next one\'s previous', () => {
    expect(summaryOf('id-3', c)).toEqual({ id: 'id-3', number: '〔2026〕第 3 期', issuedAt: '2026-04-02T18:30:00.000Z', periodFrom: '2026-03-01', checked: 9, passed: 6, units: [
      { unitCode: 'ZF3', checked: 2, passed: 2 },
      { unitCode: 'ZF1', checked: 4, passed: 3 },
      { unitCode: 'ZF2', checked: 3, passed: 1 },
    ] });
  });
});

describe('renderers', () => {
  test('PDF (zh-CN): text extracts with the units, numbers and Chinese headings; the first page is drawn, not blank', async () => {
    const content = bulletinContent(input());
    const pdf = await bulletinPdf(content);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    // Deterministic: the same content gives the same bytes.
    expect(Buffer.compare(await bulletinPdf(JSON.parse(JSON.stringify(content))), pdf)).toBe(0);
    const file = path.join(dir, 'zh.pdf');
    await writeFile(file, pdf);
    const { stdout: fonts } = await run('pdffonts', [file]);
    expect(fonts).toMatch(/WenQuanYiZenHei\s+CID TrueType\s+Identity-H\s+yes\s+yes\s+yes/);
    const { stdout } = await run('pdftotext', ['-layout', file, '-']);
    // Chinese lines wrap anywhere: compare without white space.
    const text = stdout.replace(/\s+/g, '');
    for (const s of ['执法记录仪使用抽查情况通报', '〔2026〕第 3 期', '2026年4月3日', regulation.issuingBody['zh-CN'], '总体情况', '各单位情况', '存在问题', '整改要求', '合格率及趋势', '监督链哈希', '执法一股', '执法二股', '执法三股', '66.7%', '75.0%', '33.3%', '100.0%', '下降 13.3 个百分点', '2026年5月3日', '某交执罚〔2026〕21号', 'seed-2026-03', HEAD]) {
      expect(text).toContain(s.replace(/\s+/g, ''));
    }
    const bands = await darkness(pdf, 'zh', 10);
    // The heading (issuing body, number, rule, title) fills the top tenth; the page has text further down.
    expect(bands[0]).toBeGreaterThan(0.01);
    expect(bands.slice(1).filter((d) => d > 0.01).length).toBeGreaterThanOrEqual(6);
  });

  test('the embedded face has a glyph for every character the bulletin prints (no tofu, no dropped glyphs)', () => {
    // fontkit is pdfkit's own font reader.
    const fontkit = require('fontkit') as { openSync(file: string, name: string): { hasGlyphForCodePoint(cp: number): boolean } };
    const face = fontkit.openSync(BULLETIN_FONT_FILE, 'WenQuanYiZenHei');
    for (const locale of ['zh-CN', 'en'] as Locale[]) {
      const chars = new Set(JSON.stringify(bulletinContent(input(), locale)));
      const missing = [...chars].filter((ch) => !face.hasGlyphForCodePoint(ch.codePointAt(0)!));
      expect(missing.map((ch) => `U+${ch.codePointAt(0)!.toString(16)}`)).toEqual([]);
    }
  });

  test('PDF (en): English headings and the same figures', async () => {
    const pdf = await bulletinPdf(bulletinContent(input({ version: 2, replaces: { id: uuid(), number: '〔2026〕第 3 期', version: 1, issuedAt: '2026-04-01T02:00:00.000Z' } }), 'en'));
    const file = path.join(dir, 'en.pdf');
    await writeFile(file, pdf);
    const { stdout } = await run('pdftotext', ['-layout', file, '-']);
    const text = stdout.replace(/\s+/g, ' ');
    for (const s of ['Spot-check bulletin on body-worn recorder use', '2. Overall result', '3. Results by unit', '4. Problems found', '5. Rectification', '7. Custody log head hash', 'version 2', 'replaces 〔2026〕第 3 期 version 1', '执法二股', '66.7%', '33.3%']) {
      expect(text).toContain(s);
    }
    expect((await darkness(pdf, 'en', 10))[0]).toBeGreaterThan(0.01);
  });

  test('CSV: BOM, three sections, one row per item, numbers as the bulletin prints them', () => {
    const content = bulletinContent(input());
    const csv = bulletinCsv(content);
    expect([...csv.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows: string[][] = parse(csv, { bom: true, relax_column_count: true, skip_empty_lines: true });
    expect(rows[0]).toEqual(['通报', '执法记录仪使用抽查情况通报']);
    const value = (label: string) => rows.find((r) => r[0] === label)?.[1];
    expect([value('编号'), value('抽查数'), value('合格数'), value('合格率'), value('较上期变化'), value('整改期限'), value('监督链头哈希')]).toEqual(['〔2026〕第 3 期', '9', '6', '66.7%', '-13.3', '2026-05-03', HEAD]);
    const unitsAt = rows.findIndex((r) => r.length === 1 && r[0] === '各单位情况');
    expect(rows[unitsAt + 1]!.slice(0, 6)).toEqual(['排名', '单位代码', '单位', '抽查数', '合格数', '合格率']);
    expect(rows[unitsAt + 1]![6]).toBe('R1 开启记录');
    expect(rows.slice(unitsAt + 2, unitsAt + 5).map((r) => [r[0], r[1], r[3], r[4], r[5], r[16]])).toEqual([
      ['1', 'ZF3', '2', '2', '100.0%', ''],
      ['2', 'ZF1', '4', '3', '75.0%', '是'],
      ['3', 'ZF2', '3', '1', '33.3%', '是'],
    ]);
    const itemsAt = rows.findIndex((r) => r.length === 1 && r[0] === '抽查事项');
    const header = rows[itemsAt + 1]!;
    const body = rows.slice(itemsAt + 2);
    expect(body).toHaveLength(9);
    const at = (name: string) => header.indexOf(name);
    const fifth = body[4]!;
    expect([fifth[at('案件编号')], fifth[at('单位代码')], fifth[at('执法人员')], fifth[at('R1 开启记录')], fifth[at('R2 全过程记录')], fifth[at(`M1 ${regulation.manualItems.M1['zh-CN']}`)], fifth[at('结果')]]).toEqual([
      '某交执罚〔2026〕21号',
      'ZF2',
      '200001 王五、200002',
      '不合格',
      '合格',
      '不合格',
      '不合格',
    ]);
    expect(body.filter((r) => r[at('结果')] === '合格')).toHaveLength(6);
    const en: string[][] = parse(bulletinCsv(bulletinContent(input(), 'en')), { bom: true, relax_column_count: true, skip_empty_lines: true });
    expect(en.find((r) => r[0] === 'Pass rate')?.[1]).toBe('66.7%');
    expect(en.at(-1)!.at(-1)).toBe('pass');
  });

  test('HTML: self-contained, all parts, the chart as SVG bars with the trend, text escaped', () => {
    const content = bulletinContent(input({ unitNames: { ZF1: '执法一股', ZF2: '<b>二股</b>', ZF3: '执法三股' } }));
    const html = bulletinHtml(content);
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).not.toMatch(/<script|<link|src="http|href="http/);
    for (const s of ['执法记录仪使用抽查情况通报', '〔2026〕第 3 期', '一、抽查基本情况', '二、总体情况', '三、各单位情况', '四、存在问题', '五、整改要求', '六、合格率及趋势', '七、监督链哈希', '66.7%', '下降 13.3 个百分点', '2026年5月3日', HEAD, 'seed-2026-03', '&lt;b&gt;二股&lt;/b&gt;']) {
      expect(html).toContain(s);
    }
    expect(html).not.toContain('<b>二股</b>');
    const svg = /<svg[\s\S]*?<\/svg>/.exec(html)![0];
    expect(svg.match(/<rect /g)).toHaveLength(3);
    expect(svg.match(/<polyline /g)!.length).toBeGreaterThanOrEqual(3);
    expect(svg).toContain('stroke-dasharray');
    expect(html.match(/<tr class="criticized">/g)).toHaveLength(2);
    expect(bulletinHtml(JSON.parse(JSON.stringify(content)))).toBe(html);
    const en = bulletinHtml(bulletinContent(input(), 'en'));
    expect(en).toContain('<html lang="en">');
    expect(en).toContain('6. Pass rate and trend');
  });
});
