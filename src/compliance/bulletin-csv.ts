import { CATEGORIES, type BulletinContent } from './bulletin-content';

// The bulletin as CSV for Excel: UTF-8 with a byte-order mark (so Excel reads the Chinese), CRLF line ends,
// RFC 4180 quoting. Three sections, each opened by a one-cell title row and separated by an empty line:
//   1. the bulletin: `label,value` rows (number, version, issuing body, date, period, scope, method, seed,
//      draws, regulation, activities and recordings checked, checked, passed, failed, pass rate, change,
//      criticized units, deadline, custody head and its seq);
//   2. per unit: a header row, then one row per unit in ranking order (rank, unit code, unit, checked, passed,
//      pass rate, the failing items per category R1–M4, criticized);
//   3. the items: a header row, then one row per item in list order (position, unit code, unit, case, activity,
//      activity type, officers, inspector, R1–R6 and M1–M4 results, the item's result).
// Pass rates are written as the bulletin prints them ('87.5%'). A text cell that Excel would take for a
// formula (starting with = + - @, other than a signed number) gets a leading apostrophe.

const cell = (v: string | number): string => {
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s) && !/^[+-]\d+(\.\d+)?%?$/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
const line = (cells: (string | number)[]) => `${cells.map(cell).join(',')}\r\n`;

export function bulletinCsv(content: BulletinContent): Buffer {
  const L = content.labels;
  const b = content.basics;
  const o = content.overall;
  const r = content.rectification;
  const categoryHead = content.categories.map((c) => `${c.code} ${c.name}`);
  let out = '\ufeff';
  out += line([L.csvSummary, content.title]);
  for (const [label, value] of [
    [L.number, content.number],
    [L.version, content.version],
    [L.issuingBody, content.issuingBody],
    [L.issuedDate, content.issuedDate],
    [L.period, `${b.period.from}/${b.period.to}`],
    [L.scope, b.scope.text],
    [L.method, b.method.text],
    [L.seed, b.seed],
    [L.draws, b.draws],
    [L.regulation, b.regulationVersion],
    [L.activities, b.activitiesChecked],
    [L.recordings, b.recordingsChecked],
    [L.checked, o.checked],
    [L.passed, o.passed],
    [L.failed, o.failed],
    [L.rate, o.rate],
    [L.change, o.change?.deltaText ?? '—'],
    [L.criticized, r.criticized.map((u) => u.unitName).join('; ')],
    [L.deadline, r.deadline],
    [L.custodyHead, content.custody.head],
    [L.custodySeq, content.custody.seq],
  ] as const) {
    out += line([label, value]);
  }
  out += '\r\n';
  out += line([L.csvUnits]);
  out += line([L.rank, L.unitCode, L.unit, L.checked, L.passed, L.rate, ...categoryHead, L.criticized]);
  for (const u of content.units) {
    out += line([u.rank, u.unitCode, u.unitName, u.checked, u.passed, u.rate, ...CATEGORIES.map((c) => u.fails[c]), u.criticized ? L.yes : '']);
  }
  out += '\r\n';
  out += line([L.csvItems]);
  out += line([L.position, L.unitCode, L.unit, L.caseNo, L.activity, L.activityType, L.officers, L.inspector, ...categoryHead, L.result]);
  for (const i of content.items) {
    const results = CATEGORIES.map((c) => {
      const v = i.results[c];
      return v === null ? '' : L.results[v];
    });
    out += line([i.position, i.unitCode, i.unitName, i.caseNo, i.activityKey, i.activityType, i.officers, i.inspector, ...results, L.results[i.result]]);
  }
  return Buffer.from(out, 'utf8');
}
