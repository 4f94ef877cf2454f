import { z } from 'zod';
import { complianceFigures, MAX_MONTHS, MONTH, monthOf, shiftMonth } from '../../compliance/continuous';
import type { Context } from '../../context';
import { AppError, badRequest } from '../../errors';
import { officerIdOf } from '../../directory/officers';
import { unitIdOf } from '../../directory/units';
import type { RouteTable } from '../route-table';
import { badgeNo, unitCode } from '../validate';

const month = z.string().regex(MONTH, 'expected a month YYYY-MM');

export function complianceRoutes(routes: RouteTable, ctx: Context): void {
  const { config } = ctx;
  const settings = { regulation: config.regulation, zone: config.bureauTz, bufferMs: config.linkBufferMs };

  // Continuous compliance (REGULATION.md): every activity of the period, per unit, per officer and per month.
  // Admins see every unit; a supervisor or reviewer with a unit sees that unit; an officer their own rows only.
  const query = z.strictObject({ from: month.optional(), to: month.optional(), unitCode: unitCode.optional(), badgeNo: badgeNo.optional() });
  routes.add(
    {
      method: 'get',
      path: '/api/compliance',
      permission: 'compliance.read',
      summary: 'Continuous compliance figures per unit, officer and month (default: the last 12 months)',
      query,
    },
    async (req, res, valid) => {
      const q = valid.query();
      // By default the last 12 months, the current one included.
      const to = q.to ?? monthOf(new Date(), config.bureauTz);
      const from = q.from ?? shiftMonth(to, -11);
      if (from > to) throw badRequest('invalid_period', `from ${from} is after to ${to}`, 'to');
      if (from < shiftMonth(to, 1 - MAX_MONTHS)) {
        throw badRequest('invalid_period', `from ${from} to ${to} is more than ${MAX_MONTHS} months`, 'to');
      }

      const user = req.user!;
      let unitCodes = q.unitCode ? [q.unitCode] : null;
      let badge = q.badgeNo ?? null;
      if (req.reach === 'own') {
        if (badge !== null && badge !== user.badgeNo) throw new AppError(403, 'forbidden', 'an officer sees their own figures only', 'badgeNo');
        badge = user.badgeNo ?? '';
      } else if (req.reach === 'scope' && user.unitId !== null) {
        if (q.unitCode && q.unitCode !== user.unitCode) throw new AppError(403, 'forbidden', `unit ${q.unitCode} is outside your unit ${user.unitCode}`, 'unitCode');
        unitCodes = [user.unitCode!];
      }
      // A typo is an error, not an empty report (asked once the caller may ask at all).
      if (q.unitCode) await unitIdOf(ctx.pool, q.unitCode);
      if (q.badgeNo && req.reach !== 'own') await officerIdOf(ctx.pool, q.badgeNo);
      res.json(await complianceFigures(ctx.pool, settings, { from, to, unitCodes, badgeNo: badge, units: req.reach !== 'own' }));
    },
  );
}
