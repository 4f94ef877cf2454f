import { performance } from 'node:perf_hooks';
import { DateTime } from 'luxon';
import { issueToken } from '../../src/auth/tokens';
import { complianceFigures, type ComplianceReport, type FigureName } from '../../src/compliance/continuous';
import { activitiesInPeriod, loadActivityFacts } from '../../src/compliance/facts';
import { evaluateActivity } from '../../src/compliance/rules';
import type { Context } from '../../src/context';
import { inTransaction, type Db, type Pool } from '../../src/db/pool';
import { createUser } from '../../src/directory/users';
import { fmt } from './support';

export interface ComplianceBenchOptions {
  ctx: Context;
  /** The API process, running on the same database. */
  apiBase: string;
  /** The year's catalog: recordings, cases and activities (each case has one activity, some two). */
  recordings: number;
  cases: number;
  activities: number;
  /** Timed rounds of each computation, after one warm-up round. */
  rounds: number;
}

// DESIGN.md, Budgets: a spot check over a year (≈ 4,000 activities in ≈ 3,700 cases, ≈ 500 k recordings) ≤ 3 s.
// What is timed is its automatic part: the population of the year, the facts of every activity, the rules.
const BUDGET_MS = 3000;

// The seeded year, in the bureau's zone; its own units, officers and recorders (`Y…`, badges 5xxxxx), so it
// sits beside the cases benchmark's catalog (2023–2024) when both run.
const { YEAR, UNITS, OFFICERS, DAYS } = { YEAR: 2025, UNITS: 20, OFFICERS: 400, DAYS: 365 };
/** Activities a call of loadActivityFacts in the chunked comparison. */
const FACTS_CHUNK = 1000;
const TYPES = ['inspection', 'questioning', 'on_the_spot_penalty', 'sampling', 'preservation', 'seizure', 'execution', 'service', 'hearing', 'other'];

/**
 * The automatic part of a year-scale spot check and the continuous-compliance figures of the year, timed on a
 * seeded catalog (set-based SQL). Prints medians and maxima with their ratio to the budget; nothing is pass/fail.
 */
