import type { Request } from 'express';
import { z } from 'zod';
import { LOCALES } from '../../../config/regulation';
import type { Context } from '../../context';
import { bulletinCsv } from '../../compliance/bulletin-csv';
import { bulletinHtml } from '../../compliance/bulletin-html';
import { getBulletin, issueBulletin, spotCheckScope, type Bulletin } from '../../compliance/bulletins';
import { assertWithinScope } from '../../compliance/spot-checks';
import { listBulletins } from '../../compliance/lists';
import { AppError, notFound } from '../../errors';
import { scopeUnitId } from '../auth';
import type { RouteTable } from '../route-table';
import { pageQuery, text } from '../validate';
import { UUID } from '../../directory/identifiers';


const FORMATS = {
  html: { type: 'text/html; charset=utf-8', disposition: 'inline' },
  pdf: { type: 'application/pdf', disposition: 'inline' },
  csv: { type: 'text/csv; charset=utf-8', disposition: 'attachment' },
} as const;
type Format = keyof typeof FORMATS;

// The page is self-contained (inline CSS and SVG): it may load nothing.
const HTML_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * A scoped caller (a unit's supervisor or reviewer) reads the bulletins of every check whose scope includes their
 * unit (all units included): a bulletin is circulated to the units it covers. They issue bulletins only for
 * checks of their unit alone, as they open checks (assertWithinScope).
 */
function requireReadable(req: Request, unitCodes: string[] | null): void {
  if (scopeUnitId(req) === null) return;
  const mine = req.user!.unitCode!;
  if (unitCodes !== null && unitCodes.length > 0 && !unitCodes.includes(mine)) throw new AppError(403, 'out_of_scope', `that spot check does not cover unit ${mine}`);
}

/**
 * `通报〔2026〕第3期-v1.pdf`, with an ASCII fallback (`bulletin-2026-3-v1.pdf`) for old clients. A number is free
 * text: its path separators become `_`, so the name is one file name wherever it is saved.
 */
function disposition(kind: 'inline' | 'attachment', b: Pick<Bulletin, 'id' | 'number' | 'version'>, format: Format): string {
  const name = `通报${b.number.replace(/\s+/g, '').replace(/[/\\\p{Cc}]/gu, '_')}-v${b.version}.${format}`;
  const ascii = `bulletin-${b.number.match(/\d+/g)?.join('-') ?? b.id}-v${b.version}.${format}`;
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

export function bulletinRoutes(routes: RouteTable, ctx: Context): void {
  const { pool } = ctx;
  const body = z.strictObject({
    number: text(64).optional(),
    locale: z.enum(LOCALES).optional(),
    replaces: z.uuid('a bulletin id').optional(),
  });

  // Issue a bulletin (通报) from a complete spot check; the language is fixed now.
  routes.add(
    {
      method: 'post',
      path: '/api/spot-checks/:id/bulletins',
      permission: 'spotchecks.open',
      summary: 'Issue a bulletin (通报) from a complete spot check',
      description: 'The language is fixed at issue. `replaces` issues a new version of an earlier bulletin. Answers the bulletin with links to its HTML, PDF and CSV.',
      tag: 'Compliance',
      params: { id: 'the spot check id (UUID)' },
      json: body,
      // Every field is optional: no body at all is an empty one.
      jsonOptional: true,
      responses: { 201: 'json' },
    },
    async (req, res, valid) => {
      const id = String(req.params.id);
      if (!UUID.test(id)) throw notFound(`spot check ${id}`);
      const input = valid.body();
      const check = await spotCheckScope(pool, id);
      if (!check) throw notFound(`spot check ${id}`);
      assertWithinScope(req.user!, check.unitCodes);
      const issued = await issueBulletin(pool, { spotCheckId: id, ...input }, req.user!.username, { zone: ctx.config.bureauTz, fallbackRegulation: ctx.config.regulation });
      ctx.logger.info({ bulletin: issued.id, spotCheck: id, number: issued.number, version: issued.version, by: req.user!.username }, 'bulletin issued');
      const base = `/api/bulletins/${issued.id}`;
      res
        .status(201)
        .location(`${base}.html`)
        .json({ ...issued, links: { html: `${base}.html`, pdf: `${base}.pdf`, csv: `${base}.csv` } });
    },
  );

  // The bulletins the caller may read (as requireReadable decides), newest first.
  const listQuery = z.strictObject(pageQuery());
  routes.add({ method: 'get', path: '/api/bulletins', permission: 'spotchecks.read', summary: 'List the bulletins the caller may read, newest first', tag: 'Compliance', query: listQuery }, async (req, res, valid) => {
    res.json(await listBulletins(pool, valid.query(), req.user!));
  });

  // The issued PDF as stored; HTML and CSV rendered from the stored content (the same every time).
  routes.add(
    {
      method: 'get',
      path: '/api/bulletins/:id.:format',
      permission: 'spotchecks.read',
      summary: 'A bulletin as issued: the stored PDF, or HTML or CSV rendered from its stored content',
      tag: 'Compliance',
      params: { id: 'the bulletin id (UUID)', format: z.enum(Object.keys(FORMATS) as [Format, ...Format[]]).meta({ description: 'html, pdf or csv' }) },
      responses: { 200: 'bulletin' },
    },
    async (req, res) => {
      const id = String(req.params.id);
      const format = String(req.params.format);
      if (!UUID.test(id) || !Object.hasOwn(FORMATS, format)) throw notFound(`bulletin ${id}.${format}`);
      const found = await getBulletin(pool, id);
      if (!found) throw notFound(`bulletin ${id}`);
      requireReadable(req, found.unitCodes);
      const f = format as Format;
      res.setHeader('Content-Type', FORMATS[f].type);
      res.setHeader('Content-Disposition', disposition(FORMATS[f].disposition, found, f));
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('X-Custody-Head', found.custodyHead);
      if (found.replacedBy) res.setHeader('X-Replaced-By', found.replacedBy);
      if (f === 'html') res.setHeader('Content-Security-Policy', HTML_CSP);
      res.send(f === 'pdf' ? found.pdf : f === 'csv' ? bulletinCsv(found.content) : bulletinHtml(found.content));
    },
  );
}
