import type { Pool } from '../db/pool';
import { inTransaction } from '../db/pool';
import { AppError } from '../errors';
import { parseCsv } from '../csv/decode';
import { BADGE_NO, UNIT_CODE, cleanText } from '../directory/identifiers';
import type { ImportResult } from '../directory/import';
import { parseInstant } from '../time';
import { enqueueRelink } from './autolink';
import { ACTIVITY_TYPES, CASE_KINDS, CASE_STATUSES, upsertCase, type ActivityInput, type CaseInput } from './cases';

export const CASE_COLUMNS = ['case_no', 'case_kind', 'case_status', 'unit_code', 'activity_key', 'activity_type', 'badge_nos', 'started_at', 'ended_at', 'location'] as const;
const MAX_ROWS = 50_000;

type Row = { caseNo: string; header: Omit<CaseInput, 'activities'>; activity: ActivityInput };

/** Checks one row's values; pure. */
export function readCaseRow(values: Record<string, string>, zone: string): Row | { code: string; detail: string } {
  const v = (k: (typeof CASE_COLUMNS)[number]) => (values[k] ?? '').trim();
  const caseNo = cleanText(v('case_no'), 64);
  if (!caseNo) return { code: 'invalid_case_no', detail: 'case_no is empty, too long or has control characters' };
  const kind = v('case_kind') as CaseInput['kind'];
  if (!CASE_KINDS.includes(kind)) return { code: 'invalid_case_kind', detail: `case_kind must be one of ${CASE_KINDS.join(', ')}` };
  const status = v('case_status') as CaseInput['status'];
  if (!CASE_STATUSES.includes(status)) return { code: 'invalid_case_status', detail: `case_status must be one of ${CASE_STATUSES.join(', ')}` };
  if (!UNIT_CODE.test(v('unit_code'))) return { code: 'invalid_unit_code', detail: `unit_code ${JSON.stringify(v('unit_code'))} is not a unit code` };
  const key = cleanText(v('activity_key'), 64);
  if (!key) return { code: 'invalid_activity_key', detail: 'activity_key is empty, too long or has control characters' };
  const type = v('activity_type') as ActivityInput['type'];
  if (!ACTIVITY_TYPES.includes(type)) return { code: 'invalid_activity_type', detail: `activity_type must be one of ${ACTIVITY_TYPES.join(', ')}` };
  const badgeNos = v('badge_nos').split(';').map((b) => b.trim()).filter(Boolean);
  const badBadge = badgeNos.find((b) => !BADGE_NO.test(b));
  if (!badgeNos.length || badBadge) return { code: 'invalid_badge_nos', detail: `badge_nos must be badge numbers separated by ; (got ${JSON.stringify(v('badge_nos'))})` };
  const startedAt = parseInstant(v('started_at'), zone);
  const endedAt = parseInstant(v('ended_at'), zone);
  if (!startedAt) return { code: 'invalid_started_at', detail: `started_at ${JSON.stringify(v('started_at'))} is not a time (ISO 8601, or YYYY-MM-DD HH:mm:ss)` };
  if (!endedAt) return { code: 'invalid_ended_at', detail: `ended_at ${JSON.stringify(v('ended_at'))} is not a time (ISO 8601, or YYYY-MM-DD HH:mm:ss)` };
  const location = v('location') ? cleanText(v('location'), 200) : null;
  if (v('location') && !location) return { code: 'invalid_location', detail: 'location is too long or has control characters' };
  return {
    caseNo,
    header: { kind, status, unitCode: v('unit_code') },
    activity: { key, type, badgeNos, startedAt, endedAt, ...(location ? { location } : {}) },
  };
}

/**
 * Imports the penalty-case system's export, one enforcement activity a row. Each row is its own
 * transaction: good rows are imported, bad ones reported with their line. Activities are added or changed,
 * never removed (a file may hold part of a case). A case's kind, status and unit must agree across its rows.
 * `created` counts new cases, `updated` existing cases the file touched (changed or not).
 */
export async function importCases(pool: Pool, text: string, zone: string): Promise<ImportResult> {
  const result: ImportResult = { created: 0, updated: 0, errors: [] };
  const headers = new Map<string, { header: string; line: number }>();
  const seen = new Map<string, number>();
  const counted = new Set<string>();
  for (const { line, values } of parseCsv(text, CASE_COLUMNS, MAX_ROWS)) {
    const row = readCaseRow(values, zone);
    if ('code' in row) {
      result.errors.push({ line, ...row });
      continue;
    }
    const header = JSON.stringify(row.header);
    const first = headers.get(row.caseNo);
    if (first && first.header !== header) {
      result.errors.push({ line, code: 'conflicting_case', detail: `case ${row.caseNo} has another kind, status or unit on line ${first.line}` });
      continue;
    }
    const activityLine = seen.get(`${row.caseNo}\u0000${row.activity.key}`);
    if (activityLine !== undefined) {
      result.errors.push({ line, code: 'duplicate_activity', detail: `activity ${row.activity.key} of case ${row.caseNo} is already on line ${activityLine}` });
      continue;
    }
    try {
      const outcome = await inTransaction(pool, async (client) => {
        const r = await upsertCase(client, row.caseNo, { ...row.header, activities: [row.activity] }, { keepOtherActivities: true });
        await enqueueRelink(client, r.caseId);
        return r;
      });
      headers.set(row.caseNo, first ?? { header, line });
      seen.set(`${row.caseNo}\u0000${row.activity.key}`, line);
      if (!counted.has(row.caseNo)) {
        counted.add(row.caseNo);
        if (outcome.created) result.created++;
        else result.updated++;
      }
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      const column = { unitCode: 'unit_code' }[err.field ?? ''] ?? (err.field?.replace(/^activities\.0\./, '').replace('badgeNos', 'badge_nos').replace('endedAt', 'ended_at').replace('key', 'activity_key'));
      result.errors.push({ line, code: err.code, detail: column ? `${column}: ${err.message}` : err.message });
    }
  }
  return result;
}
