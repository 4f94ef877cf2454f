import pino from 'pino';
import type { Logger } from '../../src/logger';

/** One pino log line as written (JSON), with its numeric `level` (30 info, 40 warn, 50 error). */
export type LogLine = Record<string, unknown> & { level: number; msg?: string };

export const LEVEL = { info: 30, warn: 40, error: 50 } as const;

/**
 * A real pino logger whose lines are kept in memory, for tests that assert what a component logs (an alert
 * at error level, an audit line at info). Hand `logger` to the code under test in place of the context's.
 */
export function captureLogs(level: string = 'info'): { logger: Logger; lines: LogLine[]; at(min: number): LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level, base: { pid: process.pid } }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines, at: (min) => lines.filter((l) => l.level >= min) };
}

/** The JSON log lines a child process wrote (pino on stdout/stderr); other output is kept as `{unparsed}`. */
export function parseLogLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return { unparsed: l };
      }
    });
}
