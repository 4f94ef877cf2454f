import { readFileSync } from 'node:fs';
import PDFDocument from 'pdfkit';
import { chartHeight, chartShapes, type Shape } from './bulletin-chart';
import { CATEGORIES, type BulletinContent } from './bulletin-content';

// The bulletin as an A4 PDF, drawn with pdfkit from the stored content. Chinese text needs a font with CJK
// glyphs embedded: WenQuanYi Zen Hei (Debian's fonts-wqy-zenhei; Noto CJK's collections lose glyphs in
// pdfkit, issue 1106). The .ttc holds three faces; pdfkit picks one by its PostScript name. The chart is
// drawn with pdfkit's vector operators (the same shapes the HTML's SVG shows). Output is deterministic
// for the same content: the document's dates are the issue time and its file ID derives from them.

export const BULLETIN_FONT_FILE = '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc';
const FACE = 'WenQuanYiZenHei';
const MONO_FACE = 'WenQuanYiZenHeiMono';

const fontCache = new Map<string, Buffer>();
function fontBytes(file: string): Buffer {
  let bytes = fontCache.get(file);
  if (!bytes) {
    try {
      bytes = readFileSync(file);
    } catch (err) {
      throw new Error(`the bulletin font ${file} cannot be read (install fonts-wqy-zenhei): ${(err as Error).message}`);
    }
    fontCache.set(file, bytes);
  }
  return bytes;
}

const MARGIN = { top: 56, bottom: 56, left: 50, right: 50 };
const RED = '#c00000';
const INK = '#222222';
const GREY = '#555555';

interface Column {
  header: string;
  width: number;
  align?: 'left' | 'center';
}

