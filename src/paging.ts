import { badRequest } from './errors';

/** One page of a list, newest first, and the cursor that asks for the next one (null: this is the last). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

// A cursor is the sort key of a page's last row, a time and a tie-breaker, opaque to clients: the next page is
// the rows after it, so paging is stable while rows arrive. A list ordered on a time some rows lack (a case
// without activities) writes that time empty; the tie-breaker is the rest of the text, whatever it contains.
export const encodeCursor = (at: Date | null, key: string | number): string =>
  Buffer.from(`${at ? at.toISOString() : ''}|${key}`).toString('base64url');

/**
 * The time and tie-breaker of a cursor this API gave out, the tie-breaker matching `key`; a time may be absent
 * only where `timeMayLack`. Any other cursor is a 400 naming the field.
 */
export function decodeCursor(cursor: string, key: RegExp, timeMayLack = false): [Date | null, string] {
  const text = Buffer.from(cursor, 'base64url').toString();
  const bar = text.indexOf('|');
  const at = bar > 0 ? new Date(text.slice(0, bar)) : null;
  const tie = text.slice(bar + 1);
  if (bar < 0 || !key.test(tie) || (at ? Number.isNaN(at.getTime()) : !timeMayLack)) {
    throw badRequest('invalid_cursor', 'the cursor is not one this API gave out', 'cursor');
  }
  return [at, tie];
}

/** The page out of `limit + 1` rows read, and the cursor after its last row when more follow. */
export function pageOf<R, T>(rows: R[], limit: number, item: (row: R) => T, cursorOf: (row: R) => string): Page<T> {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { items: page.map(item), nextCursor: rows.length > limit && last ? cursorOf(last) : null };
}
