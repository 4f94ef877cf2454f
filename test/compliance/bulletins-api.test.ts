import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { DateTime } from 'luxon';
import request from 'supertest';
import { RULE_CODES, type RuleCode } from '../../config/regulation';
import { verifyChain } from '../../src/custody/read';
import { seedBureau } from '../support/bureau';
import { startTestEnv, userWithToken, type TestEnv } from '../support/harness';

// Spot checks are put straight into the tables (0012's shapes, findings as src/compliance/rules.ts stores
// them: per rule the worst of the officers, the officers' own results in evidence.officers), so these tests
// exercise bulletins alone.

const run = promisify(execFile);
let env: TestEnv;
let tokens: Awaited<ReturnType<typeof seedBureau>> & { reviewerZF1: string };
let dir: string;

type Officer = { badgeNo: string; fail?: string };
interface ItemSpec {
  unitCode: string;
  caseNo: string;
  officers: Officer[];
  /** Rules failing: for which officer(s) (by the `fail` text of the officer). */
  failRule?: RuleCode;
  /** Manual items failing (verdicts). */
  failManual?: 'M1' | 'M2' | 'M3' | 'M4';
  note?: string;
}

const recordingIds = new Set<string>();

function findings(spec: ItemSpec) {
  return [
    ...RULE_CODES.map((rule) => {
      const officers = spec.officers.map((o) => {
        const ids = [randomUUID()];
        ids.forEach((id) => recordingIds.add(id));
        const failed = spec.failRule === rule && o.fail !== undefined;
        return { badgeNo: o.badgeNo, result: failed ? 'fail' : 'pass', detail: failed ? o.fail! : '1 recording ok', evidence: { recordingIds: ids } };
      });
      const worst = officers.some((o) => o.result === 'fail') ? 'fail' : 'pass';
      return { rule, result: worst, detail: officers.filter((o) => o.result === worst).map((o) => `${o.badgeNo}: ${o.detail}`).join('; '), evidence: { officers } };
    }),
    // The manual placeholders stay pending in findings: the verdicts column is the truth.
    ...(['M1', 'M2', 'M3', 'M4'] as const).map((rule) => ({ rule, result: 'pending', detail: '' })),
  ];
}

/** A spot check as the spot-check service would leave it, inserted directly. */
async function insertCheck(opts: { from: string; to: string; unitCodes: string[] | null; status: 'open' | 'complete' | 'abandoned'; items: ItemSpec[] }): Promise<string> {
  const id = randomUUID();
  const pool = env.ctx.pool;
  await pool.query(
    `INSERT INTO spot_checks (id, opened_by, period_from, period_to, unit_codes, sample_mode, sample_value, seed, regulation_version, regulation, status, closed_at)
     VALUES ($1, 'root', $2, $3, $4, 'ratio', 0.1, $5, $6, $7, $8, CASE WHEN $8 <> 'open' THEN now() END)`,
    [id, opts.from, opts.to, opts.unitCodes, `seed-${id.slice(0, 8)}`, env.config.regulation.version, JSON.stringify(env.config.regulation), opts.status],
  );
  for (const [position, spec] of opts.items.entries()) {
    const fails = spec.failRule !== undefined || spec.failManual !== undefined;
    const verdicts = Object.fromEntries(
      (['M1', 'M2', 'M3', 'M4'] as const).map((m) => [m, { result: spec.failManual === m ? 'fail' : 'pass', by: 'sup-zf2', at: '2026-04-01T02:00:00.000Z' }]),
    );
    await pool.query(
      `INSERT INTO spot_check_items (spot_check_id, position, case_no, activity_key, activity_type, unit_code, badge_nos, started_at, ended_at, rank_key, inspector, findings, verdicts, note, result)
       VALUES ($1, $2, $3, 'A1', 'inspection', $4, $5, '2026-03-02T01:00:00Z', '2026-03-02T01:30:00Z', $6, 'sup-zf2', $7, $8, $9, $10)`,
      [id, position, spec.caseNo, spec.unitCode, spec.officers.map((o) => o.badgeNo), `${position}`.padStart(8, '0'), JSON.stringify(findings(spec)), JSON.stringify(verdicts), spec.note ?? null, opts.status === 'open' && position === 0 ? 'pending' : fails ? 'fail' : 'pass'],
    );
  }
  return id;
}

