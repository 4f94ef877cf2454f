import { parseArgs } from 'node:util';
import pino from 'pino';
import { ConfigError, loadConfig, type Config } from '../../config/schema';
import { createPool } from '../db/pool';
import { migrate } from '../db/migrate';
import { AppError } from '../errors';
import { verifyExportCommand } from '../evidence/verify';
import { multipartRegistry } from '../ingest/multipart-registry';
import { createLogger } from '../logger';
import { createObjectStore, type ObjectStore } from '../../storage';
import { UsageError, type Args, type Command, type Runner, type Values } from './command';
import { evidenceCommands } from './evidence';
import { integrityCommands } from './integrity';
import { operationCommands } from './operations';
import { USAGE } from './usage';
import { userCommands } from './users';

// `npm run cli -- …`: finds the command, checks its arguments before anything is opened (exit 2 on a wrong
// command line, and nothing changes), then opens the database (migrated, as the services do at start-up)
// and, when the command needs it, the object store.

const COMMANDS: Command[] = [...userCommands, ...operationCommands, ...evidenceCommands, ...integrityCommands];

export interface CliIo {
  env: NodeJS.ProcessEnv;
  /** What the command reports: one line at a time, on standard output. */
  out(line: string): void;
  /** Errors and the usage, on standard error. */
  err(line: string): void;
  /** Where log lines go (standard error unless given): warnings and errors only, unless LOG_LEVEL is quieter. */
  log?: pino.DestinationStream;
  /** Standard input, whole, for `--password-stdin` (the process's own unless given). */
  stdin?(): Promise<string>;
}

// By code, not class: the TypeError comes from Node's own realm.
const isParseArgsError = (err: unknown): err is Error =>
  typeof err === 'object' && err !== null && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS') && 'message' in err;

/** The command and its checked arguments, or the usage error. */
function parse(argv: string[]): { command: Command; args: Args } {
  const [group, action] = argv;
  // `group action` (users add), or one word (migrate).
  const command = COMMANDS.find((c) => c.name === `${group} ${action}`) ?? COMMANDS.find((c) => c.name === group);
  if (!command) {
    const known = COMMANDS.some((c) => c.name.startsWith(`${group} `));
    throw new UsageError(known && (!action || action.startsWith('-')) ? `${group} needs a command` : `unknown command: ${argv.slice(0, 2).join(' ')}`);
  }
  const name = command.name;
  let args: Args;
  try {
    const rest = argv.slice(name.split(' ').length);
    args = parseArgs({ args: rest, options: command.options, allowPositionals: true, strict: true }) as Args;
  } catch (err) {
    // Node's advice on positionals that start with '-' (after the first sentence) fits no command here.
    if (isParseArgsError(err)) throw new UsageError(`${name}: ${err.message.split('. ')[0]}`);
    throw err;
  }
  const takes = command.positionals ?? 'none';
  const n = args.positionals.length;
  if (takes === 'none' && n) throw new UsageError(`${name} takes no argument ${JSON.stringify(args.positionals[0])}`);
  if (takes === 'one' && n !== 1) throw new UsageError(`${name} takes one file`);
  return { command, args };
}

/** A password is one line; more than this on standard input is not one. */
const STDIN_LIMIT = 64 * 1024;

/**
 * `--password-stdin`: the password is the first line of standard input, so it stays out of the shell's history
 * and out of what `ps` shows every user of the machine. A terminal is refused: what is typed would be echoed.
 */
async function passwordFromStdin(values: Values, read: () => Promise<string>): Promise<void> {
  if (values.password !== undefined) throw new UsageError('give --password or --password-stdin, not both');
  const line = (await read()).split(/\r?\n/)[0]!;
  if (!line) throw new UsageError('--password-stdin: standard input holds no password (pipe it in, or redirect a file)');
  values.password = line;
}

/** Standard input up to its first line's end (a writer that keeps the pipe open is not waited for) or its end. */
async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError('--password-stdin reads a pipe or a file, not a terminal: printf \'%s\\n\' "$PASSWORD" | npm run cli -- …');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > STDIN_LIMIT) throw new UsageError(`--password-stdin: standard input holds more than ${STDIN_LIMIT / 1024} KiB, not a password`);
    chunks.push(chunk);
    if (chunk.includes(0x0a)) break;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Runs one command line; resolves with the exit status (see USAGE). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const usageError = (message: string) => {
    io.err(`error: ${message}\n\n${USAGE}`);
    return 2;
  };
  const [first] = argv;
  // Offline: whoever holds a package can check it, with no configuration and no database.
  if (first === 'verify-export') return verifyExportCommand(argv.slice(1), io.out, io.err);
  if (first === 'help' || first === '--help' || first === '-h') {
    io.out(USAGE);
    return 0;
  }
  if (first === undefined) return usageError('no command given');

  let config: Config;
  let run: Runner;
  try {
    const { command, args } = parse(argv);
    if (args.values['password-stdin']) await passwordFromStdin(args.values, io.stdin ?? readStdin);
    config = loadConfig(io.env);
    run = command.prepare(args, config);
    if (command.migrates === false) return await open(config, io, run, false);
  } catch (err) {
    if (err instanceof UsageError) return usageError(err.message);
    if (err instanceof ConfigError) {
      io.err(err.message);
      return 78;
    }
    throw err;
  }
  return open(config, io, run, true);
}

async function open(config: Config, io: CliIo, run: Runner, migrating: boolean): Promise<number> {
  const level = ['fatal', 'error', 'silent'].includes(config.logLevel) ? config.logLevel : 'warn';
  const logger = createLogger(level, { role: 'cli' }, io.log ?? pino.destination({ dest: 2, sync: true }));
  const pool = createPool(config.database.url, 2, (err) => logger.warn({ err: err.message }, 'idle PostgreSQL client failed'));
  let store: Promise<ObjectStore> | undefined;
  try {
    if (migrating) await migrate(pool);
    return await run({
      config,
      pool,
      logger,
      store: () => (store ??= createObjectStore(config.storage, { registry: multipartRegistry(pool), logger })),
      out: io.out,
    });
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`error: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    if (err instanceof AppError) io.err(`error: ${err.field ? `${err.field}: ` : ''}${err.message} (${err.code})`);
    else io.err(`error: ${(err as Error).message}`);
    return 1;
  } finally {
    await pool.end();
  }
}
