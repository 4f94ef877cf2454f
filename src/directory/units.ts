import type { Db } from '../db/pool';
import { PgCode, pgCode } from '../db/pool';
import { conflict, notFound, unprocessable } from '../errors';

export interface Unit {
  code: string;
  name: string;
  active: boolean;
}

const COLUMNS = 'code, name, active';

export async function createUnit(db: Db, input: { code: string; name: string }): Promise<Unit> {
  try {
    const { rows } = await db.query<Unit>(`INSERT INTO units (code, name) VALUES ($1, $2) RETURNING ${COLUMNS}`, [input.code, input.name]);
    return rows[0]!;
  } catch (err) {
    if (pgCode(err) === PgCode.uniqueViolation) throw conflict('unit_exists', `unit ${input.code} already exists`, 'code');
    throw err;
  }
}

export async function updateUnit(db: Db, code: string, change: { name?: string; active?: boolean }): Promise<Unit> {
  const { rows } = await db.query<Unit>(
    `UPDATE units SET name = coalesce($2, name), active = coalesce($3, active), updated_at = now()
      WHERE code = $1 RETURNING ${COLUMNS}`,
    [code, change.name ?? null, change.active ?? null],
  );
  if (!rows[0]) throw notFound(`unit ${code}`);
  return rows[0];
}

export async function listUnits(db: Db, onlyUnitId: number | null): Promise<Unit[]> {
  const { rows } = await db.query<Unit>(`SELECT ${COLUMNS} FROM units WHERE $1::bigint IS NULL OR id = $1 ORDER BY code`, [onlyUnitId]);
  return rows;
}

export async function getUnit(db: Db, code: string): Promise<Unit | null> {
  const { rows } = await db.query<Unit>(`SELECT ${COLUMNS} FROM units WHERE code = $1`, [code]);
  return rows[0] ?? null;
}

/** The id of a unit named by a request; a 422 naming `field` when there is none. */
export async function unitIdOf(db: Db, code: string, field = 'unitCode'): Promise<number> {
  const { rows } = await db.query<{ id: number }>('SELECT id FROM units WHERE code = $1', [code]);
  if (!rows[0]) throw unprocessable('unknown_unit', `no unit with code ${code}`, field);
  return rows[0].id;
}
