import type { Client, Pool } from '../db/pool';
import { inTransaction } from '../db/pool';
import { AppError } from '../errors';
import { parseCsv } from '../csv/decode';
import { parseInstant } from '../time';
import { BADGE_NO, RECORDER_SERIAL, UNIT_CODE, cleanText } from './identifiers';
import { assignRecorder, createRecorder } from './recorders';
import { createOfficer, updateOfficer } from './officers';
import { createUnit, getUnit, updateUnit } from './units';

export const DIRECTORY_COLUMNS = ['unit_code', 'unit_name', 'badge_no', 'officer_name', 'recorder_serial', 'assigned_from'] as const;
const MAX_ROWS = 20_000;

export interface ImportError {
  line: number;
  code: string;
  detail: string;
}

export interface ImportResult {
  created: number;
  updated: number;
  errors: ImportError[];
}

export interface DirectoryRow {
  unitCode: string;
  unitName: string | null;
  badgeNo: string;
  officerName: string | null;
  recorderSerial: string | null;
  assignedFrom: Date | null;
}

/** Checks one row's values; pure. */
export function readDirectoryRow(values: Record<string, string>, zone: string): DirectoryRow | { code: string; detail: string } {
  const v = (k: (typeof DIRECTORY_COLUMNS)[number]) => (values[k] ?? '').trim();
  if (!UNIT_CODE.test(v('unit_code'))) return { code: 'invalid_unit_code', detail: `unit_code ${JSON.stringify(v('unit_code'))} is not a unit code` };
  if (!BADGE_NO.test(v('badge_no'))) return { code: 'invalid_badge_no', detail: `badge_no ${JSON.stringify(v('badge_no'))} is not a badge number` };
  if (v('recorder_serial') && !RECORDER_SERIAL.test(v('recorder_serial'))) {
    return { code: 'invalid_recorder_serial', detail: `recorder_serial ${JSON.stringify(v('recorder_serial'))} is not a serial` };
  }
  const unitName = v('unit_name') ? cleanText(v('unit_name'), 100) : null;
  if (v('unit_name') && !unitName) return { code: 'invalid_unit_name', detail: 'unit_name is too long or has control characters' };
  const officerName = v('officer_name') ? cleanText(v('officer_name'), 100) : null;
  if (v('officer_name') && !officerName) return { code: 'invalid_officer_name', detail: 'officer_name is too long or has control characters' };
  let assignedFrom: Date | null = null;
  if (v('assigned_from')) {
    assignedFrom = parseInstant(v('assigned_from'), zone);
    if (!assignedFrom) return { code: 'invalid_assigned_from', detail: `assigned_from ${JSON.stringify(v('assigned_from'))} is not a time (ISO 8601, or YYYY-MM-DD HH:mm:ss)` };
  }
  return { unitCode: v('unit_code'), unitName, badgeNo: v('badge_no'), officerName, recorderSerial: v('recorder_serial') || null, assignedFrom };
}

/**
 * Imports the directory spreadsheet, one officer a row. Each row is its own transaction: good rows are
 * imported, bad rows reported with their line. Importing the same file again changes nothing.
 * A blank assigned_from means "since before the system knew" for anything new, and "now" for a change.
 */
export async function importDirectory(pool: Pool, text: string, zone: string): Promise<ImportResult> {
  const result: ImportResult = { created: 0, updated: 0, errors: [] };
  const seen = { badge: new Map<string, number>(), serial: new Map<string, number>(), unitName: new Map<string, [string, number]>() };
  for (const { line, values } of parseCsv(text, DIRECTORY_COLUMNS, MAX_ROWS)) {
    const read = readDirectoryRow(values, zone);
    const row = 'code' in read ? read : conflictWithEarlierRows(read, line, seen);
    if ('code' in row) {
      result.errors.push({ line, ...row });
      continue;
    }
    try {
      const outcome = await inTransaction(pool, (client) => applyRow(client, row));
      if (outcome === 'created') result.created++;
      else if (outcome === 'updated') result.updated++;
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      const column = err.field === 'from' ? 'assigned_from' : err.field;
      result.errors.push({ line, code: err.code, detail: column ? `${column}: ${err.message}` : err.message });
    }
  }
  return result;
}

