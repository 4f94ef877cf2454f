import type { Client, Db } from '../db/pool';
import { PgCode, pgCode } from '../db/pool';
import { conflict, notFound, unprocessable } from '../errors';
import { iso } from '../time';
import { closeOpenRange, endOpenAssignment, lockHistory } from './history';
import { unitIdOf } from './units';

export interface Period {
  from: string | null;
  to: string | null;
}

export interface Officer {
  badgeNo: string;
  name: string;
  active: boolean;
  /** The unit now (null when the officer has left every unit). */
  unitCode: string | null;
  recorderSerial: string | null;
}

export interface OfficerDetail extends Officer {
  units: (Period & { unitCode: string; unitName: string })[];
  recorders: (Period & { recorderSerial: string })[];
}

const SUMMARY = `o.badge_no AS "badgeNo", o.name, o.active,
  (SELECT un.code FROM officer_units ou JOIN units un ON un.id = ou.unit_id
    WHERE ou.officer_id = o.id AND ou.valid @> clock_timestamp()) AS "unitCode",
  (SELECT r.serial FROM recorder_assignments ra JOIN recorders r ON r.id = ra.recorder_id
    WHERE ra.officer_id = o.id AND ra.valid @> clock_timestamp()) AS "recorderSerial"`;

/** Creates an officer in a unit from `from` (null: since before the system knew). */
export async function createOfficer(
  client: Client,
  input: { badgeNo: string; name: string; unitCode: string; from: Date | null },
): Promise<OfficerDetail> {
  const unitId = await unitIdOf(client, input.unitCode);
  let officerId: number;
  try {
    const { rows } = await client.query<{ id: number }>('INSERT INTO officers (badge_no, name) VALUES ($1, $2) RETURNING id', [input.badgeNo, input.name]);
    officerId = rows[0]!.id;
  } catch (err) {
    if (pgCode(err) === PgCode.uniqueViolation) throw conflict('officer_exists', `officer ${input.badgeNo} already exists`, 'badgeNo');
    throw err;
  }
  await client.query(`INSERT INTO officer_units (officer_id, unit_id, valid) VALUES ($1, $2, tstzrange($3, NULL, '[)'))`, [officerId, unitId, input.from]);
  return (await getOfficer(client, input.badgeNo))!;
}

export async function officerIdOf(db: Db, badgeNo: string, field = 'badgeNo'): Promise<{ id: number; active: boolean }> {
  const { rows } = await db.query<{ id: number; active: boolean }>('SELECT id, active FROM officers WHERE badge_no = $1', [badgeNo]);
  if (!rows[0]) throw unprocessable('unknown_officer', `no officer with badge number ${badgeNo}`, field);
  return rows[0];
}

/**
 * Changes an officer. A new unit starts at `from` (default now) and ends the current one there, so
 * "which unit was this officer in when the footage was made" stays answerable.
 */
export async function updateOfficer(
  client: Client,
  badgeNo: string,
  change: { name?: string; active?: boolean; unitCode?: string; from?: Date },
): Promise<{ officer: OfficerDetail; changed: boolean }> {
  const now = await lockHistory(client);
  const { rows } = await client.query<{ id: number; name: string; active: boolean }>(
    'SELECT id, name, active FROM officers WHERE badge_no = $1 FOR UPDATE',
    [badgeNo],
  );
  const current = rows[0];
  if (!current) throw notFound(`officer ${badgeNo}`);
  let changed = false;
  if ((change.name !== undefined && change.name !== current.name) || (change.active !== undefined && change.active !== current.active)) {
    await client.query('UPDATE officers SET name = coalesce($2, name), active = coalesce($3, active), updated_at = now() WHERE id = $1', [
      current.id,
      change.name ?? null,
      change.active ?? null,
    ]);
    // A deactivated officer (retired, transferred out of the bureau) holds no recorder any more.
    if (change.active === false && current.active) await endOpenAssignment(client, 'officer_id', current.id, now);
    changed = true;
  }
  if (change.unitCode !== undefined) {
    const unitId = await unitIdOf(client, change.unitCode);
    const at = change.from ?? now;
    const open = await client.query<{ unit_id: number }>('SELECT unit_id FROM officer_units WHERE officer_id = $1 AND upper_inf(valid)', [current.id]);
    if (open.rows[0]?.unit_id !== unitId) {
      await closeOpenRange(client, 'officer_units', 'officer_id', current.id, at, 'from');
      try {
        await client.query(`INSERT INTO officer_units (officer_id, unit_id, valid) VALUES ($1, $2, tstzrange($3, NULL, '[)'))`, [current.id, unitId, at]);
      } catch (err) {
        if (pgCode(err) === PgCode.exclusionViolation) throw conflict('history_overlap', 'the new unit period overlaps an earlier one', 'from');
        throw err;
      }
      changed = true;
    }
  }
  return { officer: (await getOfficer(client, badgeNo))!, changed };
}

export async function getOfficer(db: Db, badgeNo: string): Promise<OfficerDetail | null> {
  const { rows } = await db.query<Officer & { id: number }>(`SELECT o.id, ${SUMMARY} FROM officers o WHERE o.badge_no = $1`, [badgeNo]);
  const officer = rows[0];
  if (!officer) return null;
  const units = await db.query<{ unitCode: string; unitName: string; from: Date | null; to: Date | null }>(
    `SELECT un.code AS "unitCode", un.name AS "unitName", lower(ou.valid) AS "from", upper(ou.valid) AS "to"
       FROM officer_units ou JOIN units un ON un.id = ou.unit_id WHERE ou.officer_id = $1 ORDER BY lower(ou.valid) NULLS FIRST`,
    [officer.id],
  );
  const recorders = await db.query<{ recorderSerial: string; from: Date | null; to: Date | null }>(
    `SELECT r.serial AS "recorderSerial", lower(ra.valid) AS "from", upper(ra.valid) AS "to"
       FROM recorder_assignments ra JOIN recorders r ON r.id = ra.recorder_id WHERE ra.officer_id = $1 ORDER BY lower(ra.valid) NULLS FIRST`,
    [officer.id],
  );
  const { id: _id, ...summary } = officer;
  return {
    ...summary,
    units: units.rows.map((u) => ({ ...u, from: iso(u.from), to: iso(u.to) })),
    recorders: recorders.rows.map((r) => ({ ...r, from: iso(r.from), to: iso(r.to) })),
  };
}

/** Officers now in a unit (or all), with their current unit and recorder. */
export async function listOfficers(db: Db, unitId: number | null): Promise<Officer[]> {
  const { rows } = await db.query<Officer>(
    `SELECT ${SUMMARY} FROM officers o
      WHERE $1::bigint IS NULL OR EXISTS (SELECT 1 FROM officer_units ou WHERE ou.officer_id = o.id AND ou.unit_id = $1 AND ou.valid @> clock_timestamp())
      ORDER BY o.badge_no`,
    [unitId],
  );
  return rows;
}
