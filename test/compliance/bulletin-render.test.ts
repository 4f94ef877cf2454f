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
import { evaluateActivity } from '../../src/compliance/rules';
import type { FootageFacts, Finding } from '../../src/compliance/types';

const run = promisify(execFile);
const regulation = loadRegulation(path.join(__dirname, '..', '..', 'config', 'regulation.json'));
const HEAD = 'ab'.repeat(32);

let seq = 0;
const uuid = () => `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`;

/**
 * An item failing the rules and manual items named in `fails`, passing the rest: for a rule the finding
 * src/compliance/rules.ts stores (see `stored`), or a detail string for a finding in another shape (the
 * officer's badge and no evidence the rule reads); for a manual item the inspector's note.
 */
function item(position: number, unitCode: string, caseNo: string, badgeNos: string[], fails: Partial<Record<RuleCode | ManualCode, string | Finding>> = {}): BulletinItem {
  const recs = [uuid(), uuid()];
  return {
    position,
    caseNo,
    activityKey: `A${position}`,
    activityType: 'inspection',
    unitCode,
    badgeNos,
    inspector: 'sup-zf9',
    findings: RULE_CODES.map((rule) => {
      const fail = fails[rule];
      if (fail === undefined) return { rule, result: 'pass' as const, detail: 'ok', evidence: { recordings: recs } };
      return typeof fail === 'string' ? { rule, result: 'fail' as const, detail: fail, badgeNo: badgeNos[0], evidence: { recordings: rule === 'R1' ? [] : recs } } : fail;
    }),
    verdicts: Object.fromEntries((['M1', 'M2', 'M3', 'M4'] as const).map((m) => [m, { result: fails[m] !== undefined ? 'fail' : 'pass', by: 'sup-zf9', at: '2026-04-01T02:00:00.000Z' }])),
    note: ([fails.M1, fails.M2, fails.M3, fails.M4].find((n) => typeof n === 'string') as string | undefined) ?? null,
    result: Object.keys(fails).length ? 'fail' : 'pass',
  };
}

const H = 3_600_000;
const march = (t: string) => new Date(`2026-03-${t}Z`);

/** A recording on the officer's own DSJ0001, linked to the case, docked an hour after it ended; times `DDTHH:mm:ss`, March 2026, UTC. */
function recording(start: string, end: string, more: Partial<FootageFacts> = {}): FootageFacts {
  return {
    recordingId: uuid(), filename: `DSJ0001_${start.replace(/\D/g, '')}.MP4`, recorderId: 1, recorderSerial: 'DSJ0001', startedAt: march(start), endedAt: march(end),
    dockedAt: new Date(march(end).getTime() + H), seq: null, status: 'ready', recorderAssignedTo: null, linkedToCase: true, unlinkedByHand: null, audit: null, ...more,
  };
}

/** The finding of `rule` src/compliance/rules.ts stores for an inspection `from`–`to` (UTC) of these officers and their footage. */
function stored(rule: RuleCode, from: string, to: string, footage: Record<string, FootageFacts[]>): Finding {
  const officers = Object.entries(footage).map(([badgeNo, list], i) => ({
    officerId: i + 1, badgeNo, name: badgeNo, footage: list.map((f) => ({ ...f, recorderAssignedTo: f.recorderAssignedTo ?? badgeNo })),
  }));
  const facts = { activityId: 1, caseId: 1, caseNo: 'X', activityKey: 'A1', type: 'inspection', unitId: 1, unitCode: 'ZF1', startedAt: march(from), endedAt: march(to), officers };
  const finding = evaluateActivity(facts, regulation).findings.find((f) => f.rule === rule)!;
  expect(finding.result).toBe('fail');
  return finding;
}

// Three units: ZF1 3 of 4 (75.0 %), ZF2 1 of 3 (33.3 %, below 80 %: criticized), ZF3 2 of 2 (100 %).
// The rules' times are UTC; the bulletin shows them in Asia/Shanghai (UTC+8).
const items: BulletinItem[] = [
  item(1, 'ZF1', '某交执罚〔2026〕11号', ['100001', '100002']),
  // 100001: 09:10:00–09:12:30 not recorded.
  item(2, 'ZF1', '某交执罚〔2026〕12号', ['100001', '100002'], {
    R2: stored('R2', '02T01:00:00', '02T01:30:00', { '100001': [recording('02T00:59:00', '02T01:10:00'), recording('02T01:12:30', '02T01:31:00')], '100002': [recording('02T00:59:00', '02T01:31:00')] }),
  }),
  item(3, 'ZF1', '某交执罚〔2026〕13号', ['100002', '100001']),
  item(4, 'ZF1', '某交执罚〔2026〕14号', ['100001', '100002']),
  // 200001 recorded nothing of 11:00–11:30.
  item(5, 'ZF2', '某交执罚〔2026〕21号', ['200001', '200002'], { R1: stored('R1', '05T03:00:00', '05T03:30:00', { '200001': [], '200002': [recording('05T02:59:00', '05T03:31:00')] }), M1: '未出示执法证件' }),
  // 200001 docked 30 h after the recording's end, 30 h 1 min after the activity's.
  item(6, 'ZF2', '某交执罚〔2026〕22号', ['200001', '200002'], {
    R3: stored('R3', '06T06:00:00', '06T06:40:00', {
      '200001': [recording('06T05:59:00', '06T06:41:00', { filename: 'DSJ0003_200001_2.MP4', dockedAt: new Date(march('06T06:41:00').getTime() + 30 * H) })],
      '200002': [recording('06T05:59:00', '06T06:41:00')],
    }),
  }),
  item(7, 'ZF2', '某交执罚〔2026〕23号', ['200001', '200002']),
  item(8, 'ZF3', '某交执罚〔2026〕31号', ['300001', '300002']),
  item(9, 'ZF3', '某交执罚〔2026〕32号', ['300001', '300002']),
];