/**
 * One officer a row: a badge or a recorder on two rows, or one unit code with two names, would make the
 * import apply both in turn and invent history (and flip it on every re-import). The later row is refused.
 */
function conflictWithEarlierRows(
  row: DirectoryRow,
  line: number,
  seen: { badge: Map<string, number>; serial: Map<string, number>; unitName: Map<string, [string, number]> },
): DirectoryRow | { code: string; detail: string } {
  const badgeLine = seen.badge.get(row.badgeNo);
  if (badgeLine !== undefined) return { code: 'duplicate_badge_no', detail: `badge_no ${row.badgeNo} is already on line ${badgeLine}` };
  const serialLine = row.recorderSerial ? seen.serial.get(row.recorderSerial) : undefined;
  if (serialLine !== undefined) return { code: 'duplicate_recorder_serial', detail: `recorder_serial ${row.recorderSerial} is already on line ${serialLine}` };
  const named = seen.unitName.get(row.unitCode);
  if (named && row.unitName && named[0] !== row.unitName) {
    return { code: 'conflicting_unit_name', detail: `unit ${row.unitCode} is named ${named[0]} on line ${named[1]}` };
  }
  seen.badge.set(row.badgeNo, line);
  if (row.recorderSerial) seen.serial.set(row.recorderSerial, line);
  if (row.unitName && !named) seen.unitName.set(row.unitCode, [row.unitName, line]);
  return row;
}

async function applyRow(client: Client, row: DirectoryRow): Promise<'created' | 'updated' | 'unchanged'> {
  let changed = false;
  const unit = await getUnit(client, row.unitCode);
  if (!unit) {
    if (!row.unitName) throw new AppError(422, 'unknown_unit', `unit ${row.unitCode} is new: give its unit_name`, 'unit_name');
    await createUnit(client, { code: row.unitCode, name: row.unitName });
    changed = true;
  } else if (row.unitName && row.unitName !== unit.name) {
    await updateUnit(client, row.unitCode, { name: row.unitName });
    changed = true;
  }

  const { rows } = await client.query<{ name: string }>('SELECT name FROM officers WHERE badge_no = $1', [row.badgeNo]);
  let created = false;
  if (!rows[0]) {
    if (!row.officerName) throw new AppError(422, 'officer_name_required', `officer ${row.badgeNo} is new: give officer_name`, 'officer_name');
    await createOfficer(client, { badgeNo: row.badgeNo, name: row.officerName, unitCode: row.unitCode, from: row.assignedFrom });
    created = true;
  } else {
    const update = await updateOfficer(client, row.badgeNo, {
      name: row.officerName ?? undefined,
      unitCode: row.unitCode,
      from: row.assignedFrom ?? undefined,
    });
    changed ||= update.changed;
  }

  if (row.recorderSerial) {
    const existing = await client.query<{ id: number }>('SELECT id FROM recorders WHERE serial = $1', [row.recorderSerial]);
    if (!existing.rows[0]) {
      await createRecorder(client, { serial: row.recorderSerial });
      changed = true;
    }
    const current = await client.query<{ badge_no: string }>(
      `SELECT o.badge_no FROM recorder_assignments ra JOIN recorders r ON r.id = ra.recorder_id JOIN officers o ON o.id = ra.officer_id
        WHERE r.serial = $1 AND upper_inf(ra.valid)`,
      [row.recorderSerial],
    );
    if (current.rows[0]?.badge_no !== row.badgeNo) {
      await assignRecorder(client, row.recorderSerial, { badgeNo: row.badgeNo, from: row.assignedFrom ?? 'initial' });
      changed = true;
    }
  }
  return created ? 'created' : changed ? 'updated' : 'unchanged';
}
