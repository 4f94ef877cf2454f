import { createWriteStream, existsSync, statSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { getCase } from '../cases/cases';
import { verifyChain } from '../custody/read';
import { notFound } from '../errors';
import { prepareExport, writeExport } from '../evidence/export';
import { cliActor } from './actor';
import { need, str, UsageError, type Command } from './command';

// The evidence commands: the custody chain checked (as GET /api/custody/verify does) and a case's package
// written to a file (as GET /api/cases/:caseNo/export streams it), for an operator without the UI.

/** A package is never written over an existing file, and only into a folder that is there. */
function packageFile(value: string): string {
  const file = path.resolve(value);
  if (existsSync(file)) throw new UsageError(`--out ${value} already exists: give a new file name`);
  const dir = path.dirname(file);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--out ${value}: the folder ${dir} does not exist`);
  return file;
}

export const evidenceCommands: Command[] = [
  {
    name: 'custody verify',
    options: {},
    prepare: () => async ({ pool, out }) => {
      const v = await verifyChain(pool);
      if (v.ok) {
        out(`ok: ${v.events} event(s), head ${v.head}`);
        return 0;
      }
      out(`BROKEN at event ${v.firstBadSeq}: ${v.reason}`);
      out(`${v.events - 1} event(s) verified before it, the last of them with hash ${v.head}`);
      return 1;
    },
  },
  {
    name: 'cases export',
    options: { 'case-no': str, out: str },
    prepare({ values }) {
      const caseNo = need(values, 'case-no');
      const file = packageFile(need(values, 'out'));
      return async ({ pool, logger, store, out }) => {
        const found = await getCase(pool, caseNo);
        if (!found) throw notFound(`case ${caseNo}`);
        // The store and the file first: the export goes on the custody record only once it can be written.
        const objects = await store();
        // Written beside the target and renamed when complete: a package at --out is always a whole one.
        const partial = `${file}.partial`;
        const stream = createWriteStream(partial, { flags: 'wx' });
        await new Promise<void>((resolve, reject) => stream.once('open', () => resolve()).once('error', reject));
        let done = false;
        try {
          const plan = await prepareExport(pool, found, cliActor());
          await writeExport({ pool, logger, store: objects }, plan, stream);
          const handle = await open(partial, 'r+');
          await handle.sync().finally(() => handle.close());
          await rename(partial, file);
          done = true;
          const { manifest } = plan;
          const bytes = manifest.files.reduce((n, f) => n + f.size, 0);
          out(`exported case ${manifest.caseNo} as ${manifest.exportedBy}: ${manifest.files.length} original(s), ${bytes} bytes, ${manifest.deleted.length} deleted by retention`);
          out(`custody head ${manifest.custodyHead}`);
          out(`written to ${file}; anyone can check it with: npm run cli -- verify-export ${JSON.stringify(file)}`);
          return 0;
        } finally {
          if (!done) {
            stream.destroy();
            await rm(partial, { force: true });
          }
        }
      };
    },
  },
];
