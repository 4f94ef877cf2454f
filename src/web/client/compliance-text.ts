// Free text the compliance API takes (a verdict's note, an abandon reason, a bulletin number): 1 to `max`
// characters once trimmed, no control characters (src/directory/identifiers.ts cleanText). Line breaks are
// control characters there, so a note typed over several lines is sent as one.

export type TextProblem = 'required' | 'tooLong' | 'control';

/** Line breaks and tabs as single spaces, the ends trimmed: what is sent. */
export const singleLine = (text: string) => text.replace(/\s*[\r\n\t]+\s*/g, ' ').trim();

/** What the API would refuse in `singleLine(text)`; null when it may be sent. */
export function textProblem(text: string, max: number): TextProblem | null {
  const v = singleLine(text).normalize('NFC');
  if (!v) return 'required';
  if ([...v].length > max) return 'tooLong';
  return /[\p{Cc}\p{Cf}\u2028\u2029]/u.test(v) ? 'control' : null;
}
