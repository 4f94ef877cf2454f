import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { decodeCsv } from '../csv/decode';
import { migrate } from '../db/migrate';
import { UUID } from '../directory/identifiers';
import { importDirectory } from '../directory/import';
import { requestReprocessing } from '../recordings/processing';
import { runRetention } from '../retention/run';
import { parseDayOrInstant } from '../time';
import { flag, str, UsageError, type Command } from './command';

// The bureau's directory from its spreadsheet, processing run again, the retention run by hand, migrations.

const REPROCESSABLE = ['unplayable', 'ready', 'processing', 'received'];

export const operationCommands: Command[] = [
  {
    name: 'directory import',
    options: {},
    positionals: 'one',
    prepare({ positionals }, config) {
      const file = positionals[0]!;
      if (!existsSync(file)) throw new UsageError(`${file}: no such file`);
      return async ({ pool, out }) => {
        const result = await importDirectory(pool, decodeCsv(await readFile(file)), config.bureauTz);
        out(`created ${result.created}, updated ${result.updated}, errors ${result.errors.length}`);
        for (const e of result.errors) out(`  line ${e.line}: ${e.code}: ${e.detail}`);
        return result.errors.length ? 1 : 0;
      };
    },
  },
  {
    name: 'recordings reprocess',
    options: { status: str },
    positionals: 'some',
    prepare({ values, positionals }) {
      const status = values.status as string | undefined;
      if (status !== undefined && !REPROCESSABLE.includes(status)) throw new UsageError(`--status must be one of ${REPROCESSABLE.join(', ')}`);
      if (!!status === positionals.length > 0) throw new UsageError('give recording ids or --status, not both (nor neither)');
      const bad = positionals.find((id) => !UUID.test(id));
      if (bad) throw new UsageError(`${bad} is not a recording id`);
      return async ({ pool, out }) => {
        const ids = status
          ? (await pool.query<{ id: string }>('SELECT id FROM recordings WHERE status = $1 ORDER BY ingested_at', [status])).rows.map((r) => r.id)
          : positionals;
        let queued = 0;
        for (const id of ids) {
          if (await requestReprocessing(pool, id)) queued++;
          else out(`  ${id}: no such recording (or deleted)`);
        }
        out(`queued ${queued} recording(s) for re-processing: the workers take them from the queue`);
        return queued < ids.length ? 1 : 0;
      };
    },
  },
  {
    name: 'retention run',
    options: { at: str, 'dry-run': flag },
    prepare({ values }, config) {
      const at = values.at === undefined ? new Date() : parseDayOrInstant(values.at as string, config.bureauTz, 'start');
      if (!at) throw new UsageError('--at must be a date (YYYY-MM-DD) or an ISO 8601 time');
      const dryRun = !!values['dry-run'];
      return async ({ pool, logger, store, out }) => {
        const report = await runRetention({ pool, store: await store(), logger, policy: config.retention }, { at, dryRun });
        for (const d of report.due) out([d.recordingId, d.retainUntil, d.badgeNo, d.filename, String(d.size)].join('\t'));
        const verb = report.dryRun ? 'would delete' : 'deleted';
        out(`${verb} ${report.due.length} recording(s) expired at ${report.at}; ${report.held} expired but held; ${report.recomputed} date(s) recomputed; ${report.purged} purged`);
        if (!report.purgeErrors) return 0;
        out(`${report.purgeErrors} object(s) could not be removed: the next run tries again`);
        return 1;
      };
    },
  },
  {
    name: 'migrate',
    options: {},
    migrates: false,
    prepare: () => async ({ pool, out }) => {
      out((await migrate(pool)).map((m) => `applied ${m}`).join('\n') || 'nothing to apply');
      return 0;
    },
  },
];
