import { randomUUID } from 'node:crypto';
import { finished, type Readable } from 'node:stream';
import type { Context } from '../context';
import { appendCustody, lockCustody } from '../custody/log';
import type { Db, Pool } from '../db/pool';
import { inTransaction } from '../db/pool';
import { BADGE_NO, RECORDER_SERIAL } from '../directory/identifiers';
import { AppError } from '../errors';
import { enqueue } from '../queue/outbox';
import { enqueueLink } from '../cases/autolink';
import { jobId } from '../queue/jobs';
import { iso, parseInstant } from '../time';
import { retainUntil, type RetentionPolicy } from '../retention/policy';
import { originalKey } from '../../storage/keys';
import type { ObjectStore } from '../../storage/object-store';
import { filenameProblem, parseRecorderFileName } from './filename';
import { InspectingStream } from './inspect';
import { countIngested } from '../metrics/record';
import type { IngestFields, IngestedRecording, Uploader } from './types';

/** A file's metadata, checked and resolved against the directory, before any of its bytes are stored. */
export interface ResolvedMeta {
  filename: string;
  recorderId: number;
  recorderSerial: string;
  officerId: number;
  badgeNo: string;
  startedAt: Date;
  seq: number | null;
  important: boolean;
  dockedAt: Date;
  expectedSha256: string | null;
}

export interface StoredOriginal {
  id: string;
  key: string;
  sha256: string;
  size: number;
  container: string;
}

// Recorder clocks drift and zones get confused; a start more than a day ahead is a mistake, not footage.
const FUTURE_SLACK_MS = 24 * 3600_000;

function fileError(status: number, code: string, filename: string, what: string, field?: string): AppError {
  return new AppError(status, code, `file "${filename}": ${what}`, field);
}

function parseFlag(value: string): boolean | null {
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  return null;
}

/**
 * Checks one file's metadata — the fields, or failing those its name — and resolves the recorder and the
 * officer. Throws a problem naming the file and the field at fault. Nothing is written.
 */
export async function resolveMeta(db: Db, uploader: Uploader, fields: IngestFields, filename: string, zone: string): Promise<ResolvedMeta> {
  const bad = filenameProblem(filename);
  if (bad) throw new AppError(400, 'invalid_filename', bad, 'filename');
  const fromName = parseRecorderFileName(filename, zone);

  const recorderSerial = fields.recorderSerial?.trim() || fromName.recorderSerial;
  if (fields.recorderSerial !== undefined && !RECORDER_SERIAL.test(fields.recorderSerial.trim())) {
    throw fileError(400, 'invalid_field', filename, 'recorderSerial is not a device serial', 'recorderSerial');
  }
  if (!recorderSerial) {
    throw fileError(400, 'missing_field', filename, 'the recorder is unknown: send recorderSerial or keep the recorder\'s file name', 'recorderSerial');
  }
  const badgeField = fields.badgeNo?.trim();
  if (badgeField !== undefined && !BADGE_NO.test(badgeField)) throw fileError(400, 'invalid_field', filename, 'badgeNo is not a badge number', 'badgeNo');

  let startedAt = fromName.startedAt;
  if (fields.startedAt !== undefined) {
    const parsed = parseInstant(fields.startedAt, zone);
    if (!parsed) throw fileError(400, 'invalid_field', filename, 'startedAt is not an ISO 8601 time', 'startedAt');
    startedAt = parsed;
  }
  if (!startedAt) throw fileError(400, 'missing_field', filename, 'the start time is unknown: send startedAt or keep the recorder\'s file name', 'startedAt');
  if (startedAt.getTime() > uploader.receivedAt.getTime() + FUTURE_SLACK_MS) {
    throw fileError(400, 'invalid_field', filename, `startedAt ${startedAt.toISOString()} is in the future`, 'startedAt');
  }

  let important = fromName.important;
  if (fields.important !== undefined) {
    const flag = parseFlag(fields.important);
    if (flag === null) throw fileError(400, 'invalid_field', filename, 'important must be true or false', 'important');
    important = flag;
  }

  let expectedSha256: string | null = null;
  if (fields.sha256 !== undefined) {
    if (!/^[0-9a-fA-F]{64}$/.test(fields.sha256.trim())) throw fileError(400, 'invalid_field', filename, 'sha256 must be 64 hex digits', 'sha256');
    expectedSha256 = fields.sha256.trim().toLowerCase();
  }

  // Only a docking station knows when the recorder was connected; anyone else's claim is ignored.
  let dockedAt = uploader.receivedAt;
  if (uploader.user.role === 'station' && fields.dockedAt !== undefined) {
    const parsed = parseInstant(fields.dockedAt, zone);
    if (!parsed) throw fileError(400, 'invalid_field', filename, 'dockedAt is not an ISO 8601 time', 'dockedAt');
    if (parsed.getTime() > uploader.receivedAt.getTime() + FUTURE_SLACK_MS) {
      throw fileError(400, 'invalid_field', filename, 'dockedAt is in the future', 'dockedAt');
    }
    dockedAt = parsed;
  }

  // Case-insensitive: some vendors write names in lower case (dsj0001_…); an exact match wins.
  const recorder = await db.query<{ id: number; serial: string }>(
    'SELECT id, serial FROM recorders WHERE lower(serial) = lower($1) ORDER BY serial = $1 DESC LIMIT 1',
    [recorderSerial],
  );
  if (!recorder.rows[0]) throw fileError(422, 'unknown_recorder', filename, `no recorder with serial ${recorderSerial}`, 'recorderSerial');
  const recorderId = recorder.rows[0].id;

  // The badge named, or else whoever held the recorder when the recording began. A recorder held by
  // someone else at that time is accepted as named: the own-recorder rule (R4) reports it, ingest does not.
  const badgeNo = badgeField || fromName.badgeNo;
  const officer = badgeNo
    ? await db.query<{ id: number; badge_no: string }>('SELECT id, badge_no FROM officers WHERE badge_no = $1', [badgeNo])
    : await db.query<{ id: number; badge_no: string }>(
        `SELECT o.id, o.badge_no FROM recorder_assignments ra JOIN officers o ON o.id = ra.officer_id
          WHERE ra.recorder_id = $1 AND ra.valid @> $2::timestamptz`,
        [recorderId, startedAt],
      );
  if (!officer.rows[0]) {
    throw fileError(
      422,
      'unknown_officer',
      filename,
      badgeNo ? `no officer with badge number ${badgeNo}` : `recorder ${recorderSerial} was assigned to nobody at ${startedAt.toISOString()}: send badgeNo`,
      'badgeNo',
    );
  }
  if (uploader.user.role === 'officer' && officer.rows[0].id !== uploader.user.officerId) {
    throw fileError(403, 'not_own_footage', filename, 'an officer uploads their own footage only', 'badgeNo');
  }
  return {
    filename,
    recorderId,
    recorderSerial: recorder.rows[0].serial,
    officerId: officer.rows[0].id,
    badgeNo: officer.rows[0].badge_no,
    startedAt,
    seq: fromName.seq ?? null,
    important,
    dockedAt,
    expectedSha256,
  };
}