export function bulletinPdf(content: BulletinContent, options: { fontFile?: string } = {}): Promise<Buffer> {
  const font = fontBytes(options.fontFile ?? BULLETIN_FONT_FILE);
  const issued = new Date(content.issuedAt);
  const doc = new PDFDocument({
    size: 'A4',
    margins: MARGIN,
    bufferPages: true,
    lang: content.locale,
    displayTitle: true,
    info: {
      Title: `${content.title} ${content.number}`,
      Author: content.issuingBody,
      Subject: content.basics.period.text,
      Creator: 'bodycam-evidence',
      Producer: 'bodycam-evidence (pdfkit)',
      CreationDate: issued,
      ModDate: issued,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.registerFont('body', font, FACE);
  doc.registerFont('mono', font, MONO_FACE);

  const L = content.labels;
  const left = MARGIN.left;
  const width = doc.page.width - MARGIN.left - MARGIN.right;
  const bottom = () => doc.page.height - MARGIN.bottom;
  const ensure = (h: number) => {
    if (doc.y + h > bottom()) doc.addPage();
  };
  const para = (text: string, size = 10.5, color = INK, extra: PDFKit.Mixins.TextOptions = {}) => {
    doc.font('body').fontSize(size).fillColor(color).text(text, left, doc.y, { width, lineGap: 3, ...extra });
  };
  // WenQuanYi has no bold face: headings are filled and stroked thinly.
  const strong = (text: string, size: number, align: 'left' | 'center' = 'left', color = INK) => {
    doc.font('body').fontSize(size).fillColor(color).strokeColor(color).lineWidth(size / 40);
    doc.text(text, left, doc.y, { width, align, fill: true, stroke: true });
    doc.lineWidth(1);
  };
  // A heading stays with what follows it (`keep`: the room that needs).
  const heading = (text: string, keep = 60) => {
    ensure(keep);
    doc.moveDown(0.6);
    strong(text, 13);
    doc.moveDown(0.3);
  };

  function table(columns: Column[], rows: (string | number)[][], shaded: boolean[] = []) {
    const size = 8;
    const cellH = (cells: (string | number)[]) =>
      Math.max(...cells.map((c, i) => doc.font('body').fontSize(size).heightOfString(String(c), { width: columns[i]!.width - 4 }))) + 6;
    const drawRow = (cells: (string | number)[], fill: string | null) => {
      const h = cellH(cells);
      let x = left;
      const y = doc.y;
      cells.forEach((c, i) => {
        const col = columns[i]!;
        if (fill) doc.rect(x, y, col.width, h).fill(fill);
        doc.rect(x, y, col.width, h).lineWidth(0.5).strokeColor('#999999').stroke();
        doc.font('body').fontSize(size).fillColor(INK).text(String(c), x + 2, y + 3, { width: col.width - 4, align: col.align ?? 'center' });
        x += col.width;
      });
      doc.x = left;
      doc.y = y + h;
    };
    const header = () => drawRow(columns.map((c) => c.header), '#eef2f7');
    ensure(cellH(columns.map((c) => c.header)) + cellH(rows[0] ?? []) + 4);
    header();
    rows.forEach((r, i) => {
      if (doc.y + cellH(r) > bottom()) {
        doc.addPage();
        header();
      }
      drawRow(r, shaded[i] ? '#fbe9e7' : null);
    });
    doc.moveDown(0.4);
  }

  function drawShape(s: Shape, x0: number, y0: number) {
    switch (s.kind) {
      case 'rect':
        doc.rect(x0 + s.x, y0 + s.y, s.w, s.h).fill(s.fill);
        break;
      case 'line':
        doc.moveTo(x0 + s.x1, y0 + s.y1).lineTo(x0 + s.x2, y0 + s.y2).lineWidth(s.width).strokeColor(s.stroke);
        if (s.dash) doc.dash(s.dash, { space: s.dash });
        doc.stroke().undash();
        break;
      case 'polyline': {
        const [first, ...rest] = s.points;
        doc.moveTo(x0 + first![0], y0 + first![1]);
        for (const [x, y] of rest) doc.lineTo(x0 + x, y0 + y);
        doc.lineWidth(s.width).strokeColor(s.stroke).stroke();
        break;
      }
      case 'circle':
        doc.circle(x0 + s.cx, y0 + s.cy, s.r).fill(s.fill);
        break;
      case 'text': {
        doc.font('body').fontSize(s.size).fillColor(s.fill);
        const w = doc.widthOfString(s.text);
        const x = s.anchor === 'start' ? s.x : s.anchor === 'end' ? s.x - w : s.x - w / 2;
        doc.text(s.text, x0 + x, y0 + s.y - doc.currentLineHeight() / 2, { lineBreak: false });
        break;
      }
    }
  }

  // (1) The heading: issuing body in red, number and date, a red rule, the title.
  doc.y = MARGIN.top;
  strong(content.issuingBody, 20, 'center', RED);
  doc.moveDown(0.5);
  const metaY = doc.y;
  doc.font('body').fontSize(11).fillColor(INK);
  doc.text(content.version > 1 ? `${content.number}（${content.versionText}）` : content.number, left, metaY, { width, align: 'left' });
  doc.text(content.issuedDateText, left, metaY, { width, align: 'right' });
  doc.y = metaY + doc.currentLineHeight() + 6;
  doc.moveTo(left, doc.y).lineTo(left + width, doc.y).lineWidth(1.5).strokeColor(RED).stroke().lineWidth(1);
  doc.y += 14;
  strong(content.title, 18, 'center');
  doc.moveDown(0.6);
  if (content.correctionText) {
    para(content.correctionText, 10, RED);
    doc.moveDown(0.3);
  }

  // (2) The spot check.
  const b = content.basics;
  heading(L.basics);
  para(b.text);
  doc.moveDown(0.3);
  for (const [label, value] of [
    [L.period, b.period.text],
    [L.scope, b.scope.text],
    [L.method, b.method.text],
    [L.seed, b.seed],
    [L.draws, String(b.draws)],
    [L.regulation, b.regulationText],
    [L.activities, String(b.activitiesChecked)],
    [L.recordings, String(b.recordingsChecked)],
  ] as const) {
    ensure(14);
    const y = doc.y;
    doc.font('body').fontSize(9.5).fillColor(GREY).text(label, left, y, { width: 100 });
    doc.fillColor(INK).text(value, left + 104, y, { width: width - 104 });
  }

  // (3) Overall.
  const o = content.overall;
  heading(L.overall);
  para(o.text);
  doc.moveDown(0.3);
  const fifth = width / 5;
  table(
    [L.checked, L.passed, L.failed, L.rate, L.change].map((header) => ({ header, width: fifth })),
    [[o.checked, o.passed, o.failed, o.rate, o.change?.deltaText ?? '—']],
  );

  // (4) Per unit.
  heading(L.units);
  const fixed = { rank: 26, checked: 34, passed: 34, rate: 42, category: 22, criticized: 40 };
  const unitW = width - fixed.rank - fixed.checked - fixed.passed - fixed.rate - fixed.category * CATEGORIES.length - fixed.criticized;
  table(
    [
      { header: L.rank, width: fixed.rank },
      { header: L.unit, width: unitW, align: 'left' },
      { header: L.checked, width: fixed.checked },
      { header: L.passed, width: fixed.passed },
      { header: L.rate, width: fixed.rate },
      ...CATEGORIES.map((c) => ({ header: c, width: fixed.category })),
      { header: L.criticized, width: fixed.criticized },
    ],
    content.units.map((u) => [u.rank, u.unitName, u.checked, u.passed, u.rate, ...CATEGORIES.map((c) => u.fails[c]), u.criticized ? L.yes : '']),
    content.units.map((u) => u.criticized),
  );
  para(`${L.legend}：${content.categories.map((c) => `${c.code} ${c.name}`).join('；')}`, 8, GREY);

  // (5) Problems.
  heading(L.problems);
  para(content.problemsText);
  for (const p of content.problems) {
    ensure(40);
    doc.moveDown(0.3);
    para(p.heading, 10.5);
    for (const c of p.cases) para(`· ${c.text}`, 9.5, INK, { indent: 0, paragraphGap: 1 });
  }

  // (6) Rectification.
  heading(L.rectification);
  content.rectification.requirements.forEach((r, i) => para(`${i + 1}. ${r}`, 10.5, INK, { paragraphGap: 2 }));

  // (7) Chart: as many unit rows as fit on each page, the header and axis repeated.
  heading(L.chart, chartHeight(2) + 40);
  const series = content.chart.series;
  for (let from = 0; from < series.length || from === 0; ) {
    const fit = Math.max(1, Math.floor((bottom() - doc.y - chartHeight(0)) / (chartHeight(1) - chartHeight(0))));
    const part = series.slice(from, from + fit);
    const chart = chartShapes(content, width, part);
    const y0 = doc.y;
    for (const s of chart.shapes) drawShape(s, left, y0);
    doc.x = left;
    doc.y = y0 + chart.height + 4;
    from += Math.max(1, part.length);
    if (from < series.length) doc.addPage();
  }
  ensure(20);
  para(content.chart.caption, 8, GREY);

  // (8) Custody head.
  heading(L.custody);
  para(content.custody.text, 10);
  doc.moveDown(0.3);
  doc.font('body').fontSize(9).fillColor(GREY).text(`${L.custodySeq}: ${content.custody.seq}`, left, doc.y, { width });
  doc.font('mono').fontSize(9).fillColor(INK).text(`${L.custodyHead}: ${content.custody.head}`, left, doc.y, { width });
  doc.moveDown(0.8);
  para(content.roundingNote, 8, GREY);

  // Page numbers, in the bottom margin (with the margin lifted so the text does not start a new page).
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const saved = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    const label = L.page.replace('{n}', String(i + 1)).replace('{total}', String(range.count));
    doc.font('body').fontSize(8).fillColor(GREY).text(label, left, doc.page.height - 36, { width, align: 'center', lineBreak: false });
    doc.page.margins.bottom = saved;
  }
  doc.end();
  return done;
}
