import { z } from 'zod';
import type { Context } from '../../context';
import { listCustody, verifyChain } from '../../custody/read';
import { AppError } from '../../errors';
import { recordingFor } from '../../recordings/read';
import type { RouteTable } from '../route-table';
import { parse } from '../validate';

const query = z.strictObject({
  recordingId: z.uuid('a recording id').optional(),
  afterSeq: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

export function custodyRoutes(routes: RouteTable, ctx: Context): void {
  const { pool } = ctx;

  // A scoped reader asks about a recording in their scope; the whole log is the admin's.
  routes.add('get', '/api/custody', 'custody.read', async (req, res) => {
    const q = parse(query, req.query);
    if (q.recordingId) {
      await recordingFor(pool, req.user!, req.reach!, q.recordingId);
    } else if (req.reach !== 'all') {
      throw new AppError(400, 'filter_required', 'give the recordingId whose custody events you want', 'recordingId');
    }
    const items = await listCustody(pool, { target: q.recordingId ? `recording:${q.recordingId}` : undefined, afterSeq: q.afterSeq, limit: q.limit });
    res.json({ items, nextAfterSeq: items.length === q.limit ? items.at(-1)!.seq : null });
  });

  routes.add('get', '/api/custody/verify', 'custody.read', async (_req, res) => {
    res.json(await verifyChain(pool));
  });
}
