import { BADGE_NO, RECORDER_SERIAL, UNIT_CODE, USERNAME, UUID, cleanText } from '../../directory/identifiers';
import type admin from './messages/admin';

// Message keys of the admin area (its message file is pure, so the server-side tests can import this module).
export type AdminMessage = keyof typeof admin.zh & string;

// The admin forms check what the API would refuse before sending (the same identifier shapes the API
// validates with), so a typo is shown at its field at once. The API stays the judge of everything else.

/** A field's problem (a message key) or null. Empty values pass every rule but `required`. */
export type Rule = (value: string) => AdminMessage | null;
export type Rules<F extends string> = { [K in F]?: Rule[] };
export type Problems<F extends string> = Partial<Record<F, AdminMessage>>;

const shaped =
  (re: RegExp, key: AdminMessage): Rule =>
  (v) =>
    !v.trim() || re.test(v.trim()) ? null : key;

export const required: Rule = (v) => (v.trim() ? null : 'admin.err.required');
export const unitCodeShape = shaped(UNIT_CODE, 'admin.err.unitCode');
export const badgeNoShape = shaped(BADGE_NO, 'admin.err.badgeNo');
export const serialShape = shaped(RECORDER_SERIAL, 'admin.err.serial');
export const usernameShape = shaped(USERNAME, 'admin.err.username');
export const recordingIdShape = shaped(UUID, 'admin.err.recordingId');

/** Free text as the API cleans it: at most `max` characters, no control characters. */
export const plainText =
  (max: number): Rule =>
  (v) =>
    !v.trim() || cleanText(v, max) ? null : 'admin.err.text';

// The server may require more; below this no setting of PASSWORD_MIN_LENGTH accepts a password.
const PASSWORD_FLOOR = 8;
export const password: Rule = (v) => (!v || [...v].length >= PASSWORD_FLOOR ? null : 'admin.err.password');

/** A time from a datetime-local input (the API reads a time without offset in the bureau's zone). */
export const localTime: Rule = (v) => (!v || /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(v) ? null : 'admin.err.time');

/** A date (YYYY-MM-DD) or a datetime-local time. */
export const dayOrTime: Rule = (v) => (!v || /^\d{4}-\d{2}-\d{2}$/.test(v) ? null : localTime(v));

/** An optional field as sent: left out when blank, so the API's default applies. */
export const unlessBlank = (v: string): string | undefined => v.trim() || undefined;

/** The first problem of each field. */
export function check<F extends string>(values: Record<F, string>, rules: Rules<F>): Problems<F> {
  const out: Problems<F> = {};
  for (const field of Object.keys(rules) as F[]) {
    for (const rule of rules[field] ?? []) {
      const problem = rule(values[field] ?? '');
      if (problem) {
        out[field] = problem;
        break;
      }
    }
  }
  return out;
}

/** An account of this role must name its officer (the API's rule: "own footage" is decided by it). */
export const badgeRequiredFor = (role: string): boolean => role === 'officer';

/** Roles that get long-lived API tokens instead of sessions. */
export const isMachineRole = (role: string): boolean => role === 'station' || role === 'integration';
