import path from 'node:path';
import { parseArgs } from 'node:util';
import { BADGE_NO, RECORDER_SERIAL } from '../directory/identifiers';

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';

export const USAGE = `usage: bce-dock [options] <folder>
       npm run dock -- [options] <folder>

Stores the footage of a docked recorder: finds the video files under <folder> (the recorder's mount
point; .mp4 .mov .avi .ts .mkv .m4v, any case, hidden entries skipped), hashes them (SHA-256), skips
those the server already stores, uploads the rest (tus, resumable, even after a crash of this
client) and checks the server's SHA-256 of each. Nothing on the recorder is changed or deleted.

options:
  --server URL       the Bodycam Evidence server (or env BCE_SERVER; default ${DEFAULT_SERVER})
  --token TOKEN      this docking station's token; required (or env BCE_TOKEN: ps shows flags)
  --serial SERIAL    recorder serial, sent with every file instead of what the file names say
  --badge BADGE      officer badge number, sent with every file instead of what the file names say
  --parallel N       files uploaded at once (default 2, at most 16)
  --retries N        further attempts at a file whose upload failed for a passing reason (default 3)
  --chunk-size MIB   MiB sent per upload request (default 64)
  --state-dir DIR    where unfinished uploads are remembered for resuming (default ~/.bce-dock);
                     must not be inside <folder>
  --dry-run          hash and ask the server, upload nothing
  --json             print the summary as JSON on stdout (progress stays on stderr)
  -h, --help         this text

Without --serial/--badge the file names (<serial>_<badge>_<YYYYMMDDhhmmss>_<seq>[_IMP].MP4) are left
to the server to read.

exit codes:
  0    every file is stored and its SHA-256 verified (--dry-run: every file was checked)
  1    some files failed (the summary says which and why); dock again after fixing the cause
  2    usage or configuration error (bad option, no token, <folder> missing, state dir unusable)
  3    the server could not be reached or was unavailable (5xx), or it refused the token (401/403)
  130  interrupted (Ctrl-C or SIGTERM); dock again to resume`;

export class UsageError extends Error {}

export interface DockConfig {
  folder: string;
  server: string;
  token: string;
  serial?: string;
  badge?: string;
  parallel: number;
  retries: number;
  chunkSizeBytes: number;
  stateDir: string;
  dryRun: boolean;
  json: boolean;
}

export type ParsedArgs = { help: true } | { help: false; config: DockConfig };

function wholeNumber(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new UsageError(`--${name} must be a whole number (got "${raw}")`);
  const n = Number(raw);
  if (n < min || n > max) throw new UsageError(`--${name} must be from ${min} to ${max} (got ${n})`);
  return n;
}

/** Checked here with the directory's own shapes, so a typo stops the run instead of failing every file with 422. */
function identifier(name: string, raw: string | undefined, shape: RegExp): string | undefined {
  if (raw === undefined) return undefined;
  const v = raw.trim();
  if (!shape.test(v)) throw new UsageError(`--${name} ${JSON.stringify(raw)} is not a valid ${name === 'serial' ? 'recorder serial' : 'badge number'} (letters, digits and -)`);
  return v;
}

function serverUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`the server must be a URL like ${DEFAULT_SERVER} (got "${raw}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`the server URL must be http or https (got "${raw}")`);
  if (url.search || url.hash || url.username || url.password) throw new UsageError('the server URL must not carry a query, fragment or credentials');
  return url.toString().replace(/\/+$/, '');
}

/** Options and environment into a configuration; a UsageError (exit 2) for anything wrong. */
export function parseDockArgs(argv: string[], env: NodeJS.ProcessEnv, home: string, cwd = process.cwd()): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        server: { type: 'string' },
        token: { type: 'string' },
        serial: { type: 'string' },
        badge: { type: 'string' },
        parallel: { type: 'string' },
        retries: { type: 'string' },
        'chunk-size': { type: 'string' },
        'state-dir': { type: 'string' },
        'dry-run': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true };
  if (positionals.length === 0) throw new UsageError('give the folder the recorder is mounted as');
  if (positionals.length > 1) throw new UsageError(`give one folder (got ${positionals.length}: ${positionals.join(' ')})`);

  const token = (values.token ?? env.BCE_TOKEN ?? '').trim();
  if (!token) throw new UsageError('no token: give --token or set BCE_TOKEN (npm run cli -- tokens issue --username <station>)');
  if (/[\s\u0000-\u001f\u007f]/.test(token)) throw new UsageError('the token must not contain spaces or control characters');

  return {
    help: false,
    config: {
      folder: path.resolve(cwd, positionals[0]),
      server: serverUrl(values.server ?? (env.BCE_SERVER?.trim() || DEFAULT_SERVER)),
      token,
      serial: identifier('serial', values.serial, RECORDER_SERIAL),
      badge: identifier('badge', values.badge, BADGE_NO),
      parallel: wholeNumber('parallel', values.parallel, 2, 1, 16),
      retries: wholeNumber('retries', values.retries, 3, 0, 20),
      chunkSizeBytes: wholeNumber('chunk-size', values['chunk-size'], 64, 1, 4096) * 1024 * 1024,
      stateDir: path.resolve(cwd, values['state-dir'] ?? path.join(home, '.bce-dock')),
      dryRun: values['dry-run'] === true,
      json: values.json === true,
    },
  };
}
