import { z } from 'zod';
import type { Context } from '../../context';
import { runRetention } from '../../retention/run';
import { listHolds } from '../../retention/marks';
import type { RouteTable } from '../route-table';
import { dayOrInstant, parse } from '../validate';

export function retentionRoutes(routes: RouteTable, ctx: Context): void {
  // The dry run: what the retention run would delete if it ran at `at` (default now), changing nothing.
  routes.add('get', '/api/retention/due', 'retention.read', async (req, res) => {
    const q = parse(z.strictObject({ at: dayOrInstant(ctx.config.bureauTz, 'start').optional() }), req.query, 'query');
    res.json(await runRetention({ ...ctx, policy: ctx.config.retention }, { at: q.at ?? new Date(), dryRun: true }));
  });

  // Everything under a legal hold, recordings and cases, for the admin who sets and lifts them.
  routes.add('get', '/api/holds', 'holds.write', async (req, res) => {
    parse(z.strictObject({}), req.query, 'query');
    res.json(await listHolds(ctx.pool));
  });
}