export async function benchCompliance(o: ComplianceBenchOptions): Promise<void> {
  const { pool, config } = o.ctx;
  const zone = config.bureauTz;
  const bufferMs = config.linkBufferMs;
  const regulation = config.regulation;
  const t0 = performance.now();
  const seeded = await seedYear(pool, o, zone);
  console.log(`compliance: seeded in ${fmt((performance.now() - t0) / 1000, 1)} s: ${seeded}`);

  const from = DateTime.fromObject({ year: YEAR, month: 1, day: 1 }, { zone });
  const period = { from: from.toJSDate(), to: from.plus({ years: 1 }).toJSDate(), unitCodes: null };

  // The spot check's automatic part, phase by phase.
  const phases = { population: [] as number[], facts: [] as number[], rules: [] as number[], total: [] as number[], chunked: [] as number[] };
  let shape = '';
  for (let round = 0; round <= o.rounds; round++) {
    const a = performance.now();
    const population = await activitiesInPeriod(pool, period);
    const b = performance.now();
    const facts = await loadActivityFacts(pool, population.map((p) => p.activityId), bufferMs);
    const c = performance.now();
    let fails = 0;
    for (const f of facts) fails += evaluateActivity(f, regulation).findings.filter((x) => x.result === 'fail').length;
    const d = performance.now();
    if (round === 0) {
      const pairs = facts.reduce((n, f) => n + f.officers.length, 0);
      const footage = facts.reduce((n, f) => n + f.officers.reduce((m, of) => m + of.footage.length, 0), 0);
      shape = `${population.length} activities, ${pairs} activity-officer pairs, ${footage} recordings in their footage, ${fails} failed rule findings`;
      continue; // warm-up
    }
    phases.population.push(b - a);
    phases.facts.push(c - b);
    phases.rules.push(d - c);
    phases.total.push(d - a);
    // The same facts loaded in chunks (as complianceFigures does), to compare.
    const e = performance.now();
    for (let i = 0; i < population.length; i += FACTS_CHUNK) {
      await loadActivityFacts(pool, population.slice(i, i + FACTS_CHUNK).map((p) => p.activityId), bufferMs);
    }
    phases.chunked.push(performance.now() - e);
  }
  console.log(`compliance: spot check of ${YEAR}, automatic part (${shape}); ${o.rounds} rounds after 1 warm-up (ms)`);
  console.log(`  ${'step'.padEnd(58)}${'median'.padStart(9)}${'max'.padStart(9)}`);
  const line = (name: string, xs: number[]) => console.log(`  ${name.padEnd(58)}${fmt(middle(xs)).padStart(9)}${fmt(Math.max(...xs)).padStart(9)}`);
  line('activitiesInPeriod(), the year', phases.population);
  line('loadActivityFacts(), every activity', phases.facts);
  line('evaluateActivity(), each', phases.rules);
  line('total', phases.total);
  line(`  (not in the total) loadActivityFacts() in chunks of ${FACTS_CHUNK}`, phases.chunked);
  console.log(`  ratio to the budget (${BUDGET_MS} ms): median ${fmt(middle(phases.total) / BUDGET_MS)}, max ${fmt(Math.max(...phases.total) / BUDGET_MS)} (≤ 1.00 is within)`);

  await explainHeaviest(pool, period, bufferMs);

  // Continuous compliance for the year: the same work plus the aggregation, in the module and through the API.
  const admin = await inTransaction(pool, async (c) => {
    const user = await createUser(c, { username: 'bench-compliance-admin', password: 'bench compliance admin password', role: 'admin' }, 10);
    return (await issueToken(c, user.id, 'api', null)).token;
  });
  const query = { from: `${YEAR}-01`, to: `${YEAR}-12`, unitCodes: null, badgeNo: null, units: true };
  const settings = { regulation, zone, bufferMs };
  const inModule: number[] = [];
  const viaApi: number[] = [];
  let report: ComplianceReport | undefined;
  let bytes = 0;
  for (let round = 0; round <= o.rounds; round++) {
    const a = performance.now();
    report = await complianceFigures(pool, settings, query);
    const b = performance.now();
    const res = await fetch(`${o.apiBase}/api/compliance?from=${query.from}&to=${query.to}`, { headers: { Authorization: `Bearer ${admin}` } });
    if (res.status !== 200) throw new Error(`GET /api/compliance: ${res.status} ${await res.text()}`);
    bytes = (await res.arrayBuffer()).byteLength;
    const c = performance.now();
    if (round === 0) continue;
    inModule.push(b - a);
    viaApi.push(c - b);
  }
  const r = report!;
  console.log(`compliance: continuous figures of ${YEAR} (${r.units.length} unit-month rows, ${r.officers.length} officer-month rows; ${fmt(bytes / 1024, 0)} KiB as JSON); ${o.rounds} rounds after 1 warm-up (ms)`);
  console.log(`  ${'step'.padEnd(58)}${'median'.padStart(9)}${'max'.padStart(9)}`);
  line('complianceFigures(), all units, 12 months', inModule);
  line('GET /api/compliance as an admin', viaApi);
  console.log(`  ratio to the spot-check budget (${BUDGET_MS} ms; none of its own): median ${fmt(middle(viaApi) / BUDGET_MS)} through the API`);
  const bureau = (name: FigureName) => {
    const pass = r.unitTotals.reduce((n, u) => n + u[name].pass, 0);
    const fail = r.unitTotals.reduce((n, u) => n + u[name].fail, 0);
    return `${name} ${fmt((100 * pass) / (pass + fail), 1)} % of ${pass + fail}`;
  };
  console.log(`  the bureau's year: ${(['recording', 'onTime', 'fullProcess', 'ownRecorder'] as const).map(bureau).join(', ')}`);
}

/** The middle value (the mean of the two middle ones for an even count). */
function middle(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const half = sorted.length >> 1;
  return sorted.length & 1 ? sorted[half]! : (sorted[half - 1]! + sorted[half]!) / 2;
}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of every statement the automatic part sends, once; the slowest one's plan is
 * printed as its nodes (conditions and per-node details left out), with its planning and execution times.
 */
