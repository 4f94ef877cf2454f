import helmet from 'helmet';
import type { Request, RequestHandler } from 'express';
import { AppError } from '../errors';

/*
 * Every security header the server sends is set here, with helmet, and nowhere else. Three content security
 * policies, one per kind of response:
 *  - everything that is not a page (API JSON, problems, media, assets, health): it runs nothing and may be
 *    framed by no one;
 *  - the web UI's page (src/web/serve.ts), which loads everything from this server and nothing from elsewhere;
 *  - bull-board's page at /admin/queues (src/http/admin-queues.ts), which sets a <base> and inline styles.
 * A route that renders a document of its own (a bulletin's HTML) sets a policy for it where it renders it.
 */

type Directives = Record<string, string[]>;

const NOT_A_DOCUMENT: Directives = { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] };

// No CDN, no web font (the browser's own CJK font is used).
const WEB_UI: Directives = {
  'default-src': ["'self'"],
  'img-src': ["'self'", 'data:', 'blob:'],
  'media-src': ["'self'", 'blob:'],
  // Preact sets the scrubber's sprite offsets as style properties.
  'style-src': ["'self'", "'unsafe-inline'"],
  'script-src': ["'self'"],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'frame-ancestors': ["'none'"],
  'form-action': ["'self'"],
};

// bull-board's page resolves its assets against <base href="/admin/queues/"> and styles itself inline. It
// also links a web font from a font CDN: that stays blocked (the board falls back to local fonts), so an
// admin's browser asks nothing of any other host here either.
const QUEUE_BOARD: Directives = {
  'default-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'style-src': ["'self'", "'unsafe-inline'"],
  'script-src': ["'self'"],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'frame-ancestors': ["'none'"],
  'form-action': ["'self'"],
};

const csp = (directives: Directives) => helmet.contentSecurityPolicy({ useDefaults: false, directives });

/** Replaces the policy of a response with the web UI page's. */
export const webUiCsp = csp(WEB_UI);
/** Replaces the policy of a response with the queue board's. */
export const queueBoardCsp = csp(QUEUE_BOARD);

const HSTS_MAX_AGE_S = 180 * 24 * 3600;

/**
 * helmet on every response. HSTS only when the deployment says it is served over HTTPS (SESSION_COOKIE_SECURE):
 * sent from a plain-HTTP install it would be ignored at best, and at worst, reaching a browser through some
 * HTTPS path, would lock the bureau's users out of the HTTP address they actually use. Without
 * includeSubDomains: the bureau's other hosts are not this server's to decide.
 */
export function securityHeaders(https: boolean): RequestHandler {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: NOT_A_DOCUMENT },
    strictTransportSecurity: https ? { maxAge: HSTS_MAX_AGE_S, includeSubDomains: false } : false,
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    // Media and thumbnails are for this origin's pages; a CORS request from an allowed origin is not subject to it.
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const QUEUE_BOARD_PATH = /^\/admin\/queues(\/|$)/;
const API_PATH = /^\/api(\/|$)/;

// What a browser page on an allowed origin needs: the API's JSON with a token or the session cookie (with
// X-Requested-With, as authorize wants), ranges of media, and tus uploads with their answers.
const ALLOW_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';
const ALLOW_HEADERS = [
  'Authorization',
  'Content-Type',
  'X-Requested-With',
  'Range',
  'If-None-Match',
  'If-Range',
  'Tus-Resumable',
  'Upload-Length',
  'Upload-Offset',
  'Upload-Metadata',
].join(', ');
const EXPOSE_HEADERS = [
  'Location',
  'Tus-Resumable',
  'Tus-Version',
  'Tus-Extension',
  'Tus-Max-Size',
  'Upload-Offset',
  'Upload-Length',
  'X-Recording-Id',
  'X-Recording-Duplicate',
  'X-Content-SHA256',
  'X-Custody-Head',
  'X-Replaced-By',
  'Content-Range',
  'Content-Disposition',
  'Accept-Ranges',
  'ETag',
  'Retry-After',
].join(', ');
const PREFLIGHT_MAX_AGE_S = '600';

const originOf = (value: string): string | null => {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : null;
  } catch {
    return null; // "null" (sandboxed frames, some redirects) and garbage
  }
};

/**
 * A request from a page of this server: the browser says so (Sec-Fetch-Site, which no page can set), or its
 * Origin names the host asked for (directly or, behind a proxy on loopback, in X-Forwarded-Host).
 */
function fromThisServer(req: Request, origin: string | null): boolean {
  if (req.get('sec-fetch-site') === 'same-origin') return true;
  if (origin === null) return false;
  const host = new URL(origin).host;
  return host === req.get('host') || host === req.host;
}

/**
 * Strict CORS. Only origins in CORS_ORIGINS get Access-Control-Allow-Origin (theirs, with credentials and the
 * tus and evidence headers exposed), and only on /api. Any other Origin:
 *  - a preflight gets no approval but a 403 `cross_origin`;
 *  - a state-changing request is refused 403 `cross_origin` before it reaches authentication or a route,
 *    whatever credential it carries (a login too, so a foreign page cannot log a browser into an account);
 *  - a read is answered as usual but without CORS headers, so the browser keeps it from the foreign page.
 * Requests without Origin are not from a cross-origin browser page (browsers send Origin on every cross-origin
 * request and every non-GET one) and are untouched: docking stations, the CLI, integrations, with bearer tokens.
 * For those, CSRF is no concern: a browser never attaches a bearer token on its own. The session cookie is
 * SameSite=Strict and its changes need X-Requested-With as well (authorize); this guard holds even where a
 * browser gets either wrong.
 *
 * The queue board keeps its own guard for changes (admin-queues.ts): bull-board's page sends no
 * X-Requested-With, and that guard already refuses foreign origins for it.
 */
export function corsPolicy(allowedOrigins: string[]): RequestHandler {
  const allowed = new Set(allowedOrigins.map((o) => originOf(o)).filter((o): o is string => o !== null));
  return (req, res, next) => {
    const api = API_PATH.test(req.path);
    // Answers differ by Origin: a cache between here and the browser must not mix them up.
    if (api) res.vary('Origin');
    const header = req.get('origin');
    if (header === undefined) return next();
    const origin = originOf(header);
    const listed = origin !== null && allowed.has(origin);
    const preflight = req.method === 'OPTIONS' && req.get('access-control-request-method') !== undefined;
    if (!listed && !fromThisServer(req, origin)) {
      if (preflight || (!SAFE_METHODS.has(req.method) && !QUEUE_BOARD_PATH.test(req.path))) {
        throw new AppError(403, 'cross_origin', `requests from ${header.slice(0, 200)} are not allowed here`);
      }
      return next();
    }
    if (!api || !listed) return next();
    res.setHeader('Access-Control-Allow-Origin', header);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    if (preflight) {
      res.setHeader('Access-Control-Allow-Methods', ALLOW_METHODS);
      res.setHeader('Access-Control-Allow-Headers', ALLOW_HEADERS);
      res.setHeader('Access-Control-Max-Age', PREFLIGHT_MAX_AGE_S);
      res.status(204).end();
      return;
    }
    res.setHeader('Access-Control-Expose-Headers', EXPOSE_HEADERS);
    next();
  };
}

/** Everything above, first thing for every request. */
export function httpSecurity(opts: { https: boolean; corsOrigins: string[] }): RequestHandler[] {
  return [securityHeaders(opts.https), corsPolicy(opts.corsOrigins)];
}