const ZF1 = [{ badgeNo: '100001' }, { badgeNo: '100002' }];
const ZF2 = [{ badgeNo: '200001' }, { badgeNo: '100002' }];
// ZF1: 2 of 3 pass (66.7 %), ZF2: 1 of 2 (50.0 %); 3 of 5 overall (60.0 %); both below 80 %.
const MARCH: ItemSpec[] = [
  { unitCode: 'ZF1', caseNo: '某交执罚〔2026〕101号', officers: ZF1 },
  { unitCode: 'ZF1', caseNo: '某交执罚〔2026〕102号', officers: [{ badgeNo: '100001', fail: 'uncovered 150 s' }, { badgeNo: '100002' }], failRule: 'R2' },
  { unitCode: 'ZF1', caseNo: '某交执罚〔2026〕103号', officers: ZF1 },
  { unitCode: 'ZF2', caseNo: '某交执罚〔2026〕201号', officers: ZF2 },
  { unitCode: 'ZF2', caseNo: '某交执罚〔2026〕202号', officers: ZF2, failManual: 'M2', note: '未告知当事人正在录音录像' },
];

let march: string;
let marchItemsRecordings: number;

beforeAll(async () => {
  env = await startTestEnv();
  const seeded = await seedBureau(env);
  tokens = { ...seeded, reviewerZF1: await userWithToken(env, 'rev-zf1', 'reviewer', { unitCode: 'ZF1' }) };
  dir = await mkdtemp(path.join(tmpdir(), 'bce-bulletins-'));
  march = await insertCheck({ from: '2026-03-01', to: '2026-03-31', unitCodes: null, status: 'complete', items: MARCH });
  marchItemsRecordings = recordingIds.size;
  // Draws: an abandoned one for the same period and an overlapping scope counts; one for another period does not.
  await insertCheck({ from: '2026-03-01', to: '2026-03-31', unitCodes: ['ZF2'], status: 'abandoned', items: [] });
  await insertCheck({ from: '2026-03-01', to: '2026-03-30', unitCodes: null, status: 'abandoned', items: [] });
}, 60_000);
afterAll(async () => {
  await env?.close();
  await rm(dir, { recursive: true, force: true });
});

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const issue = (token: string, checkId: string, body: Record<string, unknown> = {}) =>
  request(env.app).post(`/api/spot-checks/${checkId}/bulletins`).set(auth(token)).send(body);
const fetchAs = (token: string, url: string) =>
  request(env.app)
    .get(url)
    .set(auth(token))
    .buffer(true)
    .parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });
const year = () => DateTime.now().setZone('Asia/Shanghai').year;
const csvRows = (b: Buffer): string[][] => parse(b, { bom: true, relax_column_count: true, skip_empty_lines: true });
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let first: { id: string; number: string; version: number; custodyHead: string };

