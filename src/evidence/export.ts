import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';
import { recordIntegrityCheck } from '../integrity/audit';
import { linkedRecordings, type LinkedRecording } from '../cases/links';
import { appendCustody, lockCustody } from '../custody/log';
import { listCustody } from '../custody/read';
import { inTransaction, type Pool } from '../db/pool';
import type { Logger } from '../logger';
import { StorageNotFoundError, type ObjectStore } from '../../storage/object-store';
import { caseCustodyTargets } from './case-custody';
import { CUSTODY_PATH, MANIFEST_PATH, ORIGINALS_DIR, type CustodyDocument, type Manifest, type ManifestFile } from './layout';

interface Source extends ManifestFile {
  objectKey: string;
  startedAt: string;
}

/** Everything a package will hold, decided and put on the custody record before its first byte is sent. */
export interface ExportPlan {
  manifest: Manifest;
  custody: CustodyDocument;
  sources: Source[];
}

/** The bytes of an original are not the ones the catalog hashed at ingest (DESIGN.md, invariant 2). */
export class IntegrityMismatch extends Error {
  constructor(
    readonly recordingId: string,
    readonly expected: { sha256: string; size: number },
    readonly actual: { sha256: string | null; size: number | null },
  ) {
    super(
      actual.sha256 === null
        ? `the original of recording ${recordingId} is missing from the store`
        : `the original of recording ${recordingId} does not match the catalog: SHA-256 ${actual.sha256} (${actual.size} bytes), expected ${expected.sha256} (${expected.size} bytes)`,
    );
    this.name = 'IntegrityMismatch';
  }
}

const mismatch = (source: Source, actual: IntegrityMismatch['actual']) =>
  new IntegrityMismatch(source.recordingId, { sha256: source.sha256, size: source.size }, actual);

const compact = (isoTime: string) => isoTime.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
// An unzip tool writes each segment as one file name, and file systems allow 255 bytes (UTF-8 on Linux and
// macOS): a long Chinese name cut at 120 characters would still be 360. The label is cut in bytes, at a
// character boundary, keeping its extension; with the prefix (time, id) a segment stays under 210 bytes.
const MAX_LABEL_BYTES = 150;

function cutUtf8(text: string, maxBytes: number): string {
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    bytes += Buffer.byteLength(ch);
    if (bytes > maxBytes) break;
    out += ch;
  }
  return out;
}

/**
 * A recorder's file name as docked, made safe as one path segment on every unzip tool: no separators, no
 * reserved or invisible characters (C0, DEL, C1, bidi and other format characters, line separators), no
 * leading dots, at most MAX_LABEL_BYTES bytes.
 */
