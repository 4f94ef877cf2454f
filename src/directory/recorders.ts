import type { Client, Db } from '../db/pool';
import { PgCode, pgCode } from '../db/pool';
import { conflict, notFound, unprocessable } from '../errors';
import { iso } from '../time';
import { closeOpenRange } from './history';
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
    WHERE ra.recorder_id = r.id AND ra.valid @> now()) AS "badgeNo"`;

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
  const { rows } = await client.query<{ id: number }>(
    `UPDATE recorders SET active = coalesce($2, active),
        note = CASE WHEN $3 THEN $4 ELSE note END, model = CASE WHEN $5 THEN $6 ELSE model END, updated_at = now()
      WHERE serial = $1 RETURNING id`,
    [serial, change.active ?? null, change.note !== undefined, change.note ?? null, change.model !== undefined, change.model ?? null],
  );
  if (!rows[0]) throw notFound(`recorder ${serial}`);
  if (change.active === false) {
    await client.query(`UPDATE recorder_assignments SET valid = tstzrange(lower(valid), now(), '[)')
      WHERE recorder_id = $1 AND upper_inf(valid) AND (lower(valid) IS NULL OR lower(valid) < now())`, [rows[0].id]);
  }
  return (await getRecorder(client, serial))!;
}

/**
 * Assigns a recorder to an officer from `from` (null: since always, for a first assignment): ends the recorder's current assignment and the
 * officer's current one there (一人一机: one recorder per officer at any instant).
 */
export async function assignRecorder(client: Client, serial: string, input: { badgeNo: string; from: Date | null }): Promise<RecorderDetail> {
  const { rows } = await client.query<{ id: number; active: boolean }>('SELECT id, active FROM recorders WHERE serial = $1 FOR UPDATE', [serial]);
  const recorder = rows[0];
  if (!recorder) throw notFound(`recorder ${serial}`);
  if (!recorder.active) throw unprocessable('recorder_inactive', `recorder ${serial} is deactivated`, 'serial');
  const officer = await officerIdOf(client, input.badgeNo);
  if (!officer.active) throw unprocessable('officer_inactive', `officer ${input.badgeNo} is deactivated`, 'badgeNo');
  await client.query('SELECT id FROM officers WHERE id = $1 FOR UPDATE', [officer.id]);
  const current = await client.query<{ officer_id: number }>('SELECT officer_id FROM recorder_assignments WHERE recorder_id = $1 AND upper_inf(valid)', [recorder.id]);
  if (current.rows[0]?.officer_id === officer.id) {
    throw conflict('already_assigned', `recorder ${serial} is already assigned to ${input.badgeNo}`, 'badgeNo');
  }
  if (input.from === null) {
    // "Since always" describes a directory being set up, not a change: only for a first assignment.
    const { rows: earlier } = await client.query('SELECT 1 FROM recorder_assignments WHERE recorder_id = $1 OR officer_id = $2 LIMIT 1', [recorder.id, officer.id]);
    if (earlier.length) throw unprocessable('invalid_from', 'the recorder or officer has assignments already: give the time of the change', 'from');
  } else {
    await closeOpenRange(client, 'recorder_assignments', 'recorder_id', recorder.id, input.from, 'from');
    await closeOpenRange(client, 'recorder_assignments', 'officer_id', officer.id, input.from, 'from');
  }
  try {
    await client.query(`INSERT INTO recorder_assignments (recorder_id, officer_id, valid) VALUES ($1, $2, tstzrange($3, NULL, '[)'))`, [
      recorder.id,
      officer.id,
      input.from,
    ]);
  } catch (err) {
    if (pgCode(err) === PgCode.exclusionViolation) {
      throw conflict('assignment_overlap', 'the assignment overlaps an earlier assignment of this recorder or officer', 'from');
    }
    throw err;
  }
  return (await getRecorder(client, serial))!;
}

export async function recorderIdOf(db: Db, serial: string, field = 'recorderSerial'): Promise<{ id: number; active: boolean }> {
  const { rows } = await db.query<{ id: number; active: boolean }>('SELECT id, active FROM recorders WHERE serial = $1', [serial]);
  if (!rows[0]) throw unprocessable('unknown_recorder', `no recorder with serial ${serial}`, field);
  return rows[0];
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

export async function listRecorders(db: Db): Promise<Recorder[]> {
  const { rows } = await db.query<Recorder>(`SELECT ${SUMMARY} FROM recorders r ORDER BY r.serial`);
  return rows;
}