// Every rule failing, one item each, as the rules store them (ZF1); R1 for both officers.
const everyRule: BulletinItem[] = [
  item(1, 'ZF1', '某交执罚〔2026〕41号', ['100001', '100002'], { R1: stored('R1', '10T03:00:00', '10T03:30:00', { '100001': [], '100002': [] }) }),
  item(2, 'ZF1', '某交执罚〔2026〕42号', ['100001'], { R2: stored('R2', '11T01:00:00', '11T02:00:00', { '100001': [recording('11T00:59:00', '11T01:30:00'), recording('11T01:33:00', '11T02:01:00')] }) }),
  item(3, 'ZF1', '某交执罚〔2026〕43号', ['100002'], {
    R3: stored('R3', '12T06:00:00', '12T06:40:00', { '100002': [recording('12T05:59:00', '12T06:41:00', { filename: 'DSJ0002_100002_2.MP4', dockedAt: new Date(march('12T06:41:00').getTime() + 30 * H) })] }),
  }),
  item(4, 'ZF1', '某交执罚〔2026〕44号', ['100001'], {
    R4: stored('R4', '13T07:00:00', '13T07:20:00', { '100001': [recording('13T06:59:00', '13T07:21:00', { filename: 'DSJ0003_100001_3.MP4', recorderSerial: 'DSJ0003', recorderAssignedTo: '100002' })] }),
  }),
  item(5, 'ZF1', '某交执罚〔2026〕45号', ['100001'], {
    R5: stored('R5', '14T03:00:00', '14T03:30:00', {
      '100001': [
        recording('14T02:59:00', '14T03:15:00', { filename: 'DSJ0001_100001_1.MP4', seq: 1, audit: { result: 'mismatch', checkedAt: march('14T20:00:00') } }),
        recording('14T03:15:00', '14T03:31:00', { seq: 3 }),
      ],
    }),
  }),
  item(6, 'ZF1', '某交执罚〔2026〕46号', ['100001'], {
    R6: stored('R6', '15T03:00:00', '15T03:30:00', {
      '100001': [
        recording('15T02:59:00', '15T03:15:00', { filename: 'DSJ0001_100001_7.MP4', linkedToCase: false }),
        recording('15T03:15:00', '15T03:31:00', { filename: 'DSJ0001_100001_8.MP4', linkedToCase: false, unlinkedByHand: { by: 'sup-zf1', reason: '属另一起案件' } }),
      ],
    }),
  }),
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
    expect(c.problems[0]!.cases[0]).toMatchObject({ caseNo: '某交执罚〔2026〕21号', officers: '200001 王五', detail: '未在 11:00–11:30 期间开启记录（含前后 5 分钟）' });
    expect(c.problems[3]!.cases[0]!.detail).toBe('未出示执法证件');
    expect(c.issuedDate).toBe('2026-04-03');
    expect(c.rectification).toMatchObject({ days: 30, deadline: '2026-05-03', threshold: '80.0%' });
    expect(c.rectification.criticized.map((u) => u.unitCode)).toEqual(['ZF1', 'ZF2']);
    expect(c.rectification.requirements[1]).toContain('执法一股（75.0%）、执法二股（33.3%）');
    // Two recordings an item, and the six of the failing officers' footage the rules' evidence names.
    expect(c.basics).toMatchObject({ draws: 2, activitiesChecked: 9, recordingsChecked: 24 });
    expect(c.basics.method.text).toContain('10%');
  });

  test('typical cases: what each officer failed, in the bulletin\'s language, at the bureau\'s times', () => {
    expect(c.problems.map((p) => p.cases[0]!.detail)).toEqual([
      '未在 11:00–11:30 期间开启记录（含前后 5 分钟）',
      '覆盖 91.6%（不低于 95%）；最长中断 150 秒（09:10:00–09:12:30，上限 60 秒）',
      'DSJ0003_200001_2.MP4 于活动结束后 30 小时 1 分上传（时限 24 小时，超时 6 小时 1 分）',
      '未出示执法证件',
    ]);
    expect(c.problems[1]!.cases[0]!.text).toBe('案件 某交执罚〔2026〕12号（A2，执法一股），执法人员 100001 张三：覆盖 91.6%（不低于 95%）；最长中断 150 秒（09:10:00–09:12:30，上限 60 秒）');
    const en = bulletinContent(input(), 'en');
    expect(en.problems.map((p) => p.cases[0]!.detail)).toEqual([
      'no recording within 11:00–11:30 Asia/Shanghai, 5 min either side included',
      'covered 91.6% (minimum 95%); longest gap 150 s at 09:10:00–09:12:30 Asia/Shanghai (maximum 60 s)',
      'DSJ0003_200001_2.MP4 docked 30 h 1 min after the end (6 h 1 min past the 24 h deadline)',
      '未出示执法证件',
    ]);
    // The bureau's zone is the input's: the same instants in Berlin (UTC+1 in March).
    expect(bulletinContent(input({ zone: 'Europe/Berlin' }), 'en').problems[0]!.cases[0]!.detail).toBe('no recording within 04:00–04:30 Europe/Berlin, 5 min either side included');
    // Several officers failing: each after their badge.
    const every = bulletinContent(input({ items: everyRule }));
    expect(every.problems[0]!.cases[0]).toMatchObject({
      officers: '100001 张三、100002',
      detail: '100001：未在 11:00–11:30 期间开启记录（含前后 5 分钟）；100002：未在 11:00–11:30 期间开启记录（含前后 5 分钟）',
    });
    // A finding in a shape the rule does not store says its own detail, as it was stored.
    const other = bulletinContent(input({ items: [item(1, 'ZF1', 'Y-1', ['100001'], { R2: '100001: uncovered 150 s' })] }));
    expect(other.problems[0]!.cases[0]!.detail).toBe('100001: uncovered 150 s');
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

  test('PDF (zh-CN): every rule\'s typical case in Chinese at the bureau\'s times; no UTC, no English', async () => {
    const file = path.join(dir, 'zh-every-rule.pdf');
    await writeFile(file, await bulletinPdf(bulletinContent(input({ items: everyRule }))));
    // Without white space and page footers: a case may run on to the next page.
    const text = (await run('pdftotext', ['-layout', file, '-'])).stdout.replace(/\s+/g, '').replace(/第\d+页\/共\d+页/g, '');
    for (const s of [
      '执法人员 100001 张三、100002：100001：未在 11:00–11:30 期间开启记录（含前后 5 分钟）；100002：未在 11:00–11:30 期间开启记录（含前后 5 分钟）',
      '覆盖 95.0%（不低于 95%）；最长中断 180 秒（09:30:00–09:33:00，上限 60 秒）',
      'DSJ0002_100002_2.MP4 于活动结束后 30 小时 1 分上传（时限 24 小时，超时 6 小时 1 分）',
      'DSJ0003_100001_3.MP4 使用 DSJ0003 录制，该记录仪在 14:59:00 开始录制时配发给 100002',
      'DSJ0001_100001_1.MP4 完整性校验不一致（2026年3月15日 04:00 校验）；DSJ0001 缺少分段 2',
      '2 条记录中 1 条未关联本案：DSJ0001_100001_7.MP4；DSJ0001_100001_8.MP4 已由 sup-zf1 手动解除关联（理由：属另一起案件）',
    ]) {
      expect(text).toContain(s.replace(/\s+/g, ''));
    }
    expect(text).not.toContain('UTC');
    // Left when the names are taken out (file names, recorder serials, accounts, the seed, the hash): no English word.
    const names = /[\w-]+\.MP4|DSJ\d+|sup-zf\d|seed-[\w-]+|[0-9a-f]{64}/g;
    expect(text.replace(names, '').match(/[A-Za-z]{3,}/g)).toBeNull();
  });

  test('the embedded face has a glyph for every character the bulletin prints (no tofu, no dropped glyphs)', () => {
    // fontkit is pdfkit's own font reader.
    const fontkit = require('fontkit') as { openSync(file: string, name: string): { hasGlyphForCodePoint(cp: number): boolean } };
    const face = fontkit.openSync(BULLETIN_FONT_FILE, 'WenQuanYiZenHei');
    for (const locale of ['zh-CN', 'en'] as Locale[]) {
      // Every rule's typical case too (R4–R6 fail only there).
      const chars = new Set(JSON.stringify([bulletinContent(input(), locale), bulletinContent(input({ items: everyRule }), locale)]));
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
    // The typical case at the bureau's time (a line may break after the slash of the zone).
    expect(stdout.replace(/\s+/g, '')).toContain('norecordingwithin11:00–11:30Asia/Shanghai');
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