test('a bulletin from a complete check: HTML, PDF and CSV say what the rows say; its head and its event are on the custody log', async () => {
  const { rows: before } = await env.ctx.pool.query<{ hash: string }>('SELECT hash FROM custody_events ORDER BY seq DESC LIMIT 1');
  const res = await issue(tokens.admin, march);
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({ id: expect.any(String), number: `〔${year()}〕第 1 期`, version: 1, locale: 'zh-CN', replaces: null });
  expect(res.headers.location).toBe(`/api/bulletins/${res.body.id}.html`);
  first = res.body;
  // The printed head is the log's last event before the bulletin's own event.
  expect(first.custodyHead).toBe(before[0]?.hash ?? '0'.repeat(64));

  const html = await fetchAs(tokens.admin, `/api/bulletins/${first.id}.html`);
  expect(html.status).toBe(200);
  expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(html.headers['content-disposition']).toMatch(/^inline; filename="bulletin-\d{4}-1-v1\.html"; filename\*=UTF-8''/);
  expect(html.headers['content-security-policy']).toContain("default-src 'none'");
  expect(html.headers['x-custody-head']).toBe(first.custodyHead);
  const page = (html.body as Buffer).toString('utf8');
  for (const s of ['执法记录仪使用抽查情况通报', `〔${year()}〕第 1 期`, '二、总体情况', '三、各单位情况', '四、存在问题', '五、整改要求', '七、监督链哈希', '执法一股', '执法二股', '60.0%', '66.7%', '50.0%', '本期为首期通报', first.custodyHead, '某交执罚〔2026〕102号', '100001: uncovered 150 s', '未告知当事人正在录音录像']) {
    expect(page).toContain(s);
  }
  // Only the officer who failed R2 is named for it; a failed verdict names the item's officers.
  expect(page).toContain('执法人员 100001 张三：100001: uncovered 150 s');
  expect(page).toContain('执法人员 200001 王五、100002 李四：未告知当事人正在录音录像');

  const pdf = await fetchAs(tokens.admin, `/api/bulletins/${first.id}.pdf`);
  expect(pdf.status).toBe(200);
  expect(pdf.headers['content-type']).toBe('application/pdf');
  expect(pdf.headers['content-disposition']).toContain('.pdf');
  const pdfBytes = pdf.body as Buffer;
  await writeFile(path.join(dir, 'b.pdf'), pdfBytes);
  const text = (await run('pdftotext', [path.join(dir, 'b.pdf'), '-'])).stdout.replace(/\s+/g, '');
  for (const s of ['抽查情况通报', '总体情况', '执法一股', '执法二股', '60.0%', '66.7%', '50.0%', first.custodyHead]) expect(text).toContain(s);

  const csv = await fetchAs(tokens.admin, `/api/bulletins/${first.id}.csv`);
  expect(csv.status).toBe(200);
  expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
  expect(csv.headers['content-disposition']).toMatch(/^attachment; filename="bulletin-\d{4}-1-v1\.csv"/);
  const rows = csvRows(csv.body as Buffer);
  const value = (label: string) => rows.find((r) => r[0] === label)?.[1];
  expect([value('抽查数'), value('合格数'), value('不合格数'), value('合格率'), value('抽取次数'), value('涉及视音频记录'), value('监督链头哈希')]).toEqual([
    '5', '3', '2', '60.0%', '2', String(marchItemsRecordings), first.custodyHead,
  ]);
  const unitsAt = rows.findIndex((r) => r.length === 1 && r[0] === '各单位情况');
  expect(rows.slice(unitsAt + 2, unitsAt + 4).map((r) => r.slice(0, 6))).toEqual([
    ['1', 'ZF1', '执法一股', '3', '2', '66.7%'],
    ['2', 'ZF2', '执法二股', '2', '1', '50.0%'],
  ]);
  const itemsAt = rows.findIndex((r) => r.length === 1 && r[0] === '抽查事项');
  const header = rows[itemsAt + 1]!;
  const items = rows.slice(itemsAt + 2);
  expect(items.map((r) => [r[header.indexOf('案件编号')], r[header.indexOf('结果')]])).toEqual(MARCH.map((m) => [m.caseNo, m.failRule || m.failManual ? '不合格' : '合格']));
  // M2 is read from the verdicts, though the stored finding still says pending.
  expect(items[4]![header.findIndex((h) => h.startsWith('M2 '))]).toBe('不合格');
  expect(items[1]![header.findIndex((h) => h.startsWith('R2 '))]).toBe('不合格');

  const { rows: stored } = await env.ctx.pool.query('SELECT custody_head, pdf, content FROM bulletins WHERE id = $1', [first.id]);
  expect(Buffer.compare(stored[0].pdf, pdfBytes)).toBe(0);
  expect(stored[0].content.overall).toMatchObject({ checked: 5, passed: 3, rateTenths: 600 });
  const { rows: events } = await env.ctx.pool.query(`SELECT actor, action, detail, prev_hash FROM custody_events WHERE target = $1`, [`bulletin:${first.id}`]);
  expect(events).toHaveLength(1);
  expect(events[0]).toMatchObject({ actor: 'root', action: 'bulletin_issue', prev_hash: first.custodyHead });
  expect(events[0].detail).toMatchObject({ spotCheckId: march, number: first.number, version: 1, custodyHead: first.custodyHead, pdfSha256: sha256(pdfBytes) });
  expect((await verifyChain(env.ctx.pool)).ok).toBe(true);
});

