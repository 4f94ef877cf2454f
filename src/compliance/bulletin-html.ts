import { chartShapes, type Shape } from './bulletin-chart';
import { CATEGORIES, formatTenths, type BulletinContent } from './bulletin-content';

// The bulletin as one self-contained HTML page: inline CSS, the chart as inline SVG, no scripts, no links
// to anything. A pure function of the stored content, so the page is the same every time it is served.

const esc = (v: string | number): string =>
  String(v).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

const n = (v: number) => Number(v.toFixed(2));

function svgShape(s: Shape): string {
  switch (s.kind) {
    case 'rect':
      return `<rect x="${n(s.x)}" y="${n(s.y)}" width="${n(s.w)}" height="${n(s.h)}" fill="${s.fill}"/>`;
    case 'line':
      return `<line x1="${n(s.x1)}" y1="${n(s.y1)}" x2="${n(s.x2)}" y2="${n(s.y2)}" stroke="${s.stroke}" stroke-width="${s.width}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`;
    case 'polyline':
      return `<polyline points="${s.points.map(([x, y]) => `${n(x)},${n(y)}`).join(' ')}" fill="none" stroke="${s.stroke}" stroke-width="${s.width}"/>`;
    case 'circle':
      return `<circle cx="${n(s.cx)}" cy="${n(s.cy)}" r="${s.r}" fill="${s.fill}"/>`;
    case 'text':
      return `<text x="${n(s.x)}" y="${n(s.y)}" font-size="${s.size}" fill="${s.fill}" text-anchor="${s.anchor}" dominant-baseline="central">${esc(s.text)}</text>`;
  }
}

export function chartSvg(content: BulletinContent, width = 680): string {
  const chart = chartShapes(content, width);
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(content.labels.chart)}" width="${chart.width}" height="${chart.height}" viewBox="0 0 ${chart.width} ${chart.height}" font-family="'WenQuanYi Zen Hei', 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif">${chart.shapes.map(svgShape).join('')}</svg>`;
}

const CSS = `
body{font-family:'WenQuanYi Zen Hei','Noto Sans CJK SC','Microsoft YaHei','PingFang SC',sans-serif;color:#222;max-width:820px;margin:24px auto;padding:0 16px;line-height:1.6;font-size:15px}
header{text-align:center;border-bottom:2px solid #c00;padding-bottom:8px;margin-bottom:16px}
.body{color:#c00;font-size:26px;font-weight:bold;letter-spacing:2px;margin:0}
.meta{display:flex;justify-content:space-between;font-size:14px;margin-top:8px}
h1{text-align:center;font-size:22px;margin:16px 0}
h2{font-size:17px;margin:22px 0 8px}
h3{font-size:15px;margin:12px 0 4px}
table{border-collapse:collapse;width:100%;font-size:13px;margin:8px 0}
th,td{border:1px solid #999;padding:3px 5px;text-align:center}
th{background:#eef2f7}
tr.criticized td{background:#fbe9e7}
td.name{text-align:left}
dl{display:grid;grid-template-columns:9em 1fr;gap:2px 12px;margin:8px 0}
dt{color:#555}
dd{margin:0}
.mono{font-family:'WenQuanYi Zen Hei Mono',monospace;word-break:break-all}
.correction{border:1px solid #c00;padding:6px 10px;color:#900}
.note,.legend,.caption{font-size:12px;color:#555}
ul.cases{margin:4px 0 8px;padding-left:20px}
`;

