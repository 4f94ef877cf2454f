import { z } from 'zod';
import type { Context } from '../../context';
import { AppError, notFound } from '../../errors';
import { createReadStream } from 'node:fs';
import { ingestOne, recordIngest, removeObjects, resolveMeta } from '../../ingest/ingest';
import { tusRoutes } from '../../ingest/tus';
import { getRecording, maySee } from '../../recordings/read';
import { fieldsSnapshot, parseIngestForm, type IngestState } from '../multipart-ingest';
import type { RouteTable } from '../route-table';
import { parse } from '../validate';

export function recordingRoutes(routes: RouteTable, ctx: Context): void {
  const { pool } = ctx;
  const parseForm = parseIngestForm(ctx);

  // All or nothing: every file of the request is recorded (new or duplicate) in one transaction, or every
  // object this request stored is removed again.
  routes.add(
    'post',
    '/api/recordings',
    'recordings.upload',
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
    'none',
  );

  // Resumable uploads end in the same path as multipart ones: the finished file is streamed into the store,
  // hashed once whole (a resumed upload may have been received by several processes).
  tusRoutes(routes, ctx, (u) => ingestOne(ctx, u.uploader, u.fields, u.filename, createReadStream(u.path)), {
    // Bad metadata is refused when the upload is created, not after gigabytes have arrived.
    precheck: async (u) => {
      await resolveMeta(pool, u.uploader, u.fields, u.filename, ctx.config.bureauTz);
    },
  });

  routes.add('post', '/api/recordings/lookup', 'recordings.upload', async (req, res) => {
    const { sha256 } = parse(z.strictObject({ sha256: z.array(z.string().regex(/^[0-9a-fA-F]{64}$/, '64 hex digits')).max(1000) }), req.body);
    const wanted = [...new Set(sha256.map((s) => s.toLowerCase()))];
    // An officer learns only about their own footage.
    const own = req.reach === 'own' ? req.user!.officerId : null;
    const { rows } = await pool.query<{ sha256: string }>(
      'SELECT sha256 FROM recordings WHERE sha256 = ANY($1) AND ($2::bigint IS NULL OR officer_id = $2) ORDER BY sha256',
      [wanted, own],
    );
    res.json({ known: rows.map((r) => r.sha256) });
  });

  routes.add('get', '/api/recordings/:id', 'recordings.read', async (req, res) => {
    const rec = await getRecording(pool, String(req.params.id));
    if (!rec) throw notFound(`recording ${req.params.id}`);
    if (!maySee(req.user!, req.reach!, rec)) throw new AppError(403, 'out_of_scope', 'that recording is outside your scope');
    const { officerId: _o, unitId: _u, ...detail } = rec;
    res.json(detail);
  });
}