test('a correction is the next version with the same number, says what it replaces; a second correction of the same one is refused', async () => {
  const res = await issue(tokens.admin, march, { replaces: first.id });
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({ number: first.number, version: 2, replaces: first.id, locale: 'zh-CN' });
  // Its head is the log's last event before it: here the first bulletin's own issue event.
  const { rows: firstEvent } = await env.ctx.pool.query('SELECT hash FROM custody_events WHERE target = $1', [`bulletin:${first.id}`]);
  expect(res.body.custodyHead).toBe(firstEvent[0].hash);
  const page = (await fetchAs(tokens.admin, `/api/bulletins/${res.body.id}.html`)).body.toString();
  expect(page).toContain(`更正并替代 ${first.number} 第 1 版`);
  const old = await fetchAs(tokens.admin, `/api/bulletins/${first.id}.pdf`);
  expect(old.headers['x-replaced-by']).toBe(res.body.id);

  const again = await issue(tokens.admin, march, { replaces: first.id });
  expect(again.status).toBe(409);
  expect(again.body.code).toBe('already_replaced');
  expect((await issue(tokens.admin, march, { replaces: randomUUID() })).status).toBe(422);
  const mismatch = await issue(tokens.admin, march, { replaces: res.body.id, number: '〔2026〕第 99 期' });
  expect([mismatch.status, mismatch.body.field]).toEqual([422, 'number']);
  // One current bulletin a check: another issue without `replaces` is refused, whatever its number.
  const second = await issue(tokens.admin, march, {});
  expect([second.status, second.body.code, second.body.field]).toEqual([409, 'bulletin_exists', 'replaces']);
  // A number is taken whatever its spacing, on any check.
  const fresh = await insertCheck({ from: '2026-01-01', to: '2026-01-31', unitCodes: ['ZF2'], status: 'complete', items: [MARCH[3]!] });
  const taken = await issue(tokens.admin, fresh, { number: first.number.replace(/\s/g, '') });
  expect([taken.status, taken.body.code]).toEqual([409, 'number_taken']);
  const other = await insertCheck({ from: '2026-02-01', to: '2026-02-28', unitCodes: ['ZF2'], status: 'complete', items: [MARCH[3]!] });
  const foreign = await issue(tokens.admin, other, { replaces: res.body.id });
  expect([foreign.status, foreign.body.code]).toEqual([409, 'bulletin_of_another_check']);
});

test('no bulletin from an open or abandoned check, nor a missing one; bad bodies are 400', async () => {
  const open = await insertCheck({ from: '2026-05-01', to: '2026-05-31', unitCodes: null, status: 'open', items: MARCH });
  const res = await issue(tokens.admin, open);
  expect([res.status, res.body.code]).toEqual([409, 'spot_check_not_complete']);
  const abandoned = await insertCheck({ from: '2026-05-01', to: '2026-05-31', unitCodes: null, status: 'abandoned', items: [] });
  expect((await issue(tokens.admin, abandoned)).status).toBe(409);
  // No body at all is an empty one.
  expect((await request(env.app).post(`/api/spot-checks/${open}/bulletins`).set(auth(tokens.admin))).status).toBe(409);
  expect((await issue(tokens.admin, randomUUID())).status).toBe(404);
  expect((await issue(tokens.admin, 'not-a-uuid')).status).toBe(404);
  expect((await issue(tokens.admin, march, { locale: 'fr' })).status).toBe(400);
  expect((await issue(tokens.admin, march, { colour: 'red' })).body.code).toBe('unknown_field');
  expect((await fetchAs(tokens.admin, `/api/bulletins/${first.id}.docx`)).status).toBe(404);
  expect((await fetchAs(tokens.admin, `/api/bulletins/${randomUUID()}.pdf`)).status).toBe(404);
  const odd = await fetchAs(tokens.admin, '/api/bulletins/X-1.X-1');
  expect([odd.status, odd.headers['content-type']]).toEqual([404, 'application/problem+json; charset=utf-8']);
  expect((await fetchAs(tokens.admin, `/api/bulletins/${first.id}`)).status).toBe(404);
});

