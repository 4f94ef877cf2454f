/** Formatting shared by the progress display and the summary, so both show the same figures. */

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Binary units, because recorder files are capped at 4 GiB (FAT32) and operators see that figure on the device. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  let value = bytes;
  let unit = -1;
  do {
    value /= 1024;
    unit++;
  } while (value >= 1024 && unit < UNITS.length - 1);
  return `${value.toFixed(1)} ${UNITS[unit]}`;
}

export function formatSpeed(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return '--';
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** Compact durations: "42s", "3m05s", "1h02m". Unknown or absurd values print as "--" rather than lie. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '--';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(s / 3600);
  if (h > 99) return '>99h';
  return `${h}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Time left at the given speed; "--" until a speed is known. */
export function formatEta(remainingBytes: number, bytesPerSecond: number): string {
  if (remainingBytes <= 0) return '0s';
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return '--';
  return formatDuration((remainingBytes / bytesPerSecond) * 1000);
}

export function formatPercent(done: number, total: number): string {
  if (total <= 0) return '100%';
  return `${Math.min(100, Math.floor((done / total) * 100))}%`;
}

/**
 * Shortens from the middle: recorder names differ at their end (time, segment number), so both ends stay
 * readable.
 */
export function truncateMiddle(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  if (width <= 1) return chars.slice(0, Math.max(0, width)).join('');
  const tail = Math.ceil((width - 1) / 2);
  const head = width - 1 - tail;
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - tail).join('')}`;
}

export function padEnd(text: string, width: number): string {
  const len = [...text].length;
  return len >= width ? text : text + ' '.repeat(width - len);
}

/**
 * Text from a recorder's card (file and folder names) or a server, made safe for the operator's terminal:
 * control and bidirectional-override characters are shown as \u escapes, so a name cannot move the cursor,
 * recolour the screen or reorder what the operator reads. The JSON summary needs no such care.
 */
export function printable(text: string): string {
  return text.replace(/[\p{Cc}\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}
