import type { Request } from 'express';
import { z } from 'zod';
import type { Context } from '../../context';
import { abandonSpotCheck, openSpotCheck, recordVerdicts, SPOT_CHECK_STATUSES, spotCheckFor, type SpotCheckUser } from '../../compliance/spot-checks';
import { listSpotChecks } from '../../compliance/lists';
import { ratioBasisPoints, SAMPLE_MODES } from '../../compliance/sampling';
import { notFound } from '../../errors';
import { bulletinsOfChecks } from '../../compliance/lists';
import type { RouteTable } from '../route-table';
import { pageQuery, text, unitCode, username } from '../validate';
import { UUID } from '../../directory/identifiers';

// Spot checks (API.md "Compliance"; REGULATION.md "Spot checks"). Shapes are checked here, scope and state in
// src/compliance/spot-checks.ts.

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD')
  .refine((v) => !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v), 'not a calendar date');

// The seed is the HMAC key as given: not trimmed or normalized (that would change the draw), but printable.
const seed = z
  .string()
  .refine((v) => [...v].length >= 1 && [...v].length <= 200, 'must be 1 to 200 characters')
  .refine((v) => !/[\p{Cc}\p{Cf}\u2028\u2029]/u.test(v), 'must not contain control characters');

const sample = z.strictObject({ mode: z.enum(SAMPLE_MODES), value: z.number() }).superRefine((s, ctx) => {
  if (s.mode === 'ratio' && ratioBasisPoints(s.value) === null) {
    ctx.addIssue({ code: 'custom', path: ['value'], message: 'a ratio is a fraction above 0 and at most 1 with at most 4 decimals (0.1 is 10 %)' });
  }
  if (s.mode === 'perUnit' && !(Number.isSafeInteger(s.value) && s.value >= 1 && s.value <= 100_000)) {
    ctx.addIssue({ code: 'custom', path: ['value'], message: 'perUnit is a whole number from 1 to 100000' });
  }
});

const openBody = z
  .strictObject({
    from: day,
    to: day,
    unitCodes: z.array(unitCode).min(1).max(500).optional(),
    sample,
    seed: seed.optional(),
    inspectors: z.array(username).max(200).optional(),
  })
  .refine((b) => b.from <= b.to, { path: ['to'], message: 'the period ends before it starts (from is after to)' });

const verdict = z.enum(['pass', 'fail']);
const verdictsBody = z
  .strictObject({
    verdicts: z.strictObject({ M1: verdict.optional(), M2: verdict.optional(), M3: verdict.optional(), M4: verdict.optional() }).default({}),
    note: text(2000).optional(),
  })
  .refine((b) => Object.keys(b.verdicts).length > 0 || b.note !== undefined, { path: ['verdicts'], message: 'give at least one verdict or a note' });

const abandonBody = z.strictObject({ reason: text(500) });


/** The `:id` of the path; a malformed one is a check that does not exist. */
function checkId(req: Request): string {
  const id = String(req.params.id);
  if (!UUID.test(id)) throw notFound(`spot check ${id}`);
  return id.toLowerCase();
}

// The domain decides scope from the role and unit (admin: the bureau; a supervisor or reviewer: their unit, or
// the bureau when they have none), exactly as the permission table's reach does.
const actor = (req: Request): SpotCheckUser => ({ username: req.user!.username, role: req.user!.role, unitCode: req.user!.unitCode });

export function spotCheckRoutes(routes: RouteTable, ctx: Context): void {
  const { pool } = ctx;
  const deps = { bureauTz: ctx.config.bureauTz, regulation: ctx.config.regulation };

  // Every call is a recorded draw (an empty one too), on the custody log with its seed.
  routes.add(
    {
      method: 'post',
      path: '/api/spot-checks',
      permission: 'spotchecks.open',
      summary: 'Open a spot check: draw a sample of activities of a period (reproducible from its seed)',
      description: 'Every call is a recorded draw, on the custody log with its seed. `to` may not be before `from`.',
      json: openBody,
      responses: { 201: 'json' },
    },
    async (req, res, valid) => {
      const input = valid.body();
      const check = await openSpotCheck(pool, deps, input, actor(req));
      ctx.logger.info({ spotCheck: check.id, items: check.items.length, by: req.user!.username }, 'spot check opened');
      res.status(201).json(check);
    },
  );

  // The checks the caller may read, newest first, each with its bulletins (see listSpotChecks for the summary).
  const listQuery = z.strictObject({ status: z.enum(SPOT_CHECK_STATUSES).optional(), ...pageQuery() });
  routes.add({ method: 'get', path: '/api/spot-checks', permission: 'spotchecks.read', summary: 'List the spot checks the caller may read, newest first, each with its bulletins', query: listQuery }, async (req, res, valid) => {
    res.json(await listSpotChecks(pool, valid.query(), actor(req)));
  });

  routes.add({ method: 'get', path: '/api/spot-checks/:id', permission: 'spotchecks.read', summary: 'A spot check with its items, verdicts and bulletins', params: { id: 'the spot check id (UUID)' } }, async (req, res) => {
    const check = await spotCheckFor(pool, checkId(req), actor(req));
    // Its bulletins too (those the reader may read), so the check's page needs nothing else.
    res.json({ ...check, bulletins: await bulletinsOfChecks(pool, [check.id], actor(req)) });
  });

  routes.add(
    {
      method: 'patch',
      path: '/api/spot-checks/:id/items/:itemId',
      permission: 'verdicts.record',
      summary: 'Record verdicts (M1–M4) and a note on an item of a spot check',
      params: { id: 'the spot check id (UUID)', itemId: 'the item number' },
      json: verdictsBody,
    },
    async (req, res, valid) => {
      const id = checkId(req);
      const itemId = String(req.params.itemId);
      if (!/^[1-9]\d{0,15}$/.test(itemId)) throw notFound(`item ${itemId} of spot check ${id}`);
      const input = valid.body();
      res.json(await recordVerdicts(pool, id, Number(itemId), input, actor(req)));
    },
  );

  routes.add(
    { method: 'post', path: '/api/spot-checks/:id/abandon', permission: 'spotchecks.open', summary: 'Abandon a spot check, with a reason', params: { id: 'the spot check id (UUID)' }, json: abandonBody },
    async (req, res, valid) => {
      const id = checkId(req);
      const input = valid.body();
      res.json(await abandonSpotCheck(pool, id, input.reason, actor(req)));
    },
  );
}
