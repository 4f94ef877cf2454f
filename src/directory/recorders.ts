import type { Client, Db } from '../db/pool';
import { PgCode, pgCode } from '../db/pool';
import { conflict, notFound, unprocessable } from '../errors';
import { iso } from '../time';
import { closeOpenRange, endOpenAssignment, lockHistory } from './history';
import { officerIdOf, type Period } from './officers';

export interface Recorder {
  serial: string;
  model: string | null;
  active: boolean;
  note: string | null;
  /** The officer it is assigned to now. */
  badgeNo: string | null;
}

export interface RecorderDetail extends Recorder {
  assignments: (Period & { badgeNo: string })[];
}

const SUMMARY = `r.serial, r.model, r.active, r.note,
  (SELECT o.badge_no FROM recorder_assignments ra JOIN officers o ON o.id = ra.officer_id
    WHERE ra.recorder_id = r.id AND ra.valid @> clock_timestamp()) AS "badgeNo"`;

export async function createRecorder(db: Db, input: { serial: string; model?: string | null }): Promise<RecorderDetail> {
  try {
    await db.query('INSERT INTO recorders (serial, model) VALUES ($1, $2)', [input.serial, input.model ?? null]);
  } catch (err) {
    if (pgCode(err) === PgCode.uniqueViolation) throw conflict('recorder_exists', `recorder ${input.serial} already exists`, 'serial');
    throw err;
  }
  return (await getRecorder(db, input.serial))!;
}

/**
 * Changes a recorder. Deactivating one (lost, broken, retired) ends its current assignment now:
 * footage recorded on it later is still accepted, and R4 will show it was not anybody's recorder.
 */
export async function updateRecorder(
  client: Client,
  serial: string,
  change: { active?: boolean; note?: string | null; model?: string | null },
): Promise<RecorderDetail> {
  const now = await lockHistory(client);
  const { rows } = await client.query<{ id: number }>(
    `UPDATE recorders SET active = coalesce($2, active),
        note = CASE WHEN $3 THEN $4 ELSE note END, model = CASE WHEN $5 THEN $6 ELSE model END, updated_at = now()
      WHERE serial = $1 RETURNING id`,
    [serial, change.active ?? null, change.note !== undefined, change.note ?? null, change.model !== undefined, change.model ?? null],
  );
  if (!rows[0]) throw notFound(`recorder ${serial}`);
  if (change.active === false) {
    await endOpenAssignment(client, 'recorder_id', rows[0].id, now);
  }
  return (await getRecorder(client, serial))!;
}

/** When an assignment starts: a given time, now, or (setting up a directory) since always for a first one. */
export type AssignmentStart = Date | 'now' | 'initial';

/**
 * Assigns a recorder to an officer from `from`: ends the recorder's current assignment and the officer's
 * current one there (一人一机: one recorder per officer at any instant). 'initial' means since always
 * when neither the recorder nor the officer has been assigned before, and now otherwise.
 */
export async function assignRecorder(client: Client, serial: string, input: { badgeNo: string; from: AssignmentStart }): Promise<RecorderDetail> {
  const now = await lockHistory(client);
  const { rows } = await client.query<{ id: number; active: boolean }>('SELECT id, active FROM recorders WHERE serial = $1', [serial]);
  const recorder = rows[0];
  if (!recorder) throw notFound(`recorder ${serial}`);
  if (!recorder.active) throw unprocessable('recorder_inactive', `recorder ${serial} is deactivated`, 'serial');
  const officer = await officerIdOf(client, input.badgeNo);
  if (!officer.active) throw unprocessable('officer_inactive', `officer ${input.badgeNo} is deactivated`, 'badgeNo');
  const current = await client.query<{ officer_id: number }>('SELECT officer_id FROM recorder_assignments WHERE recorder_id = $1 AND upper_inf(valid)', [recorder.id]);
  if (current.rows[0]?.officer_id === officer.id) {
    throw conflict('already_assigned', `recorder ${serial} is already assigned to ${input.badgeNo}`, 'badgeNo');
  }
  let from: Date | null = input.from instanceof Date ? input.from : now;
  if (input.from === 'initial') {
    const { rows: earlier } = await client.query('SELECT 1 FROM recorder_assignments WHERE recorder_id = $1 OR officer_id = $2 LIMIT 1', [recorder.id, officer.id]);
    if (!earlier.length) from = null;
  }
  if (from) {
    await closeOpenRange(client, 'recorder_assignments', 'recorder_id', recorder.id, from, 'from');
    await closeOpenRange(client, 'recorder_assignments', 'officer_id', officer.id, from, 'from');
  }
  try {
    await client.query(`INSERT INTO recorder_assignments (recorder_id, officer_id, valid) VALUES ($1, $2, tstzrange($3, NULL, '[)'))`, [
      recorder.id,
      officer.id,
      from,
    ]);
  } catch (err) {
    if (pgCode(err) === PgCode.exclusionViolation) {
      throw conflict('assignment_overlap', 'the assignment overlaps an earlier assignment of this recorder or officer', 'from');
    }
    throw err;
  }
  return (await getRecorder(client, serial))!;
}

export async function getRecorder(db: Db, serial: string): Promise<RecorderDetail | null> {
  const { rows } = await db.query<Recorder & { id: number }>(`SELECT r.id, ${SUMMARY} FROM recorders r WHERE r.serial = $1`, [serial]);
  const recorder = rows[0];
  if (!recorder) return null;
  const history = await db.query<{ badgeNo: string; from: Date | null; to: Date | null }>(
    `SELECT o.badge_no AS "badgeNo", lower(ra.valid) AS "from", upper(ra.valid) AS "to"
       FROM recorder_assignments ra JOIN officers o ON o.id = ra.officer_id WHERE ra.recorder_id = $1 ORDER BY lower(ra.valid) NULLS FIRST`,
    [recorder.id],
  );
  const { id: _id, ...summary } = recorder;
  return { ...summary, assignments: history.rows.map((h) => ({ ...h, from: iso(h.from), to: iso(h.to) })) };
}

// A recorder belongs to a unit's view when it was ever assigned to an officer who was ever in the unit.
const IN_UNIT = `EXISTS (SELECT 1 FROM recorder_assignments ra JOIN officer_units ou ON ou.officer_id = ra.officer_id
  WHERE ra.recorder_id = r.id AND ou.unit_id = $1)`;

/** Recorders, or those a unit has used when `unitId` is given. */
export async function listRecorders(db: Db, unitId: number | null): Promise<Recorder[]> {
  const { rows } = await db.query<Recorder>(`SELECT ${SUMMARY} FROM recorders r WHERE $1::bigint IS NULL OR ${IN_UNIT} ORDER BY r.serial`, [unitId]);
  return rows;
}

export async function recorderUsedByUnit(db: Db, serial: string, unitId: number): Promise<boolean> {
  const { rows } = await db.query(`SELECT 1 FROM recorders r WHERE r.serial = $2 AND ${IN_UNIT}`, [unitId, serial]);
  return rows.length > 0;
}
