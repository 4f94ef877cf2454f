import type { Request } from 'express';
import { z } from 'zod';
import type { Context } from '../../context';
import { listCustody, verifyChain } from '../../custody/read';
import { AppError } from '../../errors';
import { caseCustodyTargets } from '../../evidence/case-custody';
import { recordingFor } from '../../recordings/read';
import { caseFor } from './cases';
import type { RouteTable } from '../route-table';
import { text } from '../validate';

const query = z.strictObject({
  recordingId: z.uuid('a recording id').optional(),
  caseNo: text(64).optional(),
  afterSeq: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

export function custodyRoutes(routes: RouteTable, ctx: Context): void {
  const { pool } = ctx;

  // The events of a case: about the case itself and about the footage linked to it now.
  const caseEvents = async (req: Request, no: string, page: { afterSeq?: number; limit: number }) => {
    const found = await caseFor(pool, req, no);
    return listCustody(pool, { targets: caseCustodyTargets(found.caseNo, found.recordings.map((r) => r.id)), ...page });
  };

  // A scoped reader asks about a recording or a case in their scope; the whole log is the admin's.
  routes.add(
    { method: 'get', path: '/api/custody', permission: 'custody.read', summary: 'Custody events of a recording or a case (the whole log: admins only)', query },
    async (req, res, valid) => {
      const q = valid.query();
      const page = { afterSeq: q.afterSeq, limit: q.limit };
      if (q.recordingId && q.caseNo !== undefined) {
        throw new AppError(400, 'conflicting_filters', 'give either recordingId or caseNo, not both', 'caseNo');
      }
      let items;
      if (q.caseNo !== undefined) {
        items = await caseEvents(req, q.caseNo, page);
      } else if (q.recordingId) {
        await recordingFor(pool, req.user!, req.reach!, q.recordingId);
        items = await listCustody(pool, { target: `recording:${q.recordingId}`, ...page });
      } else if (req.reach !== 'all') {
        throw new AppError(400, 'filter_required', 'give the recordingId or caseNo whose custody events you want', 'recordingId');
      } else {
        items = await listCustody(pool, page);
      }
      res.json({ items, nextAfterSeq: items.length === q.limit ? items.at(-1)!.seq : null });
    },
  );

  routes.add({ method: 'get', path: '/api/custody/verify', permission: 'custody.read', summary: 'Verify the custody log’s hash chain from the first event to the head' }, async (_req, res) => {
    res.json(await verifyChain(pool));
  });
}
