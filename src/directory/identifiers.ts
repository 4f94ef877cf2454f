// The shapes of the directory's identifiers. Badge numbers and serials appear in recorder file names
// (`<serial>_<badge>_<time>_<seq>.MP4`), so neither may contain an underscore.
export const UNIT_CODE = /^[A-Za-z0-9-]{1,32}$/;
export const BADGE_NO = /^[A-Za-z0-9-]{1,20}$/;
export const RECORDER_SERIAL = /^[A-Za-z0-9-]{1,32}$/;
export const USERNAME = /^[A-Za-z0-9._-]{2,64}$/;
/** Recording, spot check, bulletin and upload ids. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Free text that a person types (names, notes): no control characters, bounded. */
export function cleanText(value: string, max: number): string | null {
  const v = value.normalize('NFC').trim();
  if (!v || [...v].length > max || /[\p{Cc}\p{Cf}\u2028\u2029]/u.test(v)) return null;
  return v;
}
