import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { openPromise, type Entry, type ZipFile } from 'yauzl';
import { z } from 'zod';
import { eventHash, GENESIS_HASH } from '../custody/chain';
import { CUSTODY_PATH, MANIFEST_PATH } from './layout';

/**
 * Checks a case export package offline, with nothing but the zip: no database, no configuration
 * (DESIGN.md, invariant 3: anyone holding a package can check it).
 */

/** The file is not a zip that can be read at all (missing, not a zip, its directory unreadable). */
export class UnreadablePackageError extends Error {
  override name = 'UnreadablePackageError';
}

export interface PackageCheck {
  ok: boolean;
  /** One line each, naming the file path or the event seq, and what is wrong. */
  problems: string[];
  files: number;
  events: number;
  custodyHead: string | null;
}

/** What the archive holds: size and SHA-256 of every entry, as read (or why it could not be read). */
interface EntryFacts {
  size: number;
  sha256: string;
  /** The bytes, kept for the two JSON documents only. */
  text?: string;
  error?: string;
}

const HEX64 = /^[0-9a-f]{64}$/;
// The JSON documents are small (a case has at most thousands of events); anything far larger is not ours.
const MAX_DOCUMENT_BYTES = 256 * 1024 * 1024;

const manifestSchema = z.object({
  caseNo: z.string().min(1),
  exportedAt: z.string(),
  exportedBy: z.string(),
  custodyHead: z.string().regex(HEX64),
  files: z.array(z.object({ path: z.string().min(1), recordingId: z.string(), sha256: z.string().regex(HEX64), size: z.number().int().min(0) })),
  deleted: z.array(z.object({ recordingId: z.string(), sha256: z.string() })).default([]),
});
type Manifest = z.output<typeof manifestSchema>;

const eventSchema = z.object({
  seq: z.number().int().positive(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  detail: z.record(z.string(), z.unknown()),
  prevHash: z.string().regex(HEX64),
  hash: z.string().regex(HEX64),
});
type Event = z.output<typeof eventSchema>;

const describe = (err: z.ZodError) => err.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ');

async function readEntry(zip: ZipFile, entry: Entry, keepText: boolean): Promise<EntryFacts> {
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    const stream: Readable = await zip.openReadStreamPromise(entry);
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
      if (keepText && size <= MAX_DOCUMENT_BYTES) chunks.push(chunk);
    }
  } catch (err) {
    return { size, sha256: '', error: (err as Error).message };
  }
  const sha256 = hash.digest('hex');
  if (!keepText) return { size, sha256 };
  if (size > MAX_DOCUMENT_BYTES) return { size, sha256, error: `larger than ${MAX_DOCUMENT_BYTES} bytes` };
  return { size, sha256, text: Buffer.concat(chunks).toString('utf8') };
}

/** Reads every entry once, in order, hashing as it streams; memory does not grow with the footage. */
async function readArchive(zipPath: string, problems: string[]): Promise<Map<string, EntryFacts>> {
  let zip: ZipFile;
  try {
    zip = await openPromise(zipPath, { lazyEntries: true, autoClose: false });
  } catch (err) {
    throw new UnreadablePackageError(`${zipPath} cannot be read as a zip: ${(err as Error).message}`);
  }
  const entries = new Map<string, EntryFacts>();
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', () => resolve());
      zip.on('entry', (entry: Entry) => {
        const name = entry.fileName;
        if (name.endsWith('/')) return zip.readEntry(); // a folder entry holds nothing
        if (entries.has(name)) problems.push(`${name}: appears twice in the archive`);
        readEntry(zip, entry, name === MANIFEST_PATH || name === CUSTODY_PATH).then((facts) => {
          entries.set(name, facts);
          if (facts.error) problems.push(`${name}: cannot be read: ${facts.error}`);
          zip.readEntry();
        }, reject);
      });
      zip.readEntry();
    });
  } catch (err) {
    problems.push(`the archive is damaged: ${(err as Error).message}`);
  } finally {
    zip.close();
  }
  return entries;
}

function parseDocument<S extends z.ZodType>(name: string, facts: EntryFacts | undefined, schema: S, problems: string[]): z.output<S> | null {
  if (!facts) {
    problems.push(`${name}: missing from the archive`);
    return null;
  }
  if (facts.text === undefined) return null; // unreadable: already reported
  let value: unknown;
  try {
    value = JSON.parse(facts.text);
  } catch (err) {
    problems.push(`${name}: not valid JSON: ${(err as Error).message}`);
    return null;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    problems.push(`${name}: not a package ${name.replace('.json', '')}: ${describe(parsed.error)}`);
    return null;
  }
  return parsed.data;
}

function checkFiles(entries: Map<string, EntryFacts>, manifest: Manifest, problems: string[]): void {
  const listed = new Set<string>();
  for (const f of manifest.files) {
    if (listed.has(f.path)) problems.push(`${f.path}: listed twice in ${MANIFEST_PATH}`);
    listed.add(f.path);
    const found = entries.get(f.path);
    if (!found) problems.push(`${f.path}: listed in ${MANIFEST_PATH} but missing from the archive`);
    else if (found.error) continue; // reported when read
    else if (found.size !== f.size) problems.push(`${f.path}: ${found.size} bytes, ${MANIFEST_PATH} says ${f.size}`);
    else if (found.sha256 !== f.sha256) problems.push(`${f.path}: SHA-256 ${found.sha256}, ${MANIFEST_PATH} says ${f.sha256}`);
  }
  for (const name of entries.keys()) {
    if (name !== MANIFEST_PATH && name !== CUSTODY_PATH && !listed.has(name)) problems.push(`${name}: in the archive but not in ${MANIFEST_PATH}`);
  }
}