export function bulletinHtml(content: BulletinContent): string {
  const L = content.labels;
  const b = content.basics;
  const o = content.overall;
  // `nameCol`: the column of names, aligned left.
  const row = (cells: (string | number)[], tag: 'td' | 'th' = 'td', nameCol = -1) =>
    `<tr>${cells.map((c, i) => `<${tag}${i === nameCol ? ' class="name"' : ''}>${esc(c)}</${tag}>`).join('')}</tr>`;
  const unitHead = [L.rank, L.unit, L.checked, L.passed, L.rate, ...CATEGORIES, L.criticized];
  const unitRows = content.units
    .map((u) =>
      row([u.rank, u.unitName, u.checked, u.passed, u.rate, ...CATEGORIES.map((c) => u.fails[c]), u.criticized ? L.yes : ''], 'td', 1).replace(
        '<tr>',
        u.criticized ? '<tr class="criticized">' : '<tr>',
      ),
    )
    .join('');
  const trendHead = [L.unit, ...content.chart.columns.map((c) => c.number)];
  const trendRows = content.chart.series.map((s) => row([s.unitName, ...s.rateTenths.map(formatTenths)], 'td', 0)).join('');
  const problems = content.problems
    .map((p) => `<h3>${esc(p.heading)}</h3><p>${esc(L.typicalCases)}：</p><ul class="cases">${p.cases.map((c) => `<li>${esc(c.text)}</li>`).join('')}</ul>`)
    .join('');

  return `<!DOCTYPE html>
<html lang="${esc(content.locale)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(`${content.title} ${content.number}`)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<p class="body">${esc(content.issuingBody)}</p>
<div class="meta"><span>${esc(content.number)}${content.version > 1 ? ` · ${esc(content.versionText)}` : ''}</span><span>${esc(content.issuedDateText)}</span></div>
</header>
<h1>${esc(content.title)}</h1>
${content.correctionText ? `<p class="correction">${esc(content.correctionText)}</p>` : ''}
<section id="basics">
<h2>${esc(L.basics)}</h2>
<p>${esc(b.text)}</p>
<dl>
<dt>${esc(L.period)}</dt><dd>${esc(b.period.text)}</dd>
<dt>${esc(L.scope)}</dt><dd>${esc(b.scope.text)}</dd>
<dt>${esc(L.method)}</dt><dd>${esc(b.method.text)}</dd>
<dt>${esc(L.seed)}</dt><dd class="mono">${esc(b.seed)}</dd>
<dt>${esc(L.draws)}</dt><dd>${esc(b.draws)}</dd>
<dt>${esc(L.regulation)}</dt><dd>${esc(b.regulationText)}</dd>
<dt>${esc(L.activities)}</dt><dd>${esc(b.activitiesChecked)}</dd>
<dt>${esc(L.recordings)}</dt><dd>${esc(b.recordingsChecked)}</dd>
</dl>
</section>
<section id="overall">
<h2>${esc(L.overall)}</h2>
<p>${esc(o.text)}</p>
<table><thead>${row([L.checked, L.passed, L.failed, L.rate, L.change], 'th')}</thead>
<tbody>${row([o.checked, o.passed, o.failed, o.rate, o.change?.deltaText ?? '—'])}</tbody></table>
</section>
<section id="units">
<h2>${esc(L.units)}</h2>
<table><thead>${row(unitHead, 'th')}</thead><tbody>${unitRows}</tbody></table>
<p class="legend">${esc(L.legend)}：${content.categories.map((c) => `${esc(c.code)} ${esc(c.name)}`).join('；')}</p>
</section>
<section id="problems">
<h2>${esc(L.problems)}</h2>
<p>${esc(content.problemsText)}</p>
${problems}
</section>
<section id="rectification">
<h2>${esc(L.rectification)}</h2>
<ol>${content.rectification.requirements.map((r) => `<li>${esc(r)}</li>`).join('')}</ol>
</section>
<section id="chart">
<h2>${esc(L.chart)}</h2>
${chartSvg(content)}
<p class="caption">${esc(content.chart.caption)}</p>
<table><thead>${row(trendHead, 'th')}</thead><tbody>${trendRows}</tbody></table>
</section>
<section id="custody">
<h2>${esc(L.custody)}</h2>
<p>${esc(content.custody.text)}</p>
<dl><dt>${esc(L.custodySeq)}</dt><dd>${esc(content.custody.seq)}</dd><dt>${esc(L.custodyHead)}</dt><dd class="mono">${esc(content.custody.head)}</dd></dl>
</section>
<p class="note">${esc(content.roundingNote)}</p>
</body>
</html>
`;
}
