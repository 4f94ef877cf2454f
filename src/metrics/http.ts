import { createServer, type Server } from 'node:http';
import express, { type Express, type RequestHandler } from 'express';
import { Registry } from 'prom-client';
import type { Context } from '../context';
import { AppError } from '../errors';
import { authenticate, authorize } from '../http/auth';
import { errorHandler, notFoundHandler } from '../http/problem';
import { healthRoutes } from '../http/routes/health';
import { clusterFigures } from './collectors';
import { servedProcessRegistry } from './registry';

// Where /metrics is served (README, Metrics): with METRICS_PORT, on that port alone and without credentials,
// for a Prometheus on a private network (bind it there with METRICS_HOST); without it, on PORT, to admins only
// (a bearer token or a session). The API role adds the installation's figures to its process's own.

/** Renders a registry in the Prometheus text format. */
export function metricsHandler(registry: Registry): RequestHandler {
  return async (_req, res) => {
    const text = await registry.metrics();
    res.status(200).set('Cache-Control', 'no-store').type(registry.contentType).send(text);
  };
}

/** The guard of /metrics on a port shared with other routes: admins (metrics.read) only. */
function adminOnly(ctx: Context): RequestHandler[] {
  return [authenticate(ctx.pool, ctx.config.auth.cookieSecure), authorize('metrics.read')];
}

export interface ApiMetrics {
  /** What the API role serves: this process's figures and the installation's. */
  registry: Registry;
  close(): Promise<void>;
}

/**
 * The API role's figures, and GET /metrics on the app when no METRICS_PORT is set. With METRICS_PORT the app
 * answers /metrics with 404 (the figures are on the other port), rather than the web UI's page.
 */
export function mountApiMetrics(app: Express, ctx: Context): ApiMetrics {
  const cluster = clusterFigures(ctx, { cacheMs: ctx.config.metrics.cacheS * 1000 });
  const registry = Registry.merge([servedProcessRegistry(), cluster.registry]);
  if (ctx.config.metrics.port === undefined) {
    app.get('/metrics', ...adminOnly(ctx), metricsHandler(registry));
  } else {
    const elsewhere: RequestHandler = () => {
      throw new AppError(404, 'not_found', 'metrics are served on the metrics port (METRICS_PORT)');
    };
    app.get('/metrics', elsewhere);
  }
  return { registry, close: () => cluster.close() };
}

/**
 * A small server of /metrics (and, for the worker role, which has no other server, /healthz). `open`: no
 * credentials asked (on METRICS_PORT); otherwise admins only.
 */
export function metricsApp(ctx: Context, opts: { registry: Registry; open: boolean; health: boolean }): Express {
  const app = express();
  app.disable('x-powered-by');
  if (opts.health) healthRoutes(app, ctx);
  app.get('/metrics', ...(opts.open ? [] : adminOnly(ctx)), metricsHandler(opts.registry));
  app.use(notFoundHandler);
  app.use(errorHandler(ctx.logger));
  return app;
}

/** Serves metricsApp on a port; resolves once it listens. */
export function startMetricsServer(
  ctx: Context,
  opts: { registry: Registry; open: boolean; health: boolean; port: number; host: string },
): Promise<{ server: Server; close(): Promise<void> }> {
  const server = createServer(metricsApp(ctx, opts));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve({
        server,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
          }),
      });
    });
  });
}

/** The worker role's registry: the figures of this process's own work (no catalog or queue reads). */
export const workerRegistry = (): Registry => servedProcessRegistry();
