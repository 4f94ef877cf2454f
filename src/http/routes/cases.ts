import type { Request } from 'express';
import { z } from 'zod';
import type { Context } from '../../context';
import { ACTIVITY_TYPES, CASE_KINDS, CASE_STATUSES, getCase, upsertCase } from '../../cases/cases';
import { inTransaction, type Db } from '../../db/pool';
import { AppError, notFound, unprocessable } from '../../errors';
import { enqueueRelink } from '../../cases/autolink';
import { importCases } from '../../cases/import';
import { listCases } from '../../cases/list';
import { linkByHand, unlinkByHand } from '../../cases/links';
import { recordingFor } from '../../recordings/read';
import { setHold } from '../../retention/marks';
import { inspectsCase } from '../../compliance/inspector-access';
import { scopeUnitId } from '../auth';
import type { RouteTable } from '../route-table';
import { badgeNo, csvText, holdBody, instant, pageQuery, parse, periodQuery, text, unitCode } from '../validate';
import { UUID } from '../../directory/identifiers';

// Case numbers come from the penalty-case system as written, e.g. 某交执罚〔2023〕123号.
const caseNo = text(64);

/**
 * The case named by `:caseNo` (or `caseNo`), if the caller's reach covers its unit (or, for the case page, they
 * inspect a spot-check item of it): 404 when there is none, 403 outside scope.
 */
export async function caseFor(db: Db, req: Request, caseNo = String(req.params.caseNo), access: 'page' | 'act' = 'act') {
  const found = await getCase(db, caseNo);
  if (!found) throw notFound(`case ${caseNo}`);
  const scope = scopeUnitId(req);
  // The inspector's exception (API.md) opens the case page only: not export, custody, links or holds.
  if (scope !== null && scope !== found.unitId && !(access === 'page' && (await inspectsCase(db, req.user!.username, found.caseNo)))) {
    throw new AppError(403, 'out_of_scope', 'that case belongs to another unit');
  }
  return found;
}

