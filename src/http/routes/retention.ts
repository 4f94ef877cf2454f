import { z } from 'zod';
import type { Context } from '../../context';
import { runRetention } from '../../retention/run';
import { listHolds } from '../../retention/marks';
import type { RouteTable } from '../route-table';
import { dayOrInstant } from '../validate';

export function retentionRoutes(routes: RouteTable, ctx: Context): void {
  // The dry run: what the retention run would delete if it ran at `at` (default now), changing nothing.
  const dueQuery = z.strictObject({ at: dayOrInstant(ctx.config.bureauTz, 'start').optional() });
  routes.add({ method: 'get', path: '/api/retention/due', permission: 'retention.read', summary: 'Retention dry run: what would be deleted at a time (default now)', query: dueQuery }, async (req, res, valid) => {
    const q = valid.query();
    res.json(await runRetention({ ...ctx, policy: ctx.config.retention }, { at: q.at ?? new Date(), dryRun: true }));
  });

  // Everything under a legal hold, recordings and cases, for the admin who sets and lifts them.
  const holdsQuery = z.strictObject({});
  routes.add({ method: 'get', path: '/api/holds', permission: 'holds.write', summary: 'Everything under a legal hold: recordings and cases', query: holdsQuery }, async (_req, res, valid) => {
    valid.query();
    res.json(await listHolds(ctx.pool));
  });
}