test('the database refuses to change or remove a bulletin', async () => {
  await expect(env.ctx.pool.query(`UPDATE bulletins SET number = 'x' WHERE id = $1`, [first.id])).rejects.toThrow(/immutable/);
  await expect(env.ctx.pool.query('DELETE FROM bulletins WHERE id = $1', [first.id])).rejects.toThrow(/immutable/);
});

test('English on request: the next number, English text, the change against the previous bulletin of the same scope', async () => {
  // April, bureau-wide: ZF1 1 of 1, ZF2 1 of 2 → 2 of 3 (66.7 %); the previous is March's current version (60.0 %).
  const april = await insertCheck({ from: '2026-04-01', to: '2026-04-30', unitCodes: null, status: 'complete', items: [MARCH[0]!, MARCH[3]!, MARCH[4]!] });
  const res = await issue(tokens.admin, april, { locale: 'en' });
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({ locale: 'en', version: 1 });
  const html = (await fetchAs(tokens.admin, `/api/bulletins/${res.body.id}.html`)).body.toString();
  for (const s of ['<html lang="en">', 'Spot-check bulletin on body-worn recorder use', '2. Overall result', 'a pass rate of 66.7%', `Up 6.7 percentage points: the previous bulletin (${first.number}) had 60.0%`]) {
    expect(html).toContain(s);
  }
  const rows = csvRows((await fetchAs(tokens.admin, `/api/bulletins/${res.body.id}.csv`)).body);
  expect(rows.find((r) => r[0] === 'Pass rate')?.[1]).toBe('66.7%');
  expect(rows.find((r) => r[0] === 'Change')?.[1]).toBe('+6.7');
  const { rows: stored } = await env.ctx.pool.query('SELECT content FROM bulletins WHERE id = $1', [res.body.id]);
  expect(stored[0].content.chart.columns.map((c: { number: string }) => c.number)).toEqual([first.number, res.body.number]);
  expect(stored[0].content.chart.series.find((s: { unitCode: string }) => s.unitCode === 'ZF2').rateTenths).toEqual([500, 500]);
});

test('concurrent issues get distinct numbers', async () => {
  const a = await insertCheck({ from: '2026-06-01', to: '2026-06-30', unitCodes: ['ZF1'], status: 'complete', items: MARCH.slice(0, 1) });
  const b = await insertCheck({ from: '2026-06-01', to: '2026-06-30', unitCodes: ['ZF2'], status: 'complete', items: MARCH.slice(3, 4) });
  const [ra, rb] = await Promise.all([issue(tokens.admin, a), issue(tokens.admin, b)]);
  expect([ra.status, rb.status]).toEqual([201, 201]);
  expect(new Set([ra.body.number, rb.body.number]).size).toBe(2);
  expect((await verifyChain(env.ctx.pool)).ok).toBe(true);
});

test('scope: a unit supervisor issues for their unit\'s checks only and reads the bulletins of checks covering their unit', async () => {
  expect((await issue(tokens.supervisorZF1, march)).status).toBe(403);
  const own = await insertCheck({ from: '2026-03-01', to: '2026-03-31', unitCodes: ['ZF1'], status: 'complete', items: MARCH.slice(0, 3) });
  const res = await issue(tokens.supervisorZF1, own);
  expect(res.status).toBe(201);
  expect((await issue(tokens.reviewerZF1, own)).status).toBe(403);
  expect((await fetchAs(tokens.reviewerZF1, `/api/bulletins/${res.body.id}.html`)).status).toBe(200);
  expect((await fetchAs(tokens.supervisorZF2, `/api/bulletins/${res.body.id}.html`)).status).toBe(403);
  expect((await fetchAs(tokens.supervisorZF2, `/api/bulletins/${first.id}.csv`)).status).toBe(200);
  expect((await fetchAs(tokens.officer, `/api/bulletins/${first.id}.csv`)).status).toBe(403);
  expect((await request(env.app).get(`/api/bulletins/${first.id}.pdf`)).status).toBe(401);
  // A unit-only check has no previous bulletin of its scope, and its draws count the bureau-wide March ones.
  const { rows } = await env.ctx.pool.query('SELECT content FROM bulletins WHERE id = $1', [res.body.id]);
  expect(rows[0].content.overall.change).toBeNull();
  expect(rows[0].content.basics.draws).toBe(2);
});
