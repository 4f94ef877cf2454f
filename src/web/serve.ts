import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import express, { type Express, type RequestHandler } from 'express';
import { notFoundHandler, sendProblem } from '../http/problem';
import { webUiCsp } from '../http/security';
import { webAssetsDir } from './assets';

// The page's security headers, its CSP included, are set with the rest in src/http/security.ts.

const escapeAttr = (v: string) => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** The one HTML page: the app reads the bureau's time zone from it, so times show as the bureau reads them. */
export function indexHtml(bureauTz: string, assetVersion: string): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="bce-tz" content="${escapeAttr(bureauTz)}">
<title>执法记录仪证据管理</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/app.css?v=${assetVersion}">
<script defer src="/assets/app.js?v=${assetVersion}"></script>
</head>
<body><div id="app"><noscript>This application needs JavaScript. 本系统需要启用 JavaScript。</noscript></div></body>
</html>
`;
}

// Paths the server answers itself; every other GET is a page of the application (its router decides).
const NOT_PAGES = /^\/(api|assets|healthz|metrics|admin\/queues)(\/|$)/;

/**
 * Serves the web application: its assets under /assets and the page for every deep link (API.md "Web UI
 * deep links"). The bundle is built by `npm run build` (tests build it in their global setup).
 */
export function mountWebUi(app: Express, opts: { bureauTz: string; dir?: string }): void {
  const dir = opts.dir ?? webAssetsDir();
  const built = () => existsSync(path.join(dir, 'app.js'));
  const version = () => (built() ? String(Math.floor(statSync(path.join(dir, 'app.js')).mtimeMs)) : '0');

  app.use(
    '/assets',
    express.static(dir, { index: false, fallthrough: false, setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache') }),
  );

  const page: RequestHandler = (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || NOT_PAGES.test(req.path)) return next();
    if (!built()) {
      sendProblem(res, 503, 'web_ui_not_built', 'the web UI is not built: run `npm run build`');
      return;
    }
    webUiCsp(req, res, () => {
      res.setHeader('Cache-Control', 'no-cache');
      res.type('html').send(indexHtml(opts.bureauTz, version()));
    });
  };
  app.use(page);
  app.use(notFoundHandler);
}

