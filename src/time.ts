import { DateTime } from 'luxon';

const LOCAL_FORMATS = ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss", 'yyyy-MM-dd HH:mm', "yyyy-MM-dd'T'HH:mm", 'yyyy/MM/dd HH:mm:ss', 'yyyy/M/d H:mm:ss', 'yyyy/M/d H:mm'];
const HAS_OFFSET = /(Z|[+-]\d{2}(:?\d{2})?)$/i;

/**
 * An instant from text: ISO 8601 with an offset as given, or a local date-time without one read in the
 * bureau's zone (what CSV exports and people type). Returns null when the text is not a valid time.
 */
export function parseInstant(text: string, zone: string): Date | null {
  const value = text.trim();
  if (!value) return null;
  if (HAS_OFFSET.test(value) && /^\d{4}-\d{2}-\d{2}T/.test(value)) {
    const dt = DateTime.fromISO(value, { setZone: true });
    return dt.isValid ? dt.toJSDate() : null;
  }
  if (/^\d{4}-\d{2}-\d{2}T[\d:.]+$/.test(value)) {
    const dt = DateTime.fromISO(value, { zone });
    return dt.isValid ? dt.toJSDate() : null;
  }
  for (const format of LOCAL_FORMATS) {
    const dt = DateTime.fromFormat(value, format, { zone });
    if (dt.isValid) return dt.toJSDate();
  }
  return null;
}

/**
 * A calendar date (`YYYY-MM-DD`, in the bureau's zone) or an instant (parseInstant). A date used as the end
 * of a period (`next`) stands for the whole day: the instant returned is the start of the day after.
 */
export function parseDayOrInstant(text: string, zone: string, edge: 'start' | 'next'): Date | null {
  const value = text.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const day = DateTime.fromISO(value, { zone });
    return day.isValid ? (edge === 'next' ? day.plus({ days: 1 }) : day).toJSDate() : null;
  }
  return parseInstant(value, zone);
}

/** The API's timestamp form: ISO 8601, UTC, milliseconds. */
export const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);
