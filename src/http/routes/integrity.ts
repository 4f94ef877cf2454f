import { z } from 'zod';
import type { Context } from '../../context';
import { integrityDashboard } from '../../integrity/report';
import type { RouteTable } from '../route-table';
import { pageQuery } from '../validate';

export function integrityRoutes(routes: RouteTable, ctx: Context): void {
  // The integrity dashboard: admin only, like the metrics and the queue dashboard it sits beside (an operator's
  // alert: a store losing or changing originals is the admin's to act on). Supervisors and reviewers see the
  // same failures, within their scope, where they judge footage: rule R5 of a spot check reads them.
  const query = z.strictObject(pageQuery(200, 50));
  routes.add({ method: 'get', path: '/api/integrity', permission: 'metrics.read', summary: 'Integrity dashboard: the audit’s last run, coverage and failing originals', query }, async (_req, res, valid) => {
    const q = valid.query();
    res.json(await integrityDashboard(ctx.pool, { cycleDays: ctx.config.integrity.cycleDays, limit: q.limit, cursor: q.cursor }));
  });
}
