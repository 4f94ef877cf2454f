import { randomBytes, randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { MANUAL_CODES, type ManualCode, type Regulation } from '../../config/regulation';
import type { Role } from '../auth/roles';
import { appendCustody } from '../custody/log';
import { inTransaction, type Client, type Db, type Pool } from '../db/pool';
import { unitIdOf } from '../directory/units';
import { AppError, badRequest, conflict, notFound, unprocessable } from '../errors';
import { iso } from '../time';
import { activitiesInPeriod, loadActivityFacts } from './facts';
import { evaluateActivity, itemResult } from './rules';
import { dealInspectors, drawSample, ratioBasisPoints, type PoolInspector, type SampleSpec } from './sampling';
import type { ActivityFacts, Finding, Result } from './types';

// Spot checks (抽查, REGULATION.md "Spot checks" and "Manual items"): open one (draw, deal, evaluate the
// automatic rules, all recorded in one transaction with a custody event), read it, record the inspectors'
// verdicts, abandon it. The HTTP layer validates the shapes; this module decides scope and state.
//
// Decisions:
// - A check whose sample is empty (no activity in the period and scope) is recorded like any draw, with 0
//   items, and is complete at once; more generally a check is complete as soon as no item is pending. An item is
//   pending until its inspector has given M1–M4 (even after an automatic rule failed); with no footage at all
//   there is nothing to watch and M1–M4 are `na`, so such an item is decided at opening.
// - A supervisor (or reviewer) with a unit acts on that unit only: opening without unitCodes checks their unit;
//   naming any other unit is 403. Abandoning follows the same rule.
// - Reading: a scoped reader sees a check whose scope includes their unit, and in it the items of their unit
//   plus the items assigned to them (an inspector is dealt items of other units); other items are left out,
//   `hiddenItems` says how many, and the summary counts the items shown. A check with nothing to show them is 403.
// - `draws`: the checks recorded for the same period (same from and to) whose scopes overlap (either all units,
//   or a unit in common), this one and abandoned ones included.
// - `summary.passRate`: passed ÷ (passed + failed), null while nothing is decided.
// - Verdicts may be changed while the check is open (the last one counts, with who and when); the note, when
//   given, replaces the previous one.

export interface SpotCheckDeps {
  bureauTz: string;
  regulation: Regulation;
}

/** Who acts: admin sees the bureau; a supervisor or reviewer with a unitCode that unit only. */
export interface SpotCheckUser {
  username: string;
  role: Role;
  unitCode: string | null;
}

export interface OpenSpotCheckInput {
  /** Calendar dates `YYYY-MM-DD` in the bureau's zone, both inclusive. */
  from: string;
  to: string;
  unitCodes?: string[];
  sample: SampleSpec;
  seed?: string;
  inspectors?: string[];
}

export type Verdict = 'pass' | 'fail';

export interface VerdictsInput {
  verdicts: Partial<Record<ManualCode, Verdict>>;
  note?: string;
}

export interface SpotCheckItem {
  id: number;
  caseNo: string;
  activityKey: string;
  activityType: string;
  unitCode: string;
  badgeNos: string[];
  startedAt: string;
  endedAt: string;
  inspector: string | null;
  findings: Finding[];
  note: string | null;
  result: 'pass' | 'fail' | 'pending';
  /** The footage the inspector watches: the item's officers' recordings of the activity when the check opened. */
  recordingIds: string[];
}

export interface Summary {
  items: number;
  passed: number;
  failed: number;
  pending: number;
  passRate: number | null;
}

export const SPOT_CHECK_STATUSES = ['open', 'complete', 'abandoned'] as const;

export interface SpotCheck {
  id: string;
  seed: string;
  regulationVersion: string;
  from: string;
  to: string;
  unitCodes: string[] | null;
  sample: SampleSpec;
  inspectors: string[] | null;
  status: (typeof SPOT_CHECK_STATUSES)[number];
  openedBy: string;
  openedAt: string;
  closedAt: string | null;
  abandonedReason: string | null;
  draws: number;
  items: SpotCheckItem[];
  summary: Summary;
  /** Items of the check not shown to this reader (outside their unit and not assigned to them). */
  hiddenItems?: number;
}

/** The unit a user is limited to, or null for the whole bureau. */
export const scopeOf = (user: SpotCheckUser): string | null => (user.role === 'admin' ? null : user.unitCode);
const sameName = (a: string | null, b: string) => a !== null && a.toLowerCase() === b.toLowerCase();
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A calendar date of the bureau's zone as the instant its day starts; null when not a real date. */
function dayStart(day: string, zone: string): DateTime | null {
  if (!DAY.test(day)) return null;
  const dt = DateTime.fromISO(day, { zone });
  return dt.isValid ? dt : null;
}

export function summarize(items: Pick<SpotCheckItem, 'result'>[]): Summary {
  const count = (r: string) => items.filter((i) => i.result === r).length;
  const passed = count('pass');
  const failed = count('fail');
  return { items: items.length, passed, failed, pending: count('pending'), passRate: passed + failed ? passed / (passed + failed) : null };
}

/** A scoped user may only act on checks limited to their unit: 403 naming `field` otherwise. */
export function assertWithinScope(user: SpotCheckUser, unitCodes: string[] | null, field?: string): void {
  const scope = scopeOf(user);
  if (scope === null) return;
  if (unitCodes === null || unitCodes.some((c) => c !== scope)) {
    throw new AppError(403, 'out_of_scope', `a user of unit ${scope} may only check unit ${scope}`, field);
  }
}

/** The inspectors' pool: active supervisors and reviewers, each with their own unit (REGULATION.md). */
async function inspectorPool(db: Db, usernames: string[]): Promise<PoolInspector[]> {
  const seen = new Set<string>();
  const pool: PoolInspector[] = [];
  for (const [i, name] of usernames.entries()) {
    const field = `inspectors.${i}`;
    if (seen.has(name.toLowerCase())) throw unprocessable('duplicate_inspector', `inspector ${name} is named twice`, field);
    seen.add(name.toLowerCase());
    const { rows } = await db.query<{ username: string; role: Role; active: boolean; ownUnitCode: string | null }>(
      `SELECT u.username, u.role, u.active,
              coalesce(un.code, (SELECT ouu.code FROM officer_units ou JOIN units ouu ON ouu.id = ou.unit_id
                                  WHERE ou.officer_id = u.officer_id AND ou.valid @> now())) AS "ownUnitCode"
         FROM users u LEFT JOIN units un ON un.id = u.unit_id
        WHERE lower(u.username) = lower($1)`,
      [name],
    );
    const user = rows[0];
    if (!user || !user.active) throw unprocessable('unknown_inspector', `no active user ${name}`, field);
    if (user.role !== 'supervisor' && user.role !== 'reviewer') {
      throw unprocessable('not_an_inspector', `${name} is a ${user.role}: inspectors are supervisors and reviewers`, field);
    }
    pool.push({ username: user.username, ownUnitCode: user.ownUnitCode });
  }
  return pool;
}

/** M1–M4 wait for the inspector; with no footage of any officer there is nothing to watch, and they are `na`. */
function manualPlaceholders(facts: ActivityFacts): Finding[] {
  const nothingToWatch = facts.officers.every((o) => o.footage.length === 0);
  return MANUAL_CODES.map((rule) => (nothingToWatch ? { rule, result: 'na', detail: 'no footage to watch' } : { rule, result: 'pending', detail: '' }));
}

/**
 * Opens a spot check: validates the scope, draws the sample, deals the inspectors, evaluates the automatic
 * rules and stores it all, with a custody event, in one transaction. Every call is a recorded draw.
 */
export async function openSpotCheck(pool: Pool, deps: SpotCheckDeps, input: OpenSpotCheckInput, user: SpotCheckUser): Promise<SpotCheck> {
  const fromDay = dayStart(input.from, deps.bureauTz);
  const toDay = dayStart(input.to, deps.bureauTz);
  if (!fromDay) throw badRequest('invalid_field', 'from: expected a date YYYY-MM-DD', 'from');
  if (!toDay) throw badRequest('invalid_field', 'to: expected a date YYYY-MM-DD', 'to');
  if (toDay < fromDay) throw badRequest('invalid_period', 'the period ends (to) before it starts (from)', 'to');
  const { mode, value } = input.sample;
  if (mode === 'ratio' ? ratioBasisPoints(value) === null : !Number.isSafeInteger(value) || value < 1) {
    throw badRequest('invalid_field', `sample.value: ${mode === 'ratio' ? 'a fraction in (0, 1] with at most 4 decimals' : 'a whole number ≥ 1'}`, 'sample.value');
  }
  const seed = input.seed ?? randomBytes(16).toString('hex');
  const regulation = deps.regulation;

  return inTransaction(pool, async (client) => {
    let unitCodes: string[] | null = null;
    if (input.unitCodes) {
      for (const [i, code] of input.unitCodes.entries()) await unitIdOf(client, code, `unitCodes.${i}`);
      unitCodes = [...new Set(input.unitCodes)].sort();
    } else if (scopeOf(user) !== null) {
      unitCodes = [scopeOf(user)!];
    }
    assertWithinScope(user, unitCodes, 'unitCodes');
    const inspectors = input.inspectors?.length ? await inspectorPool(client, input.inspectors) : [];

    const population = await activitiesInPeriod(client, {
      from: fromDay.toJSDate(),
      to: toDay.plus({ days: 1 }).toJSDate(),
      unitCodes,
    });
    const drawn = drawSample(population, input.sample, seed);
    const facts = new Map(
      (await loadActivityFacts(client, drawn.map((s) => s.activityId), regulation.footageBufferMinutes * 60_000)).map((f) => [f.activityId, f]),
    );
    // An activity removed by a case update racing this transaction has no facts any more: it is not drawn.
    const sample = drawn.filter((s) => facts.has(s.activityId));
    const dealt = dealInspectors(sample, inspectors, seed);
    const items = sample.map((s, i) => {
      const f = facts.get(s.activityId)!;
      const findings = [...evaluateActivity(f, regulation).findings, ...manualPlaceholders(f)];
      return {
        position: i,
        activity_id: s.activityId,
        case_no: s.caseNo,
        activity_key: s.activityKey,
        activity_type: f.type,
        unit_code: s.unitCode,
        badge_nos: f.officers.map((o) => o.badgeNo),
        started_at: f.startedAt.toISOString(),
        ended_at: f.endedAt.toISOString(),
        rank_key: s.rankKey,
        inspector: dealt[i] ?? null,
        findings,
        result: itemResult(findings),
        recording_ids: [...new Set(f.officers.flatMap((o) => o.footage.map((r) => r.recordingId)))],
      };
    });
    const summary = summarize(items);
    const complete = summary.pending === 0;

    const id = randomUUID();
    await client.query(
      `INSERT INTO spot_checks (id, opened_by, period_from, period_to, unit_codes, sample_mode, sample_value, seed,
          regulation_version, regulation, inspectors, status, closed_at, summary)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, CASE WHEN $12 = 'complete' THEN now() END, $13)`,
      [
        id, user.username, input.from, input.to, unitCodes, mode, value, seed, regulation.version, JSON.stringify(regulation),
        inspectors.length ? inspectors.map((p) => p.username) : null, complete ? 'complete' : 'open', JSON.stringify(summary),
      ],
    );
    if (items.length) {
      await client.query(
        `INSERT INTO spot_check_items (spot_check_id, position, activity_id, case_no, activity_key, activity_type, unit_code,
            badge_nos, started_at, ended_at, rank_key, inspector, findings, result, recording_ids)
         SELECT $1, x.position, x.activity_id, x.case_no, x.activity_key, x.activity_type, x.unit_code, x.badge_nos,
                x.started_at, x.ended_at, x.rank_key, x.inspector, x.findings, x.result, x.recording_ids
           FROM jsonb_to_recordset($2::jsonb) AS x(position integer, activity_id bigint, case_no text, activity_key text,
                activity_type text, unit_code text, badge_nos text[], started_at timestamptz, ended_at timestamptz,
                rank_key text, inspector text, findings jsonb, result text, recording_ids uuid[])`,
        [id, JSON.stringify(items)],
      );
    }
    await appendCustody(client, {
      actor: user.username,
      action: 'spot_check_open',
      target: `spot_check:${id}`,
      detail: {
        seed,
        from: input.from,
        to: input.to,
        unitCodes,
        sample: { mode, value },
        regulationVersion: regulation.version,
        inspectors: inspectors.map((p) => p.username),
        population: population.length,
        items: items.map((it) => ({ caseNo: it.case_no, activityKey: it.activity_key, unitCode: it.unit_code, rankKey: it.rank_key, inspector: it.inspector, result: it.result })),
        status: complete ? 'complete' : 'open',
      },
    });
    return (await getSpotCheck(client, id))!;
  });
}

export interface CheckRow extends Omit<SpotCheck, 'sample' | 'openedAt' | 'closedAt' | 'items' | 'summary' | 'hiddenItems' | 'draws'> {
  sampleMode: SampleSpec['mode'];
  sampleValue: string;
  openedAt: Date;
  closedAt: Date | null;
}

export const CHECK_SELECT = `SELECT s.id, s.seed, s.regulation_version AS "regulationVersion", to_char(s.period_from, 'YYYY-MM-DD') AS "from",
    to_char(s.period_to, 'YYYY-MM-DD') AS "to", s.unit_codes AS "unitCodes", s.sample_mode AS "sampleMode",
    s.sample_value::text AS "sampleValue", s.inspectors, s.status, s.opened_by AS "openedBy", s.opened_at AS "openedAt",
    s.closed_at AS "closedAt", s.abandoned_reason AS "abandonedReason"
  FROM spot_checks s`;

/**
 * The draws recorded for a period (same from and to) whose scope overlaps `unitCodes` (null: every unit, which
 * overlaps everything), abandoned ones included: what a check and its bulletin state, so that trying seeds
 * until one suits shows.
 */
export async function countDraws(db: Db, period: { from: string; to: string }, unitCodes: string[] | null): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM spot_checks
      WHERE period_from = $1::date AND period_to = $2::date AND (unit_codes IS NULL OR $3::text[] IS NULL OR unit_codes && $3::text[])`,
    [period.from, period.to, unitCodes],
  );
  return rows[0]!.n;
}

interface ItemRow extends Omit<SpotCheckItem, 'startedAt' | 'endedAt'> {
  startedAt: Date;
  endedAt: Date;
  verdicts: Record<string, { result: Verdict; by: string; at: string }>;
}

const ITEM_COLUMNS = `id, case_no AS "caseNo", activity_key AS "activityKey", activity_type AS "activityType", unit_code AS "unitCode",
    badge_nos AS "badgeNos", started_at AS "startedAt", ended_at AS "endedAt", inspector, findings, verdicts, note, result,
    recording_ids AS "recordingIds"`;
const ITEM_SELECT = `SELECT ${ITEM_COLUMNS} FROM spot_check_items`;

const itemOut = ({ verdicts: _v, ...r }: ItemRow): SpotCheckItem => ({ ...r, startedAt: iso(r.startedAt)!, endedAt: iso(r.endedAt)! });

/** A spot check with its items and summary, or null when there is none. */
export async function getSpotCheck(db: Db, id: string): Promise<SpotCheck | null> {
  const { rows } = await db.query<CheckRow>(`${CHECK_SELECT} WHERE s.id = $1`, [id]);
  const row = rows[0];
  if (!row) return null;
  const { rows: items } = await db.query<ItemRow>(`${ITEM_SELECT} WHERE spot_check_id = $1 ORDER BY position`, [id]);
  const out = items.map(itemOut);
  return { ...checkOut(row), draws: await countDraws(db, row, row.unitCodes), items: out, summary: summarize(out) };
}

/** A check's row as the API writes it, without its items. */
export function checkOut({ sampleMode, sampleValue, openedAt, closedAt, ...rest }: CheckRow) {
  return { ...rest, sample: { mode: sampleMode, value: Number(sampleValue) }, openedAt: iso(openedAt)!, closedAt: iso(closedAt) };
}

// The same decisions in SQL, for lists, on a check `s` (and its item `i`), the reader's scope (null: the whole bureau)
// and username given as parameters. A check covers a unit when it names it or every unit; a bulletin is read by
// the units its check covers (requireReadable in the bulletin routes).
export const coversSql = (unit: string) => `(${unit}::text IS NULL OR coalesce(cardinality(s.unit_codes), 0) = 0 OR ${unit} = ANY(s.unit_codes))`;
const assignedSql = (user: string) => `lower(i.inspector) = lower(${user})`;
/** A check the reader may read: it covers their unit, or one of its items is assigned to them. */
export const readableCheckSql = (unit: string, user: string) =>
  `(${coversSql(unit)} OR EXISTS (SELECT 1 FROM spot_check_items i WHERE i.spot_check_id = s.id AND ${assignedSql(user)}))`;
/** An item of such a check shown to the reader: one of their unit in a check covering it, or one assigned to them. */
export const shownItemSql = (unit: string, user: string) =>
  `(${unit}::text IS NULL OR (${coversSql(unit)} AND i.unit_code = ${unit}) OR ${assignedSql(user)})`;

/**
 * A spot check as a user may see it (see the decisions above): 404 when there is none, 403 when it has
 * nothing in their scope and nothing assigned to them.
 */
export async function spotCheckFor(db: Db, id: string, user: SpotCheckUser): Promise<SpotCheck> {
  const check = await getSpotCheck(db, id);
  if (!check) throw notFound(`spot check ${id}`);
  const scope = scopeOf(user);
  if (scope === null) return check;
  const covers = check.unitCodes === null || check.unitCodes.includes(scope);
  const items = check.items.filter((i) => (covers && i.unitCode === scope) || sameName(i.inspector, user.username));
  if (!covers && !items.length) throw new AppError(403, 'out_of_scope', `spot check ${id} does not cover unit ${scope}`);
  return { ...check, items, summary: summarize(items), hiddenItems: check.items.length - items.length };
}

/** The check row locked for a change; 404 when there is none, 409 when it is no longer open. */
async function lockOpenCheck(client: Client, id: string, user: SpotCheckUser, scoped: boolean): Promise<{ unitCodes: string[] | null }> {
  const { rows } = await client.query<{ status: SpotCheck['status']; unitCodes: string[] | null }>(
    'SELECT status, unit_codes AS "unitCodes" FROM spot_checks WHERE id = $1 FOR UPDATE',
    [id],
  );
  const row = rows[0];
  if (!row) throw notFound(`spot check ${id}`);
  if (scoped) assertWithinScope(user, row.unitCodes);
  if (row.status !== 'open') throw conflict('spot_check_closed', `spot check ${id} is ${row.status}: it can no longer change`);
  return row;
}

/**
 * Records an inspector's verdicts on an item's manual points (M1–M4) and its note. Allowed to the item's
 * inspector or an admin when the item is assigned; when it is not, to any supervisor or reviewer whose scope
 * covers the item's unit (and to an admin). Recomputes the item's result; when no item is pending any more the
 * check becomes complete (and immutable), in the same transaction. 409 once the check is complete or abandoned.
 */
export async function recordVerdicts(pool: Pool, spotCheckId: string, itemId: number, input: VerdictsInput, user: SpotCheckUser): Promise<SpotCheckItem> {
  for (const key of Object.keys(input.verdicts)) {
    if (!(MANUAL_CODES as readonly string[]).includes(key)) throw badRequest('unknown_field', `unknown verdict ${key}: the manual items are ${MANUAL_CODES.join(', ')}`, `verdicts.${key}`);
  }
  return inTransaction(pool, async (client) => {
    await lockOpenCheck(client, spotCheckId, user, false);
    const { rows } = await client.query<ItemRow>(`${ITEM_SELECT} WHERE spot_check_id = $1 AND id = $2 FOR UPDATE`, [spotCheckId, itemId]);
    const item = rows[0];
    if (!item) throw notFound(`item ${itemId} of spot check ${spotCheckId}`);
    const scope = scopeOf(user);
    if (user.role !== 'admin') {
      if (item.inspector !== null && !sameName(item.inspector, user.username)) {
        throw new AppError(403, 'not_the_inspector', `item ${itemId} is assigned to ${item.inspector}`);
      }
      if (item.inspector === null && scope !== null && scope !== item.unitCode) {
        throw new AppError(403, 'out_of_scope', `item ${itemId} belongs to unit ${item.unitCode}`);
      }
    }
    const at = new Date().toISOString();
    const verdicts = { ...item.verdicts };
    for (const [code, result] of Object.entries(input.verdicts)) verdicts[code] = { result: result!, by: user.username, at };
    const findings: Finding[] = item.findings.map((f) => {
      const v = verdicts[f.rule];
      return v ? { rule: f.rule, result: v.result as Result, detail: `${v.result} by ${v.by}`, evidence: { by: v.by, at: v.at } } : f;
    });
    const result = itemResult(findings);
    const note = input.note !== undefined ? input.note : item.note;
    const { rows: updated } = await client.query<ItemRow>(
      `UPDATE spot_check_items SET verdicts = $3, findings = $4, note = $5, result = $6 WHERE spot_check_id = $1 AND id = $2
       RETURNING ${ITEM_COLUMNS}`,
      [spotCheckId, itemId, JSON.stringify(verdicts), JSON.stringify(findings), note, result],
    );
    // The items first, then the check: once the check is complete the database refuses any change to either.
    const { rows: all } = await client.query<{ result: SpotCheckItem['result'] }>('SELECT result FROM spot_check_items WHERE spot_check_id = $1', [spotCheckId]);
    const summary = summarize(all);
    const complete = summary.pending === 0;
    await client.query(
      `UPDATE spot_checks SET summary = $2, status = CASE WHEN $3 THEN 'complete' ELSE status END,
          closed_at = CASE WHEN $3 THEN now() ELSE closed_at END WHERE id = $1`,
      [spotCheckId, JSON.stringify(summary), complete],
    );
    await appendCustody(client, {
      actor: user.username,
      action: 'verdict',
      target: `spot_check:${spotCheckId}`,
      detail: { itemId, caseNo: item.caseNo, activityKey: item.activityKey, verdicts: input.verdicts, note: input.note ?? null, result, complete },
    });
    return itemOut(updated[0]!);
  });
}

/** Abandons an open spot check (the draw stays on record, counted in `draws`); 409 when it is not open. */
export async function abandonSpotCheck(pool: Pool, id: string, reason: string, user: SpotCheckUser): Promise<SpotCheck> {
  return inTransaction(pool, async (client) => {
    await lockOpenCheck(client, id, user, true);
    await client.query("UPDATE spot_checks SET status = 'abandoned', abandoned_reason = $2, closed_at = now() WHERE id = $1", [id, reason]);
    await appendCustody(client, { actor: user.username, action: 'spot_check_abandon', target: `spot_check:${id}`, detail: { reason } });
    return (await getSpotCheck(client, id))!;
  });
}