export function caseRoutes(routes: RouteTable, ctx: Context): void {
  const { pool } = ctx;
  const at = instant(ctx.config.bureauTz);
  const body = z.strictObject({
    title: text(200).optional(),
    kind: z.enum(CASE_KINDS),
    status: z.enum(CASE_STATUSES),
    unitCode,
    activities: z
      .array(
        z.strictObject({
          key: text(64),
          type: z.enum(ACTIVITY_TYPES),
          badgeNos: z.array(badgeNo).min(1).max(50),
          startedAt: at,
          endedAt: at,
          location: text(200).optional(),
        }),
      )
      .max(500),
  });

  // The penalty-case system's export, one activity a row (UTF-8, or GB18030 as Excel saves it).
  routes.add(
    {
      method: 'post',
      path: '/api/cases/import',
      permission: 'cases.write',
      summary: 'Import the penalty-case system’s export as CSV, one activity a row',
      description: 'UTF-8 or GB18030. Answers what was created and updated, and the rows it refused with their reasons.',
      raw: 'csv',
    },
    async (req, res) => {
      const result = await importCases(pool, csvText(req.body), ctx.config.bureauTz);
      ctx.logger.info({ created: result.created, updated: result.updated, errors: result.errors.length, by: req.user!.username }, 'cases imported');
      res.json(result);
    },
  );

  // Idempotent: the same body twice leaves the same case (200 the second time).
  routes.add(
    {
      method: 'put',
      path: '/api/cases/:caseNo',
      permission: 'cases.write',
      summary: 'Create or replace a case with its activities (idempotent)',
      description: 'The case’s footage is linked again from its activities, in the background. 201 when the case is new, 200 when it was replaced.',
      params: { caseNo },
      json: body,
      responses: { 200: 'json', 201: 'json' },
    },
    async (req, res, valid) => {
      const no = parse(caseNo, req.params.caseNo, 'query');
      const input = valid.body();
      const result = await inTransaction(pool, async (client) => {
        const r = await upsertCase(client, no, input);
        await enqueueRelink(client, r.caseId);
        return r;
      });
      const detail = await getCase(pool, no);
      const { id: _i, unitId: _u, ...out } = detail!;
      res.status(result.created ? 201 : 200).json({ ...out, warnings: result.warnings });
    },
  );

  const caseInScope = (req: Request) => caseFor(pool, req);

  // The cases the caller may open (as caseFor decides: their unit's, and those they inspect an item of), newest
  // first; q matches the case number or title, from/to keep cases with an activity in the period.
  const listQuery = z.strictObject({ q: text(64).optional(), badgeNo: badgeNo.optional(), ...periodQuery(ctx.config.bureauTz), ...pageQuery() });
  routes.add({ method: 'get', path: '/api/cases', permission: 'cases.read', summary: 'Search cases, newest first', query: listQuery }, async (req, res, valid) => {
    const q = valid.query();
    res.json(await listCases(pool, q, { unitId: scopeUnitId(req), username: req.user!.username }));
  });

  routes.add({ method: 'get', path: '/api/cases/:caseNo', permission: 'cases.read', summary: 'A case with its activities, linked footage and holds', params: { caseNo } }, async (req, res) => {
    const { id: _i, unitId: _u, ...out } = await caseFor(pool, req, String(req.params.caseNo), 'page');
    res.json(out);
  });

  // By hand, with a reason, on the custody record; the recording must be one the caller may see.
  const recordingInScope = (req: Request, id: string) =>
    recordingFor(pool, req.user!, req.reach!, id, unprocessable('unknown_recording', `no recording ${id}`, 'recordingId'), 'write');
  const reason = text(500);
  const linkBody = z.strictObject({ recordingId: z.uuid('a recording id'), reason });

  routes.add(
    {
      method: 'post',
      path: '/api/cases/:caseNo/links',
      permission: 'links.write',
      summary: 'Link a recording to a case by hand, with a reason',
      params: { caseNo },
      json: linkBody,
      responses: { 200: 'json', 201: 'json' },
    },
    async (req, res, valid) => {
      const input = valid.body();
      const found = await caseInScope(req);
      await recordingInScope(req, input.recordingId);
      const made = await inTransaction(pool, (c) => linkByHand(c, { caseId: found.id, caseNo: found.caseNo, recordingId: input.recordingId, by: req.user!.username, reason: input.reason }, ctx.config.retention));
      res.status(made ? 201 : 200).json({ caseNo: found.caseNo, recordingId: input.recordingId, source: 'manual' });
    },
  );

  // A hold on a case holds all of its footage, linked now or later, until it is lifted.
  routes.add(
    { method: 'post', path: '/api/cases/:caseNo/hold', permission: 'holds.write', summary: 'Set or lift a legal hold on a case and all its footage', params: { caseNo }, json: holdBody },
    async (req, res, valid) => {
      const input = valid.body();
      const found = await caseInScope(req);
      await inTransaction(pool, (c) => setHold(c, { caseId: found.id, caseNo: found.caseNo }, input.on, req.user!.username, input.reason));
      const { id: _i, unitId: _u, ...out } = (await getCase(pool, found.caseNo))!;
      res.json(out);
    },
  );

  const unlinkQuery = z.strictObject({ reason });
  routes.add(
    {
      method: 'delete',
      path: '/api/cases/:caseNo/links/:recordingId',
      permission: 'links.write',
      summary: 'Remove a link made by hand, with a reason',
      params: { caseNo, recordingId: 'a recording id (UUID)' },
      query: unlinkQuery,
      responses: { 204: 'empty' },
    },
    async (req, res, valid) => {
      const q = valid.query();
      const found = await caseInScope(req);
      const id = String(req.params.recordingId);
      if (!UUID.test(id)) throw notFound(`recording ${id}`);
      await recordingInScope(req, id);
      const removed = await inTransaction(pool, (c) => unlinkByHand(c, { caseId: found.id, caseNo: found.caseNo, recordingId: id, by: req.user!.username, reason: q.reason }, ctx.config.retention));
      if (!removed) throw notFound(`a link of recording ${id} to case ${found.caseNo}`);
      res.status(204).end();
    },
  );
}
