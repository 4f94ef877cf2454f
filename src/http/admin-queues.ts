import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import type { Express, Request, RequestHandler } from 'express';
import type { Context } from '../context';
import { AppError } from '../errors';
import { createQueues } from '../queue/outbox';
import { authenticate } from './auth';
import { queueBoardCsp } from './security';

const QUEUE_BOARD_PATH = '/admin/queues';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** How long a board API call waits for the queues' first connection before answering 503. */
const READY_WAIT_MS = 3000;

/**
 * Admins only. A role check rather than a row of PERMISSIONS: the board is an operator's tool outside the
 * API's contract, all or nothing (it has no scope to reach), and no other role will ever get a share of it.
 */
const adminOnly: RequestHandler = (req, _res, next) => {
  if (!req.user) throw new AppError(401, 'unauthenticated', req.authProblem ?? 'log in or send a bearer token');
  if (req.user.role !== 'admin') throw new AppError(403, 'forbidden', `the ${req.user.role} role may not see the queues`);
  next();
};

/**
 * CSRF guard for changes made with the session cookie (retry, clean, promote, pause, obliterate...).
 *
 * The rest of the app requires X-Requested-With on such requests (authorize in auth.ts). bull-board's UI
 * does not send it: its axios client is created with only a baseURL and no headers, so insisting on the
 * header would lock admins out of every button in the board. What matters is that the request comes from
 * a page of this origin, and a browser says so itself, in headers a page cannot forge:
 *  - X-Requested-With, as elsewhere (scripts and API clients; a cross-site page cannot set it without a
 *    CORS preflight, which this app never grants);
 *  - otherwise Sec-Fetch-Site: same-origin (every current browser sends it);
 *  - otherwise, from a browser too old for Fetch Metadata, an Origin whose host is the one asked for.
 * Anything else (no signal at all, another site, a sibling subdomain, Origin "null") is refused. The
 * SameSite=Strict cookie already keeps cross-site requests anonymous; this holds even where it does not.
 * Bearer requests need none of this: a browser never attaches a token on its own.
 */
function sameOriginChange(req: Request): boolean {
  if (req.authVia !== 'cookie' || SAFE_METHODS.has(req.method)) return true;
  if (req.get('x-requested-with')) return true;
  const site = req.get('sec-fetch-site');
  if (site) return site === 'same-origin';
  const origin = req.get('origin');
  if (!origin) return false;
  try {
    return new URL(origin).host === req.get('host');
  } catch {
    return false; // "null" (sandboxed frames, some redirects) and garbage
  }
}

/**
 * Whether the queues have connected to Redis (once is enough), waiting at most `ms`. BullMQ holds every
 * command of a queue that has never connected until it does, so without this a board API call made while
 * Redis is down would hang, and hold up the server's shutdown with it. After a first connection, commands
 * fail at once instead (the producer connection has no offline queue) and the board answers its own 500.
 */
function connected(queues: Queue[], ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(resolve, ms, false);
  });
  const ready = Promise.all(queues.map((q) => q.waitUntilReady())).then(() => true, () => false);
  return Promise.race([ready, timeout]).finally(() => clearTimeout(timer));
}

const csrfGuard: RequestHandler = (req, _res, next) => {
  if (!sameOriginChange(req)) {
    throw new AppError(403, 'csrf', 'a change made with the session cookie must come from this site or carry the X-Requested-With header');
  }
  next();
};

/**
 * bull-board at /admin/queues, behind the app's authentication: anonymous 401, other roles 403, admins
 * the board. The producer queues (one per JOB_NAMES entry, as the relay has them) are opened on the first
 * admin request rather than here: an API that nobody inspects holds no extra Redis connection, and Redis
 * being down can never stop the API from starting (BullMQ reconnects; createQueues logs errors as warnings).
 */
export function mountQueueBoard(app: Express, ctx: Context): { close(): Promise<void> } {
  const serverAdapter = new ExpressAdapter().setBasePath(QUEUE_BOARD_PATH);
  const board = createBullBoard({ queues: [], serverAdapter });
  const boardApp: Express = serverAdapter.getRouter();
  // A mounted app keeps its own settings: without this the board would announce Express again.
  boardApp.disable('x-powered-by');

  let producer: ReturnType<typeof createQueues> | undefined;
  let closed = false;

  const openQueues: RequestHandler = async (req, _res, next) => {
    if (closed) throw new AppError(503, 'shutting_down', 'the server is shutting down');
    if (!producer) {
      producer = createQueues(ctx.config.redis.url, ctx.config.redis.prefix, ctx.logger);
      board.replaceQueues(Object.values(producer.queues).map((queue) => new BullMQAdapter(queue)));
    }
    // The page and its assets need no Redis; the API does.
    if (req.path.startsWith('/api/') && !(await connected(Object.values(producer.queues), READY_WAIT_MS))) {
      throw new AppError(503, 'queues_unavailable', 'Redis is unreachable, so the queues cannot be read; try again later', undefined, {
        'Retry-After': '10',
      });
    }
    next();
  };

  app.use(QUEUE_BOARD_PATH, queueBoardCsp, authenticate(ctx.pool, ctx.config.auth.cookieSecure), adminOnly, csrfGuard, openQueues, boardApp);

  return {
    async close() {
      closed = true;
      const open = producer;
      producer = undefined;
      await open?.close();
    },
  };
}
