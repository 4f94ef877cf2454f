import { DateTime } from 'luxon';
import { BADGE_NO, RECORDER_SERIAL } from '../directory/identifiers';

/** What a recorder's file name tells, when it tells it. */
export interface NameFacts {
  recorderSerial?: string;
  badgeNo?: string;
  startedAt?: Date;
  seq?: number;
  important: boolean;
}

export const MAX_FILENAME_LENGTH = 255;
const VENDOR_PREFIX = /^(VID|IMG|REC|MOV|DSC|FILE|CLIP|PICT|AUD)$/i;

/**
 * Why a client's file name cannot be kept, or null when it can. The name is only a label (objects are
 * keyed by recording id), but it reaches pages, exports and ZIP entries, so nothing path-like or invisible.
 */
export function filenameProblem(name: string): string | null {
  if (!name.trim()) return 'the file has no name';
  if ([...name].length > MAX_FILENAME_LENGTH) return `the file name is longer than ${MAX_FILENAME_LENGTH} characters`;
  if (/[/\\]/.test(name) || name === '.' || name === '..') return 'the file name must not contain a path';
  if (/[\p{Cc}\p{Cf}\u2028\u2029]/u.test(name)) return 'the file name contains control characters';
  return null;
}

/**
 * Reads `<serial>_<badge>_<YYYYMMDDhhmmss>_<seq>[_IMP].MP4` and the variants vendors write: `-` instead
 * of `_`, the time split as `YYYYMMDD_hhmmss`, the time first, lower-case extensions, `IMP` anywhere.
 * Local times are in the bureau's zone. Anything it cannot read is left out, never guessed.
 */
export function parseRecorderFileName(name: string, zone: string): NameFacts {
  const stem = name.replace(/\.[A-Za-z0-9]{1,5}$/, '');
  const separator = stem.includes('_') ? '_' : '-';
  let tokens = stem.split(separator).map((t) => t.trim()).filter(Boolean);
  const facts: NameFacts = { important: false };

  if (tokens.some((t) => /^imp$/i.test(t))) {
    facts.important = true;
    tokens = tokens.filter((t) => !/^imp$/i.test(t));
  }

  // One token: 20260301083000, or with a T or - between date and time.
  let timeAt = tokens.findIndex((t) => /^\d{8}[T-]?\d{6}$/i.test(t));
  let timeText = timeAt >= 0 ? tokens[timeAt]!.replace(/[T-]/i, '') : undefined;
  let timeTokens = 1;
  if (timeAt < 0) {
    timeAt = tokens.findIndex((t, i) => /^\d{8}$/.test(t) && /^\d{6}$/.test(tokens[i + 1] ?? ''));
    if (timeAt >= 0) {
      timeText = tokens[timeAt]! + tokens[timeAt + 1]!;
      timeTokens = 2;
    }
  }
  if (timeText === undefined) return facts;
  const time = DateTime.fromFormat(timeText, 'yyyyMMddHHmmss', { zone });
  if (time.isValid) facts.startedAt = time.toJSDate();

  // Camera-style prefixes (VID_20260301_083000.mp4) name no device.
  const before = tokens.slice(0, timeAt).filter((t) => !VENDOR_PREFIX.test(t));
  const after = tokens.slice(timeAt + timeTokens);
  // Identifiers come before the time in the common layout, after it in the time-first one, where a short
  // number is the segment, not an identifier.
  const ids = before.length ? before : after.filter((t) => !/^\d{1,4}$/.test(t)).slice(0, 2);
  const rest = before.length ? after : after.filter((t) => !ids.includes(t));
  if (ids[0] && RECORDER_SERIAL.test(ids[0])) facts.recorderSerial = ids[0];
  if (ids[1] && BADGE_NO.test(ids[1])) facts.badgeNo = ids[1];
  const seq = rest.find((t) => /^\d{1,6}$/.test(t));
  if (seq !== undefined) facts.seq = Number(seq);
  return facts;
}