function safeName(name: string): string {
  const clean = name.replace(/[\u0000-\u001f\u007f-\u009f\p{Cf}\u2028\u2029/\\:*?"<>|]/gu, '_').replace(/^\.+/, '_');
  if (Buffer.byteLength(clean) <= MAX_LABEL_BYTES) return clean || 'original';
  const ext = /\.[A-Za-z0-9]{1,5}$/.exec(clean)?.[0] ?? '';
  return cutUtf8(clean.slice(0, clean.length - ext.length), MAX_LABEL_BYTES - ext.length) + ext;
}

/**
 * `originals/<badgeNo>/<startedAt, UTC, compact>_<id, first 8>_<file name>`: one folder per officer, files in
 * time order. The id prefix keeps names apart; should two still meet, the whole id is used.
 */
export function packagePath(rec: Pick<LinkedRecording, 'id' | 'badgeNo' | 'startedAt'>, filename: string, taken: Set<string>): string {
  const at = (id: string) => `${ORIGINALS_DIR}${rec.badgeNo}/${compact(rec.startedAt)}_${id}_${safeName(filename)}`;
  let path = at(rec.id.slice(0, 8));
  if (taken.has(path)) path = at(rec.id);
  taken.add(path);
  return path;
}

/**
 * Decides what a case's package holds and records the export, in one transaction under the custody lock: an
 * `export` event per recording packed (detail: caseNo, sha256, size, path), then one for the case (detail: the
 * recording ids, the file count, the tombstones). The case event is the newest of the whole log when the
 * transaction commits, so it is the manifest's `custodyHead`, and `custody.json` (read in the same transaction)
 * ends with it.
 */
export async function prepareExport(pool: Pool, found: { id: number; caseNo: string }, actor: string): Promise<ExportPlan> {
  const { caseNo } = found;
  return inTransaction(pool, async (client) => {
    // Links are read under the lock: a link committing meanwhile is on the record after this export, not in it.
    await lockCustody(client);
    const linked = await linkedRecordings(client, found.id);
    const { rows } = await client.query<{ id: string; sha256: string; size: number; filename: string; objectKey: string }>(
      'SELECT id, sha256, size, filename, object_key AS "objectKey" FROM recordings WHERE id = ANY($1::uuid[])',
      [linked.map((r) => r.id)],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    const taken = new Set<string>();
    const sources: Source[] = [];
    const deleted: Manifest['deleted'] = [];
    for (const rec of linked) {
      const row = byId.get(rec.id)!;
      if (rec.status === 'deleted') deleted.push({ recordingId: rec.id, sha256: row.sha256 });
      else sources.push({ path: packagePath(rec, row.filename, taken), recordingId: rec.id, sha256: row.sha256, size: row.size, objectKey: row.objectKey, startedAt: rec.startedAt });
    }
    for (const s of sources) {
      await appendCustody(client, { actor, action: 'export', target: `recording:${s.recordingId}`, detail: { caseNo, sha256: s.sha256, size: s.size, path: s.path } });
    }
    const head = await appendCustody(client, {
      actor,
      action: 'export',
      target: `case:${caseNo}`,
      detail: { recordingIds: sources.map((s) => s.recordingId), files: sources.length, deleted: deleted.map((d) => d.recordingId) },
    });
    const targets = caseCustodyTargets(caseNo, linked.map((r) => r.id));
    const events = await listCustody(client, { targets });
    return {
      manifest: { caseNo, exportedAt: head.at, exportedBy: actor, custodyHead: head.hash, files: sources.map(({ objectKey: _k, startedAt: _s, ...f }) => f), deleted },
      custody: { caseNo, targets, events },
      sources,
    };
  });
}

/** Passes an original's bytes through unchanged and fails at their end unless they are the ones catalogued. */
function verifying(source: Source): Transform {
  const hash = createHash('sha256');
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
    flush(done: TransformCallback) {
      const sha256 = hash.digest('hex');
      const good = sha256 === source.sha256 && size === source.size;
      done(good ? null : mismatch(source, { sha256, size }));
    },
  });
}

/** On the record, in its own transaction: the export found an original that is not what was ingested. */
async function recordIntegrityFailure(pool: Pool, actor: string, caseNo: string, err: IntegrityMismatch): Promise<void> {
  const { expected, actual } = err;
  const found = { result: actual.sha256 === null ? ('missing' as const) : ('mismatch' as const), ...actual };
  await inTransaction(pool, (client) => recordIntegrityCheck(client, actor, { id: err.recordingId, ...expected }, found, { caseNo }));
}

export interface ExportDeps {
  pool: Pool;
  store: ObjectStore;
  logger: Logger;
}

/**
 * Writes the planned package to `out` as a zip: each original streamed from the store, stored uncompressed
 * (footage does not compress) and re-hashed on the way (ZIP64 where a file or the archive needs it), then
 * `custody.json`, then `manifest.json`. Memory does not grow with the footage.
 *
 * - An original that is not the catalogued bytes (or is missing) is logged as an error and recorded as an
 *   `integrity_failure` custody event; `out` is destroyed, never ended, so what the client holds is not a valid
 *   zip, and the mismatch is thrown.
 * - A client that goes away stops the reading from the store; resolves with `aborted: true`.
 * - Any other failure destroys `out` and is thrown.
 */
export async function writeExport(deps: ExportDeps, plan: ExportPlan, out: Writable): Promise<{ aborted: boolean }> {
  const { manifest } = plan;
  const zip = new ZipFile();
  const output = zip.outputStream as Readable;
  // The original being read now: destroyed if the transfer ends early, so no file or connection is left open.
  let reading: Readable | undefined;
  let culprit: 'client' | 'source' | undefined;
  const fail = (err: Error) => {
    culprit ??= 'source';
    output.destroy(err);
  };
  // yazl reports a source it could not open here; without a listener it would be an uncaught error.
  zip.on('error', fail);
  for (const source of plan.sources) {
    zip.addReadStreamLazy(source.path, { compress: false, mtime: new Date(source.startedAt) }, (cb) => {
      deps.store.get(source.objectKey).then(
        (body) => {
          const check = verifying(source);
          reading = body;
          body.on('error', (err) => check.destroy(err));
          check.on('error', fail);
          if (culprit) body.destroy();
          cb(null, body.pipe(check));
        },
        (err: unknown) =>
          cb(err instanceof StorageNotFoundError ? mismatch(source, { sha256: null, size: null }) : err, undefined as never),
      );
    });
  }
  const mtime = new Date(manifest.exportedAt);
  zip.addBuffer(Buffer.from(`${JSON.stringify(plan.custody, null, 2)}\n`), CUSTODY_PATH, { mtime });
  zip.addBuffer(Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), MANIFEST_PATH, { mtime });
  zip.end();

  out.once('close', () => {
    if (!out.writableFinished) culprit ??= 'client';
  });
  try {
    await pipeline(output, out);
    return { aborted: false };
  } catch (err) {
    reading?.destroy();
    output.destroy();
    out.destroy();
    if (err instanceof IntegrityMismatch) {
      deps.logger.error(
        { caseNo: manifest.caseNo, recordingId: err.recordingId, expected: err.expected, actual: err.actual, by: manifest.exportedBy },
        `case export stopped: ${err.message}`,
      );
      await recordIntegrityFailure(deps.pool, manifest.exportedBy, manifest.caseNo, err);
      throw err;
    }
    if (culprit === 'client') return { aborted: true };
    throw err;
  }
}