/**
 * Streams one file into the store under a fresh recording id while hashing it, checking its content and
 * its size. On any failure nothing is left in the store (the put is atomic; a hash mismatch removes it).
 */
export async function storeOriginal(
  store: ObjectStore,
  source: Readable,
  opts: { filename: string; maxBytes: number; expectedSha256: string | null },
): Promise<StoredOriginal> {
  const id = randomUUID();
  const key = originalKey(id);
  const inspector = new InspectingStream(opts.filename, opts.maxBytes);
  // pipe() passes on neither errors nor a premature close: a client that disconnected (even before this
  // began: the source may already be destroyed) must fail the put, not stall it with a file open.
  const stopWatching = finished(source, (err) => {
    if (err && !inspector.writableFinished) inspector.destroy(err);
  });
  // A refusal can come before the store has attached to the stream; it is reported through `failure`.
  inspector.on('error', () => undefined);
  source.pipe(inspector);
  try {
    await store.put(key, inspector);
  } catch (err) {
    source.unpipe(inspector);
    source.resume(); // drain whatever is left of this part so the request can finish
    throw inspector.failure ?? err;
  } finally {
    stopWatching();
  }
  const sha256 = inspector.sha256;
  if (opts.expectedSha256 && opts.expectedSha256 !== sha256) {
    await store.remove(key);
    throw fileError(422, 'sha256_mismatch', opts.filename, `its SHA-256 is ${sha256}, not the ${opts.expectedSha256} sent`, 'sha256');
  }
  return { id, key, sha256, size: inspector.size, container: inspector.media!.container };
}

const SUMMARY = `r.id, r.sha256, r.size, r.filename, r.status, rc.serial AS "recorderSerial", o.badge_no AS "badgeNo",
  r.started_at AS "startedAt", r.important
  FROM recordings r JOIN recorders rc ON rc.id = r.recorder_id JOIN officers o ON o.id = r.officer_id`;

async function summaryOf(db: Db, where: string, value: string, duplicate: boolean): Promise<IngestedRecording> {
  const { rows } = await db.query<Omit<IngestedRecording, 'startedAt' | 'duplicate'> & { startedAt: Date }>(`SELECT ${SUMMARY} WHERE ${where} = $1`, [value]);
  const row = rows[0]!;
  return { ...row, startedAt: iso(row.startedAt)!, duplicate };
}

/**
 * Records stored files as recordings in one transaction: a row, a custody event and the outbox row for
 * processing each. Content already stored (by anyone, or earlier in the same request) becomes a duplicate
 * answer; its freshly stored copy is returned in `orphans` for the caller to remove after commit.
 */
