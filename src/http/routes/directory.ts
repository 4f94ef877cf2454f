import { z } from 'zod';
import type { Context } from '../../context';
import { inTransaction } from '../../db/pool';
import { AppError, notFound } from '../../errors';
import { ROLES } from '../../auth/roles';
import { issueToken, revokeUserTokens } from '../../auth/tokens';
import { importDirectory } from '../../directory/import';
import { createOfficer, getOfficer, listOfficers, updateOfficer } from '../../directory/officers';
import { assignRecorder, createRecorder, getRecorder, listRecorders, recorderUsedByUnit, updateRecorder } from '../../directory/recorders';
import { createUnit, listUnits, unitIdOf, updateUnit } from '../../directory/units';
import { assertMachineAccount, createUser, getUserByUsername, listUsers, updateUser } from '../../directory/users';
import { scopeUnitId } from '../auth';
import type { RouteTable } from '../route-table';
import { badgeNo, csvText, instant, parse, recorderSerial, text, unitCode, username } from '../validate';

export function directoryRoutes(routes: RouteTable, ctx: Context): void {
  const { pool, config } = ctx;
  const at = instant(config.bureauTz);

  // Units
  routes.add('get', '/api/units', 'directory.read', async (req, res) => {
    res.json({ items: await listUnits(pool, scopeUnitId(req)) });
  });
  routes.add('post', '/api/units', 'directory.write', async (req, res) => {
    const body = parse(z.strictObject({ code: unitCode, name: text(100) }), req.body);
    res.status(201).json(await createUnit(pool, body));
  });
  routes.add('patch', '/api/units/:code', 'directory.write', async (req, res) => {
    const body = parse(z.strictObject({ name: text(100).optional(), active: z.boolean().optional() }), req.body);
    res.json(await updateUnit(pool, String(req.params.code), body));
  });

  // Officers
  routes.add('get', '/api/officers', 'directory.read', async (req, res) => {
    const query = parse(z.object({ unitCode: unitCode.optional() }), req.query, 'query');
    const scope = scopeUnitId(req);
    const wanted = query.unitCode ? await unitIdOf(pool, query.unitCode) : null;
    if (scope !== null && wanted !== null && wanted !== scope) throw new AppError(403, 'out_of_scope', 'that unit is outside your scope');
    res.json({ items: await listOfficers(pool, wanted ?? scope) });
  });
  routes.add('get', '/api/officers/:badgeNo', 'directory.read', async (req, res) => {
    const officer = await getOfficer(pool, String(req.params.badgeNo));
    if (!officer) throw notFound(`officer ${req.params.badgeNo}`);
    const scope = scopeUnitId(req);
    if (scope !== null && req.user!.unitCode && !officer.units.some((u) => u.unitCode === req.user!.unitCode)) {
      throw new AppError(403, 'out_of_scope', 'that officer has never been in your unit');
    }
    res.json(officer);
  });
  routes.add('post', '/api/officers', 'directory.write', async (req, res) => {
    const body = parse(z.strictObject({ badgeNo, name: text(100), unitCode, from: at.optional() }), req.body);
    res.status(201).json(await inTransaction(pool, (c) => createOfficer(c, { ...body, from: body.from ?? null })));
  });
  routes.add('patch', '/api/officers/:badgeNo', 'directory.write', async (req, res) => {
    const body = parse(
      z.strictObject({ name: text(100).optional(), unitCode: unitCode.optional(), from: at.optional(), active: z.boolean().optional() }),
      req.body,
    );
    if (body.from && !body.unitCode) throw new AppError(400, 'invalid_field', 'from goes with unitCode', 'from');
    const { officer } = await inTransaction(pool, (c) => updateOfficer(c, String(req.params.badgeNo), body));
    res.json(officer);
  });

  // Recorders
  routes.add('get', '/api/recorders', 'directory.read', async (req, res) => {
    res.json({ items: await listRecorders(pool, scopeUnitId(req)) });
  });
  routes.add('get', '/api/recorders/:serial', 'directory.read', async (req, res) => {
    const serial = String(req.params.serial);
    const recorder = await getRecorder(pool, serial);
    if (!recorder) throw notFound(`recorder ${serial}`);
    const scope = scopeUnitId(req);
    if (scope !== null && !(await recorderUsedByUnit(pool, serial, scope))) {
      throw new AppError(403, 'out_of_scope', 'that recorder was never used in your unit');
    }
    res.json(recorder);
  });
  routes.add('post', '/api/recorders', 'directory.write', async (req, res) => {
    const body = parse(z.strictObject({ serial: recorderSerial, model: text(100).optional() }), req.body);
    res.status(201).json(await createRecorder(pool, body));
  });
  routes.add('patch', '/api/recorders/:serial', 'directory.write', async (req, res) => {
    const body = parse(
      z.strictObject({ active: z.boolean().optional(), note: text(500).nullable().optional(), model: text(100).nullable().optional() }),
      req.body,
    );
    res.json(await inTransaction(pool, (c) => updateRecorder(c, String(req.params.serial), body)));
  });
  routes.add('post', '/api/recorders/:serial/assignments', 'directory.write', async (req, res) => {
    const body = parse(z.strictObject({ badgeNo, from: at.optional() }), req.body);
    const recorder = await inTransaction(pool, (c) => assignRecorder(c, String(req.params.serial), { badgeNo: body.badgeNo, from: body.from ?? 'now' }));
    res.status(201).json(recorder);
  });

  // Users and their machine tokens
  const role = z.enum(ROLES);
  routes.add('get', '/api/users', 'directory.write', async (_req, res) => {
    res.json({ items: await listUsers(pool) });
  });
  routes.add('post', '/api/users', 'directory.write', async (req, res) => {
    const body = parse(
      z.strictObject({ username, password: z.string().max(256), role, badgeNo: badgeNo.optional(), unitCode: unitCode.optional() }),
      req.body,
    );
    res.status(201).json(await createUser(pool, body, config.auth.passwordMinLength));
  });
  routes.add('patch', '/api/users/:username', 'directory.write', async (req, res) => {
    const body = parse(
      z.strictObject({
        active: z.boolean().optional(),
        role: role.optional(),
        unitCode: unitCode.nullable().optional(),
        badgeNo: badgeNo.nullable().optional(),
        password: z.string().max(256).optional(),
      }),
      req.body,
    );
    res.json(await inTransaction(pool, (c) => updateUser(c, String(req.params.username), body, config.auth.passwordMinLength)));
  });
  routes.add(
    'post',
    '/api/users/:username/tokens',
    'directory.write',
    async (req, res) => {
      const user = await getUserByUsername(pool, String(req.params.username));
      if (!user) throw notFound(`user ${req.params.username}`);
      if (!user.active) throw new AppError(422, 'user_inactive', `user ${user.username} is deactivated`, 'username');
      assertMachineAccount(user.role);
      const { token, id } = await issueToken(pool, user.id, 'api', null);
      ctx.logger.info({ username: user.username, tokenId: id, by: req.user!.username }, 'token issued');
      res.status(201).json({ token, username: user.username });
    },
    'none',
  );
  routes.add('delete', '/api/users/:username/tokens', 'directory.write', async (req, res) => {
    const user = await getUserByUsername(pool, String(req.params.username));
    if (!user) throw notFound(`user ${req.params.username}`);
    const revoked = await revokeUserTokens(pool, user.id, 'api');
    ctx.logger.info({ username: user.username, revoked, by: req.user!.username }, 'tokens revoked');
    res.json({ revoked });
  });

  // The bureau's spreadsheet
  routes.add(
    'post',
    '/api/directory/import',
    'directory.write',
    async (req, res) => {
      const result = await importDirectory(pool, csvText(req.body), config.bureauTz);
      ctx.logger.info({ created: result.created, updated: result.updated, errors: result.errors.length, by: req.user!.username }, 'directory imported');
      res.json(result);
    },
    'csv',
  );
}