async function explainHeaviest(pool: Pool, period: { from: Date; to: Date; unitCodes: null }, bufferMs: number): Promise<void> {
  const sent: { text: string; values: unknown[] }[] = [];
  const recorder = {
    query: (text: string, values: unknown[] = []) => {
      sent.push({ text, values });
      return pool.query(text, values);
    },
  } as unknown as Db;
  const population = await activitiesInPeriod(recorder, period);
  await loadActivityFacts(recorder, population.map((p) => p.activityId), bufferMs);
  let heaviest: { ms: number; lines: string[]; sql: string } | null = null;
  console.log('compliance: its statements, once each: the server\'s execution time (EXPLAIN ANALYZE) and the wall time of the query as the client sees it (rows sent and parsed)');
  for (const [i, s] of sent.entries()) {
    const { rows } = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${s.text}`, s.values);
    const lines = rows.map((r) => r['QUERY PLAN']);
    const ms = Number(/Execution Time: ([\d.]+) ms/.exec(lines.at(-1) ?? '')?.[1] ?? NaN);
    const sql = s.text.replace(/\s+/g, ' ').trim();
    if (!heaviest || ms > heaviest.ms) heaviest = { ms, lines, sql };
    const t = performance.now();
    const { rowCount } = await pool.query(s.text, s.values);
    console.log(`  ${i + 1}. server ${fmt(ms, 1)} ms, client ${fmt(performance.now() - t, 1)} ms, ${rowCount} rows — ${sql.slice(0, 70)}...`);
  }
  if (!heaviest) return;
  console.log(`compliance: the heaviest of its ${sent.length} statements, ${fmt(heaviest.ms, 1)} ms (EXPLAIN ANALYZE, BUFFERS; nodes only): ${heaviest.sql.slice(0, 100)}...`);
  for (const l of heaviest.lines) {
    const node = /^(\s*)(->\s+)?(.+?)\s+\(cost=[^)]*\)\s+\(actual time=[\d.]+\.\.([\d.]+) rows=(\d+) loops=(\d+)\)/.exec(l);
    if (node) console.log(`  ${node[1]}${node[2] ?? ''}${node[3]}: ${node[5]} rows × ${node[6]} loops, ${node[4]} ms`);
    else if (/^\s*(CTE|SubPlan|InitPlan) /.test(l)) console.log(`  ${l}`);
    else if (/^(Planning|Execution) Time|^Planning:|^\s*Buffers: shared/.test(l) && !/^\s{4,}/.test(l)) console.log(`  ${l.trim()}`);
  }
}

/**
 * A year of a bureau, in set-based statements: UNITS units of OFFICERS/UNITS officers, each with their own
 * recorder; `cases` cases (their lead officer's unit), `activities` activities of 2–3 officers of the unit,
 * each officer's footage of an activity as contiguous segments (most cover it; a few start late, dock late,
 * come from a colleague's recorder or are missing) linked to the case; the rest of `recordings` as patrol
 * footage (two sessions a day); an integrity audit for most recordings, an older one for some, a few
 * mismatches. Returns a one-line summary.
 */
async function seedYear(pool: Pool, o: { recordings: number; cases: number; activities: number }, zone: string): Promise<string> {
  if (o.activities < o.cases || o.activities > 2 * o.cases) throw new Error('the compliance benchmark seeds one or two activities a case: cases ≤ activities ≤ 2 × cases');
  const first = DateTime.fromObject({ year: YEAR, month: 1, day: 1 }, { zone }).toISO()!;
  const c = await pool.connect();
  const q = (sql: string, values: unknown[] = []) => c.query(sql, values);
  try {
    await q(`SET work_mem = '256MB'`);
    await q('SELECT setseed(0.2025)');
    await q(`INSERT INTO units (code, name) SELECT 'Y' || lpad(u::text, 2, '0'), '执法' || u || '股' FROM generate_series(1, $1::int) u`, [UNITS]);
    await q(`INSERT INTO officers (badge_no, name) SELECT (500000 + i)::text, '执法员' || i FROM generate_series(1, $1::int) i`, [OFFICERS]);
    await q(`INSERT INTO recorders (serial, model) SELECT 'YR' || lpad(i::text, 5, '0'), 'DSJ-V9' FROM generate_series(1, $1::int) i`, [OFFICERS]);
    // Officer idx is in unit ((idx - 1) % UNITS) + 1 and wears recorder idx; idx + UNITS (wrapping) is a colleague of the same unit.
    await q(
      `CREATE TEMP TABLE y_officers AS
       SELECT i AS idx, o.id AS officer_id, o.badge_no, u.id AS unit_id, r.id AS recorder_id, r.serial
         FROM generate_series(1, $1::int) i
         JOIN officers o ON o.badge_no = (500000 + i)::text
         JOIN units u ON u.code = 'Y' || lpad((((i - 1) % $2::int) + 1)::text, 2, '0')
         JOIN recorders r ON r.serial = 'YR' || lpad(i::text, 5, '0')`,
      [OFFICERS, UNITS],
    );
    await q(`INSERT INTO officer_units (officer_id, unit_id, valid) SELECT officer_id, unit_id, tstzrange(NULL, NULL) FROM y_officers`);
    await q(`INSERT INTO recorder_assignments (recorder_id, officer_id, valid) SELECT recorder_id, officer_id, tstzrange(NULL, NULL) FROM y_officers`);
    const station = (await q(`INSERT INTO users (username, password_hash, role) VALUES ('bench-compliance-station', 'x', 'station') RETURNING id`)).rows[0].id as number;

    // Cases: a lead officer and a start in office hours; the first (activities − cases) have a second activity days later.
    await q(
      `CREATE TEMP TABLE y_cases AS
       SELECT ci, 1 + floor(random() * $2::int)::int AS lead,
              $1::timestamptz + make_interval(days => floor(random() * ($3::int - 10))::int, hours => 8 + floor(random() * 9)::int, mins => floor(random() * 60)::int) AS at
         FROM generate_series(1, $4::int) ci`,
      [first, OFFICERS, DAYS, o.cases],
    );
    await q(
      `INSERT INTO cases (case_no, title, kind, status, unit_id, created_at, updated_at, closed_at)
       SELECT '某交执检〔${YEAR}〕' || ci || '号', '案件 ' || ci, (ARRAY['penalty', 'penalty', 'inspection', 'compulsory', 'other'])[1 + ci % 5],
              CASE WHEN ci % 10 < 8 THEN 'closed' ELSE 'open' END, o.unit_id, at + interval '1 day', at + interval '1 day',
              CASE WHEN ci % 10 < 8 THEN at + interval '20 days' END
         FROM y_cases JOIN y_officers o ON o.idx = lead`,
    );
    await q(
      `CREATE TEMP TABLE y_activities AS
       SELECT y.ci, k, y.lead, cs.id AS case_id,
              CASE WHEN k = 1 THEN y.at ELSE y.at + make_interval(days => 1 + floor(random() * 9)::int) END AS started_at,
              (10 + floor(random() * 80))::int AS minutes,
              ((y.lead - 1 + $1::int * (1 + floor(random() * ($2::int / $1::int - 1))::int)) % $2::int) + 1 AS partner,
              CASE WHEN random() < 0.3 THEN ((y.lead - 1 + $1::int * (1 + floor(random() * ($2::int / $1::int - 1))::int)) % $2::int) + 1 END AS third
         FROM y_cases y
         JOIN cases cs ON cs.case_no = '某交执检〔${YEAR}〕' || y.ci || '号'
         CROSS JOIN LATERAL generate_series(1, CASE WHEN y.ci <= $3::int THEN 2 ELSE 1 END) k`,
      [UNITS, OFFICERS, o.activities - o.cases],
    );
    await q(
      `INSERT INTO case_activities (case_id, key, type, started_at, ended_at, location)
       SELECT case_id, 'A' || k, ($1::text[])[1 + (ci + k) % 10], started_at, started_at + make_interval(mins => minutes), '某某路 ' || (ci % 300) || ' 号'
         FROM y_activities`,
      [TYPES],
    );
    await q(
      `INSERT INTO activity_officers (activity_id, officer_id)
       SELECT ca.id, o.officer_id
         FROM y_activities a
         JOIN case_activities ca ON ca.case_id = a.case_id AND ca.key = 'A' || a.k
         CROSS JOIN LATERAL unnest(ARRAY[a.lead, a.partner, a.third]) AS who(idx)
         JOIN y_officers o ON o.idx = who.idx
       ON CONFLICT DO NOTHING`,
    );

    // Sessions: each officer's footage of each activity (92 % recorded; of those, 5 % start 5–15 min late,
    // 4 % docked 26–60 h after the end, 2 % on a colleague's recorder), then patrol sessions.
    await q(
      `CREATE TEMP TABLE y_sessions AS
       SELECT ao.officer_idx AS idx,
              CASE WHEN random() < 0.02 THEN ((ao.officer_idx - 1 + $1::int) % $2::int) + 1 ELSE ao.officer_idx END AS recorder_idx,
              ao.case_id,
              CASE WHEN ao.roll < 0.05 THEN ao.started_at + make_interval(mins => 5 + floor(random() * 10)::int)
                   ELSE ao.started_at - make_interval(secs => floor(random() * 180)::int) END AS started_at,
              ao.ended_at + make_interval(secs => floor(random() * 180)::int) AS ended_at,
              ao.ended_at + CASE WHEN random() < 0.04 THEN make_interval(hours => 26 + floor(random() * 34)::int)
                                 ELSE make_interval(hours => 1 + floor(random() * 9)::int) END AS docked_at,
              600 + floor(random() * 600)::int AS seglen
         FROM (SELECT o.idx AS officer_idx, ca.case_id, ca.started_at, ca.ended_at, random() AS roll, random() AS recorded
                 FROM case_activities ca
                 JOIN cases cs ON cs.id = ca.case_id AND cs.case_no LIKE '某交执检%'
                 JOIN activity_officers x ON x.activity_id = ca.id
                 JOIN y_officers o ON o.officer_id = x.officer_id) ao
        WHERE ao.recorded < 0.92`,
      [UNITS, OFFICERS],
    );
    const activitySegments = Number(
      (await q(`SELECT coalesce(sum(ceil(extract(epoch FROM ended_at - started_at) / seglen)), 0) AS n FROM y_sessions`)).rows[0].n,
    );
    // Patrol: two sessions a day (from about 08:00 and 14:00), 2–4 segments of 10–20 min; kept with the
    // probability that makes up the recordings asked for.
    const keep = Math.min(1, Math.max(0, o.recordings - activitySegments) / (OFFICERS * DAYS * 2 * 3));
    await q(
      `INSERT INTO y_sessions (idx, recorder_idx, case_id, started_at, ended_at, docked_at, seglen)
       SELECT idx, idx, NULL, start, start + make_interval(secs => nseg * seglen), start + make_interval(secs => nseg * seglen, hours => 2), seglen
         FROM (SELECT idx, 2 + floor(random() * 3)::int AS nseg, 600 + floor(random() * 600)::int AS seglen,
                      $1::timestamptz + make_interval(days => d, hours => CASE s WHEN 1 THEN 8 ELSE 14 END, mins => floor(random() * 90)::int) AS start
                 FROM generate_series(1, $2::int) idx, generate_series(0, $3::int - 1) d, generate_series(1, 2) s
                WHERE random() < $4::double precision) p`,
      [first, OFFICERS, DAYS, keep],
    );
    await q(
      `CREATE TEMP TABLE y_recs AS
       SELECT gen_random_uuid() AS id, s.idx, s.recorder_idx, s.case_id, i + 1 AS seq, s.docked_at, random() >= 0.01 AS playable,
              s.started_at + make_interval(secs => i * s.seglen) AS started_at,
              least(s.started_at + make_interval(secs => (i + 1) * s.seglen), s.ended_at) AS ended_at
         FROM y_sessions s, generate_series(0, ceil(extract(epoch FROM s.ended_at - s.started_at) / s.seglen)::int - 1) i`,
    );
    await q(
      `INSERT INTO recordings (id, sha256, size, filename, object_key, container, recorder_id, officer_id, started_at, ended_at, duration_s, seq,
                               docked_at, ingested_at, uploaded_by, upload_method, status, status_reason, progress, processed_at)
       SELECT r.id, encode(sha256(convert_to(r.id::text, 'UTF8')), 'hex'), 1000000 + (extract(epoch FROM r.ended_at - r.started_at) * 1000000)::bigint,
              w.serial || '_' || o.badge_no || '_' || to_char(r.started_at AT TIME ZONE $2, 'YYYYMMDDHH24MISS') || '_' || lpad(r.seq::text, 4, '0') || '.MP4',
              'originals/' || left(r.id::text, 2) || '/' || r.id, 'mp4', w.recorder_id, o.officer_id, r.started_at,
              CASE WHEN r.playable THEN r.ended_at END, CASE WHEN r.playable THEN extract(epoch FROM r.ended_at - r.started_at) END, r.seq,
              r.docked_at, r.docked_at + interval '4 seconds', $1::bigint, 'multipart',
              CASE WHEN r.playable THEN 'ready' ELSE 'unplayable' END, CASE WHEN NOT r.playable THEN 'ffprobe could not read the file' END,
              1, r.docked_at + interval '3 minutes'
         FROM y_recs r JOIN y_officers o ON o.idx = r.idx JOIN y_officers w ON w.idx = r.recorder_idx`,
      [station, zone],
    );
    // Activity footage is linked to its case (2 % left unlinked); patrol footage to none.
    await q(
      `INSERT INTO case_links (case_id, recording_id, source, linked_by)
       SELECT case_id, id, 'auto', 'system' FROM y_recs WHERE case_id IS NOT NULL AND random() >= 0.02 ON CONFLICT DO NOTHING`,
    );
    // Audits: 93 % of recordings checked some days after docking (1 in 1,000 a mismatch), a fifth of those also earlier.
    await q(
      `CREATE TEMP TABLE y_audited AS
       SELECT r.id, r.sha256, r.size, r.docked_at + make_interval(days => 1 + floor(random() * 60)::int) AS at, random() < 0.001 AS bad, random() < 0.2 AS twice
         FROM recordings r JOIN y_recs y ON y.id = r.id WHERE random() < 0.93`,
    );
    await q(
      `INSERT INTO integrity_audits (recording_id, checked_at, result, actual_sha256, actual_size)
       SELECT id, at, CASE WHEN bad THEN 'mismatch' ELSE 'ok' END, CASE WHEN bad THEN encode(sha256(convert_to('x' || id::text, 'UTF8')), 'hex') ELSE sha256 END, size
         FROM y_audited
       UNION ALL
       SELECT id, at - interval '90 days', 'ok', sha256, size FROM y_audited WHERE twice`,
    );
    await q('DROP TABLE y_officers, y_cases, y_activities, y_sessions, y_recs, y_audited');
    await q('VACUUM ANALYZE units, officers, officer_units, recorders, recorder_assignments, recordings, cases, case_activities, activity_officers, case_links, integrity_audits');
    const { rows } = await q(
      `SELECT (SELECT count(*) FROM recordings r JOIN officers o ON o.id = r.officer_id WHERE o.badge_no LIKE '5%') AS recordings,
              (SELECT count(*) FROM cases WHERE case_no LIKE '某交执检%') AS cases,
              (SELECT count(*) FROM case_activities a JOIN cases c ON c.id = a.case_id WHERE c.case_no LIKE '某交执检%') AS activities,
              (SELECT count(*) FROM integrity_audits) AS audits, (SELECT count(DISTINCT recording_id) FROM integrity_audits) AS audited,
              pg_size_pretty(pg_database_size(current_database())) AS size`,
    );
    const r = rows[0];
    return `a year of ${YEAR}: ${r.recordings} recordings of ${OFFICERS} officers in ${UNITS} units, ${r.cases} cases with ${r.activities} activities, ` +
      `${r.audits} integrity audits of ${r.audited} recordings; database ${r.size}`;
  } finally {
    c.release();
  }
}