async function commitIngest(
  pool: Pool,
  uploader: Uploader,
  files: { meta: ResolvedMeta; stored: StoredOriginal }[],
  retention: RetentionPolicy,
): Promise<{ recordings: IngestedRecording[]; orphans: string[] }> {
  return inTransaction(pool, async (client) => {
    // The custody lock first, before any row lock: two requests inserting the same files in another order
    // would otherwise each hold what the other waits for.
    await lockCustody(client);
    const recordings: IngestedRecording[] = [];
    const orphans: string[] = [];
    for (const { meta, stored } of files) {
      // In no case yet: the link job recomputes it if the footage belongs to one.
      const retainUntilAtIngest = retainUntil({ dockedAt: meta.dockedAt, important: meta.important, cases: [] }, retention);
      // The unique sha256 decides between two uploads of the same content racing: the second waits for the
      // first to commit and then finds its row.
      const inserted = await client.query(
        `INSERT INTO recordings (id, sha256, size, filename, object_key, container, recorder_id, officer_id, started_at, seq,
            important, docked_at, uploaded_by, upload_method, retain_until)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT (sha256) DO NOTHING RETURNING id`,
        [
          stored.id, stored.sha256, stored.size, meta.filename, stored.key, stored.container, meta.recorderId, meta.officerId,
          meta.startedAt, meta.seq, meta.important, meta.dockedAt, uploader.user.id, uploader.method, retainUntilAtIngest,
        ],
      );
      const detail = {
        filename: meta.filename,
        sha256: stored.sha256,
        size: stored.size,
        recorderSerial: meta.recorderSerial,
        badgeNo: meta.badgeNo,
        dockedAt: meta.dockedAt.toISOString(),
        method: uploader.method,
        retainUntil: iso(retainUntilAtIngest),
      };
      if (inserted.rowCount) {
        await appendCustody(client, { actor: uploader.user.username, action: 'ingest', target: `recording:${stored.id}`, detail });
        await enqueue(client, 'probe', jobId('probe', stored.id), { recordingId: stored.id });
        // Linked at once as a point at its start; again when the probe knows its end.
        await enqueueLink(client, stored.id);
        recordings.push(await summaryOf(client, 'r.id', stored.id, false));
      } else {
        const existing = await summaryOf(client, 'r.sha256', stored.sha256, true);
        await appendCustody(client, { actor: uploader.user.username, action: 'ingest_duplicate', target: `recording:${existing.id}`, detail });
        // An officer whose upload matches another officer's footage learns that it is stored, not whose it is.
        const foreign = uploader.user.role === 'officer' && existing.badgeNo !== meta.badgeNo;
        recordings.push(
          foreign
            ? { ...existing, filename: meta.filename, recorderSerial: meta.recorderSerial, badgeNo: meta.badgeNo, startedAt: meta.startedAt.toISOString(), important: meta.important }
            : existing,
        );
        orphans.push(stored.key);
      }
    }
    return { recordings, orphans };
  });
}

/**
 * Records stored files (commitIngest), then tidies the store: the copies that turned out to be duplicates
 * after commit, or every object of the request when the commit fails.
 */
export async function recordIngest(
  ctx: Pick<Context, 'pool' | 'store' | 'logger' | 'config'>,
  uploader: Uploader,
  files: { meta: ResolvedMeta; stored: StoredOriginal }[],
): Promise<IngestedRecording[]> {
  let result;
  try {
    result = await commitIngest(ctx.pool, uploader, files, ctx.config.retention);
  } catch (err) {
    await removeObjects(ctx, files.map((f) => f.stored.key));
    throw err;
  }
  await removeObjects(ctx, result.orphans);
  countIngested(uploader.method, result.recordings);
  return result.recordings;
}

/**
 * Removes objects that no recording row points to. A failure is logged at error level, not thrown: the
 * request's answer stands, and the object is an orphan until removed by hand (no orphan sweep exists yet).
 */
export async function removeObjects(ctx: Pick<Context, 'store' | 'logger'>, keys: string[]): Promise<void> {
  for (const key of keys) {
    await ctx.store.remove(key).catch((err: unknown) => ctx.logger.error({ err, key }, 'could not remove an unreferenced object'));
  }
}

/** One file from start to finish, for callers that have a whole file in hand (a finished tus upload). */
export async function ingestOne(ctx: Context, uploader: Uploader, fields: IngestFields, filename: string, body: Readable): Promise<IngestedRecording> {
  let meta: ResolvedMeta;
  try {
    meta = await resolveMeta(ctx.pool, uploader, fields, filename, ctx.config.bureauTz);
  } catch (err) {
    body.destroy();
    throw err;
  }
  let stored: StoredOriginal;
  try {
    stored = await storeOriginal(ctx.store, body, { filename, maxBytes: ctx.config.upload.maxBytes, expectedSha256: meta.expectedSha256 });
  } catch (err) {
    body.destroy(); // a file source need not be read to its end once the file is refused
    throw err;
  }
  return (await recordIngest(ctx, uploader, [{ meta, stored }]))[0]!;
}
