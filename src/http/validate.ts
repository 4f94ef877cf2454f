import type { RequestHandler } from 'express';
import { z } from 'zod';
import { AppError } from '../errors';
import { decodeCsv } from '../csv/decode';
import { parseDayOrInstant, parseInstant } from '../time';
import { BADGE_NO, RECORDER_SERIAL, UNIT_CODE, USERNAME, cleanText } from '../directory/identifiers';

/** Parses a request part with a schema; the first problem becomes a 400 naming the field. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' = 'body'): z.output<S> {
  if (where === 'body' && (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value))) {
    throw new AppError(400, 'invalid_body', 'the request body must be a JSON object');
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    // Inside an object or a list item the key alone would not say which: `activities.2.notes`.
    const at = (key: string) => [...issue.path, key].join('.');
    throw new AppError(400, 'unknown_field', `unknown field ${issue.keys.map(at).join(', ')}`, at(issue.keys[0]!));
  }
  const field = issue.path.join('.') || undefined;
  // zod 4 leaves the input out of its issues: look at what was sent, so `?limit=many` is invalid, not missing.
  const missing = issue.code === 'invalid_type' && valueAt(value, issue.path) === undefined;
  throw new AppError(400, missing ? 'missing_field' : 'invalid_field', missing ? `${field} is required` : `${field ?? where}: ${issue.message}`, field);
}

function valueAt(value: unknown, path: PropertyKey[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

export const unitCode = z.string().regex(UNIT_CODE, 'letters, digits and - (at most 32)');
export const badgeNo = z.string().regex(BADGE_NO, 'letters, digits and - (at most 20)');
export const recorderSerial = z.string().regex(RECORDER_SERIAL, 'letters, digits and - (at most 32)');
export const username = z.string().regex(USERNAME, 'letters, digits, ., _ and - (2 to 64)');
export const text = (max: number) =>
  z.string().transform((v, ctx) => {
    const clean = cleanText(v, max);
    if (clean === null) ctx.addIssue({ code: 'custom', message: `must be 1 to ${max} characters without control characters` });
    return clean ?? '';
  }).meta({ description: `text: 1 to ${max} characters once trimmed, no control characters` });

/** A legal hold set (`on: true`) or lifted, always with a reason. */
export const holdBody = z.strictObject({ on: z.boolean(), reason: text(500) });

/** An instant: ISO 8601 with offset, or a local time in the bureau's zone. */
export const instant = (zone: string) =>
  z.string().transform((v, ctx) => {
    const d = parseInstant(v, zone);
    if (!d) ctx.addIssue({ code: 'custom', message: 'expected an ISO 8601 time such as 2026-03-01T08:00:00+08:00' });
    return d ?? new Date(NaN);
  }).meta({ description: 'a time: ISO 8601 with an offset, or a local time in the bureau’s zone', examples: ['2026-03-01T08:00:00+08:00', '2026-03-01 08:00:00'] });

/** A calendar date in the bureau's zone or an instant (parseDayOrInstant). */
export const dayOrInstant = (zone: string, edge: 'start' | 'next') =>
  z.string().transform((v, ctx) => {
    const at = parseDayOrInstant(v, zone, edge);
    if (!at) ctx.addIssue({ code: 'custom', message: 'expected a date (YYYY-MM-DD) or an ISO 8601 time' });
    return at ?? new Date(NaN);
  }).meta({ description: 'a date of the bureau’s zone (YYYY-MM-DD) or an ISO 8601 time', examples: ['2026-03-01', '2026-03-01T08:00:00+08:00'] });

/** A list's `from` and `to`: dates of the bureau's zone (`to` stands for the whole day) or instants. */
export const periodQuery = (zone: string) => ({
  from: dayOrInstant(zone, 'start').optional(),
  to: dayOrInstant(zone, 'next').optional(),
});

/** A list's page: its size, and the cursor a previous page gave out (checked where it is decoded). */
export const pageQuery = (max = 200, fallback = 50) => ({
  limit: z.coerce.number().int().min(1).max(max).default(fallback),
  cursor: z.string().max(500).optional(),
});

/**
 * Path parameters name things, and no name has a control character: one that has (a NUL, which PostgreSQL
 * refuses in text) is a 400 naming the parameter, before any handler looks it up.
 */
export const plainPathParams: RequestHandler = (req, _res, next) => {
  for (const [name, value] of Object.entries(req.params ?? {})) {
    if (typeof value === 'string' && /\p{Cc}/u.test(value)) {
      return next(new AppError(400, 'invalid_field', `${name} must not contain control characters`, name));
    }
  }
  next();
};

/** The text of a CSV upload (a `csv` route's raw body), decoded from UTF-8 or GB18030. */
export function csvText(body: unknown): string {
  if (!Buffer.isBuffer(body) || body.length === 0) {
    throw new AppError(415, 'unsupported_media_type', 'send the CSV as the body with Content-Type: text/csv');
  }
  return decodeCsv(body);
}
