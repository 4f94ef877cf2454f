import type { AuditFailure, AuditReport } from '../integrity/audit';
import { runIntegrityAudit, runIntegrityAuditNow } from '../integrity/run';
import { flag, positiveInt, str, UsageError, type Command } from './command';

// The integrity audit run now: the daily job's share (the default), or every stored original (--all, what a
// restore check needs), or the N longest unaudited (--limit N). Exit 1 when an original failed its check.

function failureLine(f: AuditFailure): string {
  const expected = `expected ${f.expected.sha256} (${f.expected.size} bytes)`;
  return f.result === 'missing'
    ? `MISSING   ${f.recordingId}: not in the store, ${expected}`
    : `MISMATCH  ${f.recordingId}: ${f.actual.sha256} (${f.actual.size} bytes), ${expected}`;
}

function print(out: (line: string) => void, r: AuditReport): number {
  for (const f of r.failures) out(failureLine(f));
  const skipped = r.skipped ? `; ${r.skipped} deleted by retention meanwhile, not checked` : '';
  out(`checked ${r.checked}: ${r.ok} ok, ${r.mismatch} mismatch, ${r.missing} missing; ${r.bytes} bytes read${skipped}`);
  out(r.failures.length ? `FAILED: ${r.failures.length} original(s) are not what was ingested` : 'ok');
  return r.failures.length ? 1 : 0;
}

export const integrityCommands: Command[] = [
  {
    name: 'integrity audit',
    options: { all: flag, limit: str },
    prepare({ values }, config) {
      const limit = positiveInt(values, 'limit');
      if (values.all && limit !== undefined) throw new UsageError('give --all or --limit N, not both');
      return async ({ pool, logger, store, out }) => {
        const deps = { pool, logger, store: await store(), config };
        if (!values.all && limit === undefined) {
          const report = await runIntegrityAudit(deps);
          out(`the daily share: ${report.share.limit} of ${report.counts.live} stored original(s) (${report.counts.due} due)`);
          return print(out, report);
        }
        const report = await runIntegrityAuditNow(deps, { limit });
        out(`${values.all ? 'every' : 'the longest unaudited'} stored original: ${report.planned} of ${report.live}`);
        return print(out, report);
      };
    },
  },
];