/** Every event's hash from its own fields; consecutive seqs chained; the first event of the log from genesis. */
function checkChain(events: Event[], problems: string[]): void {
  let before: Event | undefined;
  for (const e of events) {
    const at = `${CUSTODY_PATH} event seq ${e.seq}`;
    if (before && e.seq <= before.seq) problems.push(`${at}: out of order (after seq ${before.seq})`);
    if (eventHash(e.prevHash, e) !== e.hash) problems.push(`${at}: its hash does not match its content`);
    if (e.seq === 1 && e.prevHash !== GENESIS_HASH) problems.push(`${at}: the first event of the log must have prevHash ${GENESIS_HASH}`);
    if (before && e.seq === before.seq + 1 && e.prevHash !== before.hash) problems.push(`${at}: its prevHash is not the hash of event seq ${before.seq}`);
    before = e;
  }
}

/**
 * The export's own events close the package: the newest event is the case's `export`, its hash is the
 * manifest's custodyHead, it names the recordings packed, and the `export` event of each recording, written
 * just before it, holds the SHA-256 and size the manifest states (so a manifest rewritten to fit altered
 * footage does not match the hash-chained record).
 */
function checkExportEvents(events: Event[], manifest: Manifest, problems: string[]): void {
  const newest = events.at(-1);
  if (!newest) {
    problems.push(`${CUSTODY_PATH}: no events (the export event of case ${manifest.caseNo} must be there)`);
    return;
  }
  const at = `${CUSTODY_PATH} event seq ${newest.seq}`;
  if (newest.hash !== manifest.custodyHead) {
    problems.push(`${MANIFEST_PATH}: custodyHead ${manifest.custodyHead} is not the hash of the newest event in ${CUSTODY_PATH} (seq ${newest.seq}, ${newest.hash})`);
  }
  if (newest.action !== 'export' || newest.target !== `case:${manifest.caseNo}`) {
    problems.push(`${at}: the newest event is ${newest.action} of ${newest.target}, not the export of case:${manifest.caseNo}`);
    return;
  }
  if (newest.actor !== manifest.exportedBy || newest.at !== manifest.exportedAt) {
    problems.push(`${at}: the export was by ${newest.actor} at ${newest.at}; ${MANIFEST_PATH} says ${manifest.exportedBy} at ${manifest.exportedAt}`);
  }
  const ids = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
  const sameIds = (what: string, named: string[], listed: string[]) => {
    if ([...named].sort().join() !== [...listed].sort().join()) problems.push(`${at}: the export names ${what} [${named.join(', ')}], ${MANIFEST_PATH} lists [${listed.join(', ')}]`);
  };
  sameIds('recordings', ids(newest.detail.recordingIds), manifest.files.map((f) => f.recordingId));
  sameIds('deleted recordings', ids(newest.detail.deleted), manifest.deleted.map((d) => d.recordingId));
  // This export's recording events: the run of seqs just before the case event.
  const recorded = new Map<string, Event>();
  for (let i = events.length - 2, seq = newest.seq - 1; i >= 0 && events[i]!.seq === seq; i--, seq--) {
    const e = events[i]!;
    if (e.action !== 'export' || !e.target.startsWith('recording:') || e.detail.caseNo !== manifest.caseNo) break;
    recorded.set(e.target.slice('recording:'.length), e);
  }
  for (const f of manifest.files) {
    const e = recorded.get(f.recordingId);
    if (!e) problems.push(`${f.path}: no export event of recording ${f.recordingId} in ${CUSTODY_PATH}`);
    else if (e.detail.sha256 !== f.sha256 || e.detail.size !== f.size) {
      problems.push(`${f.path}: ${MANIFEST_PATH} says SHA-256 ${f.sha256} (${f.size} bytes), the export event seq ${e.seq} recorded ${String(e.detail.sha256)} (${String(e.detail.size)} bytes)`);
    }
  }
}

export async function verifyExport(zipPath: string): Promise<PackageCheck> {
  const problems: string[] = [];
  const entries = await readArchive(zipPath, problems);
  const manifest = parseDocument(MANIFEST_PATH, entries.get(MANIFEST_PATH), manifestSchema, problems);
  const custody = parseDocument(CUSTODY_PATH, entries.get(CUSTODY_PATH), z.object({ events: z.array(eventSchema) }), problems);
  if (manifest) checkFiles(entries, manifest, problems);
  if (custody) checkChain(custody.events, problems);
  if (manifest && custody) checkExportEvents(custody.events, manifest, problems);
  return {
    ok: problems.length === 0,
    problems,
    files: manifest?.files.length ?? 0,
    events: custody?.events.length ?? 0,
    custodyHead: manifest?.custodyHead ?? null,
  };
}

/** `verify-export FILE.zip`: one line per problem, then the verdict. Exit code 0 (OK), 1 (FAILED) or 2 (usage). */
export async function verifyExportCommand(args: string[], out: (line: string) => void, err: (line: string) => void): Promise<0 | 1 | 2> {
  if (args.length !== 1 || args[0]!.startsWith('-')) {
    err('usage: npm run cli -- verify-export PACKAGE.zip');
    return 2;
  }
  let result: PackageCheck;
  try {
    result = await verifyExport(args[0]!);
  } catch (e) {
    if (!(e instanceof UnreadablePackageError)) throw e;
    err(`error: ${e.message}`);
    return 2;
  }
  for (const p of result.problems) out(p);
  if (!result.ok) {
    out(`FAILED: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}`);
    return 1;
  }
  out(`OK: ${result.files} files, ${result.events} events, custody head ${result.custodyHead}`);
  return 0;
}
