import { z } from 'zod';
import type { Context } from '../../context';
import { inTransaction } from '../../db/pool';
import { AppError, notFound } from '../../errors';
import { ROLES } from '../../auth/roles';
import { importDirectory } from '../../directory/import';
import { createOfficer, getOfficer, listOfficers, updateOfficer } from '../../directory/officers';
import { assignRecorder, createRecorder, getRecorder, listRecorders, recorderUsedByUnit, updateRecorder } from '../../directory/recorders';
import { createUnit, listUnits, unitIdOf, updateUnit } from '../../directory/units';
import { createUser, issueMachineToken, listUsers, revokeMachineTokens, updateUser } from '../../directory/users';
import { scopeUnitId } from '../auth';
import type { RouteTable } from '../route-table';
import { badgeNo, csvText, instant, recorderSerial, text, unitCode, username } from '../validate';

export function directoryRoutes(routes: RouteTable, ctx: Context): void {
  const { pool, config } = ctx;
  const at = instant(config.bureauTz);

  // Units
  routes.add({ method: 'get', path: '/api/units', permission: 'directory.read', summary: 'List units (a scoped reader sees their own)' }, async (req, res) => {
    res.json({ items: await listUnits(pool, scopeUnitId(req)) });
  });
  const unitBody = z.strictObject({ code: unitCode, name: text(100) });
  routes.add({ method: 'post', path: '/api/units', permission: 'directory.write', summary: 'Create a unit', json: unitBody, responses: { 201: 'json' } }, async (req, res, valid) => {
    const body = valid.body();
    res.status(201).json(await createUnit(pool, body));
  });
  const unitPatch = z.strictObject({ name: text(100).optional(), active: z.boolean().optional() });
  routes.add({ method: 'patch', path: '/api/units/:code', permission: 'directory.write', summary: 'Rename, deactivate or reactivate a unit', params: { code: unitCode }, json: unitPatch }, async (req, res, valid) => {
    const body = valid.body();
    res.json(await updateUnit(pool, String(req.params.code), body));
  });

  // Officers
  const officersQuery = z.object({ unitCode: unitCode.optional() });
  routes.add({ method: 'get', path: '/api/officers', permission: 'directory.read', summary: 'List officers, of one unit or of the caller’s scope', query: officersQuery }, async (req, res, valid) => {
    const query = valid.query();
    const scope = scopeUnitId(req);
    const wanted = query.unitCode ? await unitIdOf(pool, query.unitCode) : null;
    if (scope !== null && wanted !== null && wanted !== scope) throw new AppError(403, 'out_of_scope', 'that unit is outside your scope');
    res.json({ items: await listOfficers(pool, wanted ?? scope) });
  });
  routes.add({ method: 'get', path: '/api/officers/:badgeNo', permission: 'directory.read', summary: 'An officer with their unit history and recorders', params: { badgeNo } }, async (req, res) => {
    const officer = await getOfficer(pool, String(req.params.badgeNo));
    if (!officer) throw notFound(`officer ${req.params.badgeNo}`);
    const scope = scopeUnitId(req);
    if (scope !== null && req.user!.unitCode && !officer.units.some((u) => u.unitCode === req.user!.unitCode)) {
      throw new AppError(403, 'out_of_scope', 'that officer has never been in your unit');
    }
    res.json(officer);
  });
  const officerBody = z.strictObject({ badgeNo, name: text(100), unitCode, from: at.optional() });
  routes.add({ method: 'post', path: '/api/officers', permission: 'directory.write', summary: 'Create an officer in a unit (from a time, default always)', json: officerBody, responses: { 201: 'json' } }, async (req, res, valid) => {
    const body = valid.body();
    res.status(201).json(await inTransaction(pool, (c) => createOfficer(c, { ...body, from: body.from ?? null })));
  });
  const officerPatch = z.strictObject({ name: text(100).optional(), unitCode: unitCode.optional(), from: at.optional(), active: z.boolean().optional() });
  routes.add({ method: 'patch', path: '/api/officers/:badgeNo', permission: 'directory.write', summary: 'Rename, move to another unit (from a time) or deactivate an officer', params: { badgeNo }, json: officerPatch }, async (req, res, valid) => {
    const body = valid.body();
    if (body.from && !body.unitCode) throw new AppError(400, 'invalid_field', 'from goes with unitCode', 'from');
    const { officer } = await inTransaction(pool, (c) => updateOfficer(c, String(req.params.badgeNo), body));
    res.json(officer);
  });

  // Recorders
  routes.add({ method: 'get', path: '/api/recorders', permission: 'directory.read', summary: 'List recorders (a scoped reader: those used in their unit)' }, async (req, res) => {
    res.json({ items: await listRecorders(pool, scopeUnitId(req)) });
  });
  routes.add({ method: 'get', path: '/api/recorders/:serial', permission: 'directory.read', summary: 'A recorder with its assignment history', params: { serial: recorderSerial } }, async (req, res) => {
    const serial = String(req.params.serial);
    const recorder = await getRecorder(pool, serial);
    if (!recorder) throw notFound(`recorder ${serial}`);
    const scope = scopeUnitId(req);
    if (scope !== null && !(await recorderUsedByUnit(pool, serial, scope))) {
      throw new AppError(403, 'out_of_scope', 'that recorder was never used in your unit');
    }
    res.json(recorder);
  });
  const recorderBody = z.strictObject({ serial: recorderSerial, model: text(100).optional() });
  routes.add({ method: 'post', path: '/api/recorders', permission: 'directory.write', summary: 'Register a recorder', json: recorderBody, responses: { 201: 'json' } }, async (req, res, valid) => {
    const body = valid.body();
    res.status(201).json(await createRecorder(pool, body));
  });
  const recorderPatch = z.strictObject({ active: z.boolean().optional(), note: text(500).nullable().optional(), model: text(100).nullable().optional() });
  routes.add({ method: 'patch', path: '/api/recorders/:serial', permission: 'directory.write', summary: 'Change a recorder’s model or note, or take it out of service', params: { serial: recorderSerial }, json: recorderPatch }, async (req, res, valid) => {
    const body = valid.body();
    res.json(await inTransaction(pool, (c) => updateRecorder(c, String(req.params.serial), body)));
  });
  const assignmentBody = z.strictObject({ badgeNo, from: at.optional() });
  routes.add(
    { method: 'post', path: '/api/recorders/:serial/assignments', permission: 'directory.write', summary: 'Assign a recorder to an officer from a time (default now)', params: { serial: recorderSerial }, json: assignmentBody, responses: { 201: 'json' } },
    async (req, res, valid) => {
      const body = valid.body();
      const recorder = await inTransaction(pool, (c) => assignRecorder(c, String(req.params.serial), { badgeNo: body.badgeNo, from: body.from ?? 'now' }));
      res.status(201).json(recorder);
    },
  );

  // Users and their machine tokens
  const role = z.enum(ROLES);
  routes.add({ method: 'get', path: '/api/users', permission: 'directory.write', summary: 'List user accounts' }, async (_req, res) => {
    res.json({ items: await listUsers(pool) });
  });
  const userBody = z.strictObject({ username, password: z.string().max(256), role, badgeNo: badgeNo.optional(), unitCode: unitCode.optional() });
  routes.add({ method: 'post', path: '/api/users', permission: 'directory.write', summary: 'Create a user account with a role', json: userBody, responses: { 201: 'json' } }, async (req, res, valid) => {
    // The admin knows the password they set: its owner changes it first (a machine account is not asked).
    const body = valid.body();
    res.status(201).json(await createUser(pool, { ...body, mustChangePassword: true }, config.auth.passwordMinLength));
  });
  const userPatch = z.strictObject({
    active: z.boolean().optional(),
    role: role.optional(),
    unitCode: unitCode.nullable().optional(),
    badgeNo: badgeNo.nullable().optional(),
    password: z.string().max(256).optional(),
  });
  routes.add({ method: 'patch', path: '/api/users/:username', permission: 'directory.write', summary: 'Change a user’s role, unit, badge or password, or deactivate them', params: { username }, json: userPatch }, async (req, res, valid) => {
    const body = valid.body();
    const change = { ...body, mustChangePassword: body.password !== undefined };
    res.json(await inTransaction(pool, (c) => updateUser(c, String(req.params.username), change, config.auth.passwordMinLength)));
  });
  routes.add(
    {
      method: 'post',
      path: '/api/users/:username/tokens',
      permission: 'directory.write',
      summary: 'Issue an API token for a machine account (station or integration)',
      description: 'The token is shown once, in this answer; it does not expire until revoked.',
      params: { username },
      responses: { 201: 'json' },
    },
    async (req, res) => {
      const { username: name, token, tokenId } = await issueMachineToken(pool, String(req.params.username));
      ctx.logger.info({ username: name, tokenId, by: req.user!.username }, 'token issued');
      res.status(201).json({ token, username: name });
    },
  );
  routes.add({ method: 'delete', path: '/api/users/:username/tokens', permission: 'directory.write', summary: 'Revoke every API token of a machine account', params: { username } }, async (req, res) => {
    const { username: name, revoked } = await revokeMachineTokens(pool, String(req.params.username));
    ctx.logger.info({ username: name, revoked, by: req.user!.username }, 'tokens revoked');
    res.json({ revoked });
  });

  // The bureau's spreadsheet
  routes.add(
    {
      method: 'post',
      path: '/api/directory/import',
      permission: 'directory.write',
      summary: 'Import the bureau’s directory spreadsheet (units, officers, recorders) as CSV',
      description: 'UTF-8 or GB18030 (as Excel saves it). Answers what was created and updated, and the rows it refused with their reasons.',
      raw: 'csv',
    },
    async (req, res) => {
      const result = await importDirectory(pool, csvText(req.body), config.bureauTz);
      ctx.logger.info({ created: result.created, updated: result.updated, errors: result.errors.length, by: req.user!.username }, 'directory imported');
      res.json(result);
    },
  );
}
