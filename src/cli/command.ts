import type { ParseArgsConfig } from 'node:util';
import type { Config } from '../../config/schema';
import type { Pool } from '../db/pool';
import type { Logger } from '../logger';
import type { ObjectStore } from '../../storage';

// What a command of `npm run cli -- …` is: its options, and a check of its arguments that runs before the
// database or the store is touched, so a usage error (exit 2) changes nothing.

/** The command line was wrong: exit 2, with the usage. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** What a command works with, opened once its arguments are known to be good. */
export interface CliDeps {
  config: Config;
  pool: Pool;
  logger: Logger;
  /** The configured object store, opened on first use (most commands never need it). */
  store(): Promise<ObjectStore>;
  out(line: string): void;
}

export type Values = Record<string, string | boolean | undefined>;

export interface Args {
  values: Values;
  positionals: string[];
}

/** Runs the checked command; resolves with its exit code (0 done, 1 a failure the output describes). */
export type Runner = (deps: CliDeps) => Promise<number>;

export interface Command {
  /** `group action`, as typed. */
  name: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** How many positional arguments it takes: none unless said. */
  positionals?: 'none' | 'one' | 'some';
  /** False for the one command that manages migrations itself. */
  migrates?: boolean;
  /** Checks the arguments (throws UsageError) and returns what runs. */
  prepare(args: Args, config: Config): Runner;
}

export function need(values: Values, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || !v) throw new UsageError(`--${name} is required`);
  return v;
}

export function positiveInt(values: Values, name: string): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^[1-9]\d{0,8}$/.test(v)) throw new UsageError(`--${name} must be a whole number above 0`);
  return Number(v);
}

export const str = { type: 'string' } as const;
export const flag = { type: 'boolean' } as const;
