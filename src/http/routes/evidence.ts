import type { Context } from '../../context';
import { prepareExport, writeExport } from '../../evidence/export';
import type { RouteTable } from '../route-table';
import { caseFor } from './cases';

export function evidenceRoutes(routes: RouteTable, ctx: Context): void {
  const { pool, logger } = ctx;

  // A case's evidence package (API.md): originals, custody.json, manifest.json last, streamed as it is made.
  // The export is on the custody record before the first byte goes out; a HEAD exports nothing.
  routes.add(
    {
      method: 'get',
      path: '/api/cases/:caseNo/export',
      permission: 'evidence.export',
      summary: 'Download a case’s evidence package (ZIP: originals, custody.json, manifest.json)',
      description: 'Streamed as it is made; the export is on the custody record before the first byte goes out. HEAD exports nothing.',
      tag: 'Evidence',
      params: { caseNo: 'the case number, as the penalty-case system writes it' },
      responses: { 200: 'zip' },
    },
    async (req, res) => {
      const found = await caseFor(pool, req);
      res.attachment(`${found.caseNo.replace(/[/\\]/g, '_')}.zip`);
      res.setHeader('Content-Type', 'application/zip');
      res.setHeader('Cache-Control', 'no-store');
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      const plan = await prepareExport(pool, found, req.user!.username);
      res.setHeader('X-Custody-Head', plan.manifest.custodyHead);
      const { aborted } = await writeExport(ctx, plan, res);
      const summary = { caseNo: found.caseNo, by: req.user!.username, files: plan.manifest.files.length, custodyHead: plan.manifest.custodyHead };
      logger.info(summary, aborted ? 'case export abandoned by the client' : 'case exported');
    },
  );
}
