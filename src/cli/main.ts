import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../../config/schema';
import { issueToken, revokeUserTokens } from '../auth/tokens';
import { isRole, ROLES } from '../auth/roles';
import { decodeCsv } from '../csv/decode';
import { createPool, inTransaction, type Pool } from '../db/pool';
import { migrate } from '../db/migrate';
import { importDirectory } from '../directory/import';
import { assertMachineAccount, createUser, getUserByUsername, listUsers, updateUser } from '../directory/users';
import { AppError } from '../errors';
import { verifyExportCommand } from '../evidence/verify';
import { requestReprocessing } from '../recordings/processing';
import { multipartRegistry } from '../ingest/multipart-registry';
import { createLogger } from '../logger';
import { runRetention } from '../retention/run';
import { parseDayOrInstant } from '../time';
import { createObjectStore } from '../../storage';
import { UUID } from '../directory/identifiers';

const USAGE = `usage: npm run cli -- <command>

  users add --username U --password P --role ROLE [--unit CODE] [--badge BADGE]
  users list
  users deactivate --username U
  users password --username U --password P
  tokens issue --username U        prints a token for a station or integration account (shown once)
  tokens revoke --username U       revokes every token of that account
  directory import FILE.csv        the bureau's spreadsheet (UTF-8 or GB18030)
  recordings reprocess ID...       processes recordings again from the probe on (new settings, newer ffmpeg)
  recordings reprocess --status S  ... every recording in status S (unplayable, ready, processing, received)
  retention run [--at DATE]        deletes footage expired at DATE (default now), as the daily run does
  retention run --dry-run [--at DATE]  ... only reports what that run would delete
  migrate                          applies pending database migrations
  verify-export PACKAGE.zip        checks a case export offline (files, hashes, custody chain); no database needed

roles: ${ROLES.join(', ')}`;

class UsageError extends Error {}


function need(values: Record<string, string | boolean | undefined>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || !v) throw new UsageError(`--${name} is required`);
  return v;
}

