import { z } from 'zod';
import type { Context } from '../../context';
import { ACTIVITY_TYPES, CASE_KINDS, CASE_STATUSES, getCase, upsertCase } from '../../cases/cases';
import { inTransaction } from '../../db/pool';
import { AppError, notFound } from '../../errors';
import { scopeUnitId } from '../auth';
import type { RouteTable } from '../route-table';
import { badgeNo, instant, parse, text, unitCode } from '../validate';

// Case numbers come from the penalty-case system as written, e.g. 某交执罚〔2023〕123号.
const caseNo = text(64);

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

  // Idempotent: the same body twice leaves the same case (200 the second time).
  routes.add(
    'put',
    '/api/cases/:caseNo',
    'cases.write',
    async (req, res) => {
      const no = parse(caseNo, req.params.caseNo, 'query');
      const input = parse(body, req.body);
      const result = await inTransaction(pool, (client) => upsertCase(client, no, input));
      const detail = await getCase(pool, no);
      const { unitId: _u, ...out } = detail!;
      res.status(result.created ? 201 : 200).json({ ...out, warnings: result.warnings });
    },
    'json',
  );

  routes.add('get', '/api/cases/:caseNo', 'cases.read', async (req, res) => {
    const found = await getCase(pool, String(req.params.caseNo));
    if (!found) throw notFound(`case ${req.params.caseNo}`);
    const scope = scopeUnitId(req);
    if (scope !== null && scope !== found.unitId) throw new AppError(403, 'out_of_scope', 'that case belongs to another unit');
    const { unitId: _u, ...out } = found;
    res.json(out);
  });
}
