import express, { type Express } from 'express';
import { pinoHttp } from 'pino-http';
import type { Context } from '../context';
import { mountQueueBoard } from './admin-queues';
import { authenticate } from './auth';
import { errorHandler, notFoundHandler } from './problem';
import { RouteTable } from './route-table';
import { openApiRoutes } from './openapi';
import { httpSecurity } from './security';
import { authRoutes } from './routes/auth';
import { bulletinRoutes } from './routes/bulletins';
import { caseRoutes } from './routes/cases';
import { complianceRoutes } from './routes/compliance';
import { retentionRoutes } from './routes/retention';
import { custodyRoutes } from './routes/custody';
import { directoryRoutes } from './routes/directory';
import { evidenceRoutes } from './routes/evidence';
import { healthRoutes } from './routes/health';
import { integrityRoutes } from './routes/integrity';
import { recordingRoutes } from './routes/recordings';
import { spotCheckRoutes } from './routes/spot-checks';
import { mountWebUi } from '../web/serve';
import { mountApiMetrics } from '../metrics/http';
import type { Registry } from 'prom-client';

export interface App {
  app: Express;
  /** Every /api route with its permission (the role-matrix test walks it). */
  routes: RouteTable['routes'];
  /** What /metrics serves for this process (the API role's figures and the process's own). */
  metrics: Registry;
  /** Releases what the app holds beyond the Context (the queue board's and the metrics' Redis connections); call before closeContext. */
  close(): Promise<void>;
}

export function createApp(ctx: Context): App {
  const app = express();
  app.disable('x-powered-by');
  // Behind a reverse proxy, the client's address comes from X-Forwarded-For only when the proxy is trusted.
  app.set('trust proxy', ctx.config.trustProxy);
  app.set('query parser', 'simple');
  app.use(
    pinoHttp({
      logger: ctx.logger,
      autoLogging: { ignore: (req) => req.url === '/healthz' },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      serializers: { req: (req) => ({ method: req.method, url: req.url }), res: (res) => ({ statusCode: res.statusCode }) },
    }),
  );

  // Security headers and the CORS/cross-origin guard come before anything can answer.
  app.use(httpSecurity({ https: ctx.config.auth.cookieSecure, corsOrigins: ctx.config.corsOrigins }));
  healthRoutes(app, ctx);
  const metrics = mountApiMetrics(app, ctx);

  const api = express.Router();
  api.use('/api', authenticate(ctx.pool, ctx.config.auth.cookieSecure));
  const routes = new RouteTable(api);
  authRoutes(routes, ctx);
  directoryRoutes(routes, ctx);
  recordingRoutes(routes, ctx);
  caseRoutes(routes, ctx);
  evidenceRoutes(routes, ctx);
  custodyRoutes(routes, ctx);
  retentionRoutes(routes, ctx);
  bulletinRoutes(routes, ctx);
  complianceRoutes(routes, ctx);
  spotCheckRoutes(routes, ctx);
  integrityRoutes(routes, ctx);
  openApiRoutes(routes);
  app.use(api);
  const board = mountQueueBoard(app, ctx);

  app.use('/api', notFoundHandler);
  mountWebUi(app, { bureauTz: ctx.config.bureauTz });
  app.use(errorHandler(ctx.logger));
  return { app, routes: routes.routes, metrics: metrics.registry, close: async () => void (await Promise.all([board.close(), metrics.close()])) };
}
