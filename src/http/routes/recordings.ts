import type { Request } from 'express';
import { z } from 'zod';
import { recordAccess } from '../../custody/access';
import type { Context } from '../../context';
import { AppError } from '../../errors';
import { createReadStream } from 'node:fs';
import { ingestOne, recordIngest, removeObjects, resolveMeta } from '../../ingest/ingest';
import { tusOptions, tusRoutes } from '../../ingest/tus';
import { RECORDING_STATUSES, recordingFor } from '../../recordings/read';
import { fieldsSnapshot, parseIngestForm, type IngestState } from '../multipart-ingest';
import type { RouteTable } from '../route-table';
import { sendObject } from '../serve-object';
import { badgeNo, holdBody, pageQuery, periodQuery, recorderSerial, text, unitCode } from '../validate';
import { inTransaction } from '../../db/pool';
import { listRecordings, type ListScope } from '../../recordings/list';
import { listDockings } from '../../recordings/dockings';
import { scopeUnitId } from '../auth';
import { markImportant, setHold } from '../../retention/marks';


/** Whose footage a list shows: an officer's own, a scoped reader's unit, or (null) the whole bureau. */
function listScope(req: Request): ListScope {
  if (req.reach === 'own') return { officerId: req.user!.officerId ?? -1 };
  const unitId = scopeUnitId(req);
  return unitId === null ? null : { unitId };
}

const gone = () => new AppError(410, 'deleted', 'the footage was deleted at the end of its retention period');

function notPlayable(status: string, reason: string | null): AppError {
  if (status === 'unplayable') return new AppError(409, 'unplayable', `the recording cannot be played: ${reason ?? 'unknown reason'}`);
  return new AppError(409, 'not_ready', `the recording is ${status}: try again when it is ready`, undefined, { 'Retry-After': '5' });
}

// The original is served as the proxy only when it is MP4 (the proxy plan's gate), but say what it is.
const contentTypeOf = (container: string) =>
  container === 'mp4' || container === 'mov' ? 'video/mp4' : container === 'm4a' ? 'audio/mp4' : 'application/octet-stream';

