import { runCli } from '../../src/cli/run';
import type { TestEnv } from '../support/harness';

export interface CliResult {
  code: number;
  /** Standard output, lines joined. */
  out: string;
  /** Standard error (errors, the usage). */
  err: string;
  /** Log lines the command wrote (JSON). */
  logs: string[];
}

/** The command line of `npm run cli -- …`, run in this process against `env` (the settings, as variables). */
export const cli = (env: NodeJS.ProcessEnv, ...argv: string[]): Promise<CliResult> => cliWithInput(env, '', ...argv);

/** The same, with `input` on its standard input. */
export async function cliWithInput(env: NodeJS.ProcessEnv, input: string, ...argv: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const logs: string[] = [];
  const code = await runCli(argv, {
    env,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    log: { write: (l: string) => void logs.push(l) },
    stdin: async () => input,
  });
  return { code, out: out.join('\n'), err: err.join('\n'), logs };
}

/** The settings a test system runs with, as the environment a command line on its machine would have. */
export const envOf = (env: TestEnv): NodeJS.ProcessEnv => ({
  DATABASE_URL: env.config.database.url,
  DATA_DIR: env.dataDir,
  REDIS_PREFIX: env.config.redis.prefix,
  LOG_LEVEL: 'warn',
});