async function run(argv: string[], pool: Pool, config: ReturnType<typeof loadConfig>, out: (line: string) => void): Promise<void> {
  const [group, action, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    strict: true,
    options: {
      username: { type: 'string' },
      password: { type: 'string' },
      role: { type: 'string' },
      unit: { type: 'string' },
      badge: { type: 'string' },
      status: { type: 'string' },
      at: { type: 'string' },
      'dry-run': { type: 'boolean' },
    },
  });
  const key = `${group ?? ''} ${action ?? ''}`.trim();
  switch (key) {
    case 'users add': {
      const role = need(values, 'role');
      if (!isRole(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
      const user = await createUser(
        pool,
        { username: need(values, 'username'), password: need(values, 'password'), role, unitCode: values.unit, badgeNo: values.badge },
        config.auth.passwordMinLength,
      );
      out(`created user ${user.username} (${user.role}${user.unitCode ? `, unit ${user.unitCode}` : ''})`);
      return;
    }
    case 'users list':
      for (const u of await listUsers(pool)) {
        out([u.username, u.role, u.unitCode ?? '-', u.badgeNo ?? '-', u.active ? 'active' : 'deactivated'].join('\t'));
      }
      return;
    case 'users deactivate':
      await inTransaction(pool, (c) => updateUser(c, need(values, 'username'), { active: false }, config.auth.passwordMinLength));
      out(`deactivated ${values.username}; its sessions and tokens are revoked`);
      return;
    case 'users password':
      await inTransaction(pool, (c) => updateUser(c, need(values, 'username'), { password: need(values, 'password') }, config.auth.passwordMinLength));
      out(`password changed for ${values.username}; its login sessions are ended`);
      return;
    case 'tokens issue': {
      const user = await getUserByUsername(pool, need(values, 'username'));
      if (!user) throw new UsageError(`no user ${values.username}`);
      if (!user.active) throw new UsageError(`user ${user.username} is deactivated`);
      assertMachineAccount(user.role);
      const { token } = await issueToken(pool, user.id, 'api', null);
      out(token);
      return;
    }
    case 'tokens revoke': {
      const user = await getUserByUsername(pool, need(values, 'username'));
      if (!user) throw new UsageError(`no user ${values.username}`);
      out(`revoked ${await revokeUserTokens(pool, user.id, 'api')} token(s) of ${user.username}`);
      return;
    }
    case 'directory import': {
      const file = positionals[0];
      if (!file) throw new UsageError('give the CSV file to import');
      const result = await importDirectory(pool, decodeCsv(await readFile(file)), config.bureauTz);
      out(`created ${result.created}, updated ${result.updated}, errors ${result.errors.length}`);
      for (const e of result.errors) out(`  line ${e.line}: ${e.code}: ${e.detail}`);
      if (result.errors.length) process.exitCode = 1;
      return;
    }
    case 'recordings reprocess': {
      const status = values.status;
      if (status !== undefined && !['unplayable', 'ready', 'processing', 'received'].includes(status)) {
        throw new UsageError('--status must be unplayable, ready, processing or received');
      }
      if (!!status === positionals.length > 0) throw new UsageError('give recording ids or --status, not both (nor neither)');
      const bad = positionals.find((id) => !UUID.test(id));
      if (bad) throw new UsageError(`${bad} is not a recording id`);
      const ids = status
        ? (await pool.query<{ id: string }>('SELECT id FROM recordings WHERE status = $1 ORDER BY ingested_at', [status])).rows.map((r) => r.id)
        : positionals;
      let queued = 0;
      for (const id of ids) {
        if (await requestReprocessing(pool, id)) queued++;
        else out(`  ${id}: no such recording (or deleted)`);
      }
      out(`queued ${queued} recording(s) for re-processing`);
      if (queued < ids.length) process.exitCode = 1;
      return;
    }
    case 'retention run': {
      const at = values.at === undefined ? new Date() : parseDayOrInstant(values.at, config.bureauTz, 'start');
      if (!at) throw new UsageError('--at must be a date (YYYY-MM-DD) or an ISO 8601 time');
      const logger = createLogger('warn');
      const store = await createObjectStore(config.storage, { registry: multipartRegistry(pool), logger });
      const report = await runRetention({ pool, store, logger, policy: config.retention }, { at, dryRun: !!values['dry-run'] });
      for (const d of report.due) out([d.recordingId, d.retainUntil, d.badgeNo, d.filename, String(d.size)].join('\t'));
      const verb = report.dryRun ? 'would delete' : 'deleted';
      out(`${verb} ${report.due.length} recording(s) expired at ${report.at}; ${report.held} expired but held; ${report.recomputed} date(s) recomputed; ${report.purged} purged`);
      if (report.purgeErrors) {
        out(`${report.purgeErrors} object(s) could not be removed: the next run tries again`);
        process.exitCode = 1;
      }
      return;
    }
    case 'migrate':
      out((await migrate(pool)).map((m) => `applied ${m}`).join('\n') || 'nothing to apply');
      return;
    default:
      throw new UsageError(key ? `unknown command: ${key}` : 'no command given');
  }
}

async function main(): Promise<void> {
  // Offline: whoever holds a package can check it, with no configuration and no database.
  if (process.argv[2] === 'verify-export') {
    process.exitCode = await verifyExportCommand(process.argv.slice(3), (line) => console.log(line), (line) => console.error(line));
    return;
  }
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78);
    }
    throw err;
  }
  const pool = createPool(config.database.url, 2, () => undefined);
  try {
    await migrate(pool);
    await run(process.argv.slice(2), pool, config, (line) => console.log(line));
  } catch (err) {
    if (err instanceof UsageError || (err instanceof Error && err.name === 'TypeError' && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
      console.error(`error: ${err.message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else if (err instanceof AppError) {
      console.error(`error: ${err.field ? `${err.field}: ` : ''}${err.message} (${err.code})`);
      process.exitCode = 1;
    } else {
      console.error(`error: ${(err as Error).message}`);
      process.exitCode = 1;
    }
  } finally {
    await pool.end();
  }
}

void main();