export function recordingRoutes(routes: RouteTable, ctx: Context): void {
  const { pool } = ctx;
  const parseForm = parseIngestForm(ctx);

  // All or nothing: every file of the request is recorded (new or duplicate) in one transaction, or every
  // object this request stored is removed again.
  routes.add(
    {
      method: 'post',
      path: '/api/recordings',
      permission: 'recordings.upload',
      summary: 'Upload footage as a multipart form (one or more files, fields first)',
      description:
        'Text fields (recorderSerial, badgeNo, startedAt, important, dockedAt, sha256) describe the file parts that follow them. All or nothing: every file is recorded (new or duplicate) or none. 201 when any file is new, 200 when all were already known.',
      raw: 'multipart',
      responses: { 200: 'json', 201: 'json' },
    },
    async (req, res) => {
      const state: IngestState = { uploader: { user: req.user!, method: 'multipart', receivedAt: new Date() }, files: [], fieldsBeforeFiles: null, inFlight: [] };
      try {
        await parseForm(req, res, state);
        if (!state.files.length) throw new AppError(400, 'no_file', 'the form has no file part named "file"', 'file');
        if (fieldsSnapshot(req.body) !== state.fieldsBeforeFiles) {
          const before = JSON.parse(state.fieldsBeforeFiles!) as Record<string, unknown>;
          const late = Object.keys(req.body ?? {}).find((k) => JSON.stringify(req.body[k]) !== JSON.stringify(before[k]));
          throw new AppError(400, 'field_after_file', `field ${late} came after a file part: send fields first`, late);
        }
      } catch (err) {
        await Promise.allSettled(state.inFlight);
        await removeObjects(ctx, state.files.map((f) => f.stored.key));
        throw err;
      }
      const recordings = await recordIngest(ctx, state.uploader, state.files);
      ctx.logger.info({ files: recordings.length, new: recordings.filter((r) => !r.duplicate).length, by: req.user!.username }, 'footage ingested');
      res.status(recordings.every((r) => r.duplicate) ? 200 : 201).json({ recordings });
    },
  );

  // Resumable uploads end in the same path as multipart ones: the finished file is streamed into the store,
  // hashed once whole (a resumed upload may have been received by several processes).
  tusRoutes(routes, ctx, (u) => ingestOne(ctx, u.uploader, u.fields, u.filename, createReadStream(u.path)), {
    // Bad metadata is refused when the upload is created, not after gigabytes have arrived.
    precheck: async (u) => {
      await resolveMeta(pool, u.uploader, u.fields, u.filename, ctx.config.bureauTz);
    },
  });

  // tus discovery: public, it tells what the server supports and nothing else.
  const discovery = tusOptions(ctx);
  routes.add(
    { method: 'options', path: '/api/uploads', permission: 'public', summary: 'tus discovery: the protocol version, extensions and largest upload this server takes', tag: 'Uploads', responses: { 204: 'tus' } },
    (req, res) => discovery(req, res, () => undefined),
  );

  const lookupBody = z.strictObject({ sha256: z.array(z.string().regex(/^[0-9a-fA-F]{64}$/, '64 hex digits')).max(1000) });
  routes.add(
    { method: 'post', path: '/api/recordings/lookup', permission: 'recordings.upload', summary: 'Which of these SHA-256 digests the server already holds (an uploader skips those)', json: lookupBody },
    async (req, res, valid) => {
      const { sha256 } = valid.body();
      const wanted = [...new Set(sha256.map((s) => s.toLowerCase()))];
      // An officer learns only about their own footage.
      const own = req.reach === 'own' ? req.user!.officerId : null;
      const { rows } = await pool.query<{ sha256: string }>(
        'SELECT sha256 FROM recordings WHERE sha256 = ANY($1) AND ($2::bigint IS NULL OR officer_id = $2) ORDER BY sha256',
        [wanted, own],
      );
      res.json({ known: rows.map((r) => r.sha256) });
    },
  );

  const visible = (req: Request) => recordingFor(pool, req.user!, req.reach!, String(req.params.id));
  // The bytes of a deleted recording are gone; its record stays.
  const stillStored = async (req: Request) => {
    const rec = await visible(req);
    if (rec.status === 'deleted') throw gone();
    return rec;
  };

  // Newest first, in the caller's scope; from/to are instants or bureau-local dates (`to` a whole day).
  const listQuery = z.strictObject({
    badgeNo: badgeNo.optional(),
    recorderSerial: recorderSerial.optional(),
    unitCode: unitCode.optional(),
    caseNo: text(64).optional(),
    status: z.enum(RECORDING_STATUSES).optional(),
    ...periodQuery(ctx.config.bureauTz),
    ...pageQuery(500, 100),
  });
  routes.add({ method: 'get', path: '/api/recordings', permission: 'recordings.read', summary: 'Search recordings in the caller’s scope, newest first', query: listQuery }, async (req, res, valid) => {
    const q = valid.query();
    res.json(await listRecordings(pool, q, listScope(req)));
  });

  // What each docking brought (the recordings of one upload account and dockedAt), newest first, from the
  // footage the caller may see: an officer's own, a unit's, or the bureau's. from/to bound dockedAt.
  const dockingQuery = z.strictObject({ badgeNo: badgeNo.optional(), ...periodQuery(ctx.config.bureauTz), ...pageQuery() });
  routes.add({ method: 'get', path: '/api/dockings', permission: 'recordings.read', summary: 'What each docking brought, newest first', query: dockingQuery }, async (req, res, valid) => {
    const q = valid.query();
    res.json(await listDockings(pool, q, listScope(req)));
  });

  const id = 'the recording id (UUID)';
  routes.add({ method: 'get', path: '/api/recordings/:id', permission: 'recordings.read', summary: 'A recording: its facts, processing state, playback, links and holds', params: { id } }, async (req, res) => {
    const { officerId: _o, unitId: _u, stored: _s, ...detail } = await visible(req);
    res.json(detail);
  });

  // What the browser plays: the original itself when it plays as it is, else the proxy the pipeline made.
  // A re-processing run keeps serving the previous proxy until its own is whole.
  routes.add(
    {
      method: 'get',
      path: '/api/recordings/:id/proxy',
      permission: 'recordings.read',
      summary: 'Play a recording: the original when the browser plays it as it is, else its proxy (Range supported)',
      description: 'Each view is on the custody record. 409 not_ready (with Retry-After) until processing made a proxy.',
      params: { id },
      responses: { 200: 'media', 206: 'media' },
    },
    async (req, res) => {
      const rec = await stillStored(req);
      const { proxy, objectKey } = rec.stored;
      if (!proxy) throw notPlayable(rec.status, rec.statusReason);
      const original = proxy.kind === 'original';
      await recordAccess(pool, req.user!.username, rec.id, 'view', { via: 'proxy' }, ctx.config.custodyViewWindowMs);
      await sendObject(req, res, ctx.store, original ? objectKey : proxy.key, {
        contentType: original ? contentTypeOf(rec.container) : 'video/mp4',
        size: original ? rec.size : proxy.size,
        etag: original ? rec.sha256 : `${rec.sha256.slice(0, 16)}-${proxy.key.slice(proxy.key.lastIndexOf('/') + 1)}`,
      });
    },
  );

  // The bytes as stored, for evidence: Range for resumed downloads, the SHA-256 to check them against.
  routes.add(
    {
      method: 'get',
      path: '/api/recordings/:id/original',
      permission: 'recordings.read',
      summary: 'Download the original as stored (Range supported; X-Content-SHA256 to check it against)',
      description: 'Each download is on the custody record.',
      params: { id },
      responses: { 200: 'media', 206: 'media' },
    },
    async (req, res) => {
      const rec = await stillStored(req);
      await recordAccess(pool, req.user!.username, rec.id, 'download', { sha256: rec.sha256 }, ctx.config.custodyViewWindowMs);
      await sendObject(req, res, ctx.store, rec.stored.objectKey, {
        contentType: contentTypeOf(rec.container),
        size: rec.size,
        etag: rec.sha256,
        downloadName: rec.filename,
        headers: { 'X-Content-SHA256': rec.sha256 },
      });
    },
  );

  // The poster frame, or with ?kind=sprite the scrubbing sheet (its geometry is in the recording's `playback`).
  const thumbnailQuery = z.strictObject({ kind: z.enum(['poster', 'sprite']).default('poster') });
  routes.add(
    {
      method: 'get',
      path: '/api/recordings/:id/thumbnail',
      permission: 'recordings.read',
      summary: 'The poster frame, or with kind=sprite the scrubbing sheet (JPEG)',
      params: { id },
      query: thumbnailQuery,
      responses: { 200: 'jpeg', 206: 'jpeg' },
    },
    async (req, res, valid) => {
      const { kind } = valid.query();
      const rec = await stillStored(req);
      const image = kind === 'sprite' ? rec.stored.thumbnails?.sprite : rec.stored.thumbnails?.poster;
      if (!image) {
        if (rec.status === 'ready' || rec.status === 'unplayable') {
          throw new AppError(404, 'no_thumbnail', rec.stored.thumbnails?.error ?? `recording ${rec.id} has no ${kind} image (${rec.statusReason ?? (rec.media ? 'no video stream' : rec.status)})`);
        }
        throw notPlayable(rec.status, rec.statusReason);
      }
      await recordAccess(pool, req.user!.username, rec.id, 'view', { via: kind }, ctx.config.custodyViewWindowMs);
      await sendObject(req, res, ctx.store, image.key, { contentType: 'image/jpeg', size: image.size, etag: image.key.slice(image.key.lastIndexOf('/') + 1) });
    },
  );

  // A reviewer's or supervisor's mark keeps unlinked footage for the important period (REGULATION.md).
  const importantBody = z.strictObject({ important: z.boolean(), reason: text(500) });
  routes.add(
    { method: 'post', path: '/api/recordings/:id/important', permission: 'links.write', summary: 'Mark a recording important (kept for the important period) or unmark it, with a reason', params: { id }, json: importantBody },
    async (req, res, valid) => {
      const input = valid.body();
      const rec = await recordingFor(pool, req.user!, req.reach!, String(req.params.id), undefined, 'write');
      if (rec.status === 'deleted') throw gone();
      const result = await inTransaction(pool, (c) => markImportant(c, rec.id, input.important, req.user!.username, input.reason, ctx.config.retention));
      if (!result) throw gone();
      const { officerId: _o, unitId: _u, stored: _s, ...detail } = await visible(req);
      res.json(detail);
    },
  );

  // Legal holds are the admin's: while one is on, the retention run deletes nothing it covers.
  routes.add(
    { method: 'post', path: '/api/recordings/:id/hold', permission: 'holds.write', summary: 'Set or lift a legal hold on a recording, with a reason', params: { id }, json: holdBody },
    async (req, res, valid) => {
      const input = valid.body();
      const rec = await visible(req);
      await inTransaction(pool, (c) => setHold(c, { recordingId: rec.id }, input.on, req.user!.username, input.reason));
      const { officerId: _o, unitId: _u, stored: _s, ...detail } = await visible(req);
      res.json(detail);
    },
  );
}
