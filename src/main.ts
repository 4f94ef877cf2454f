import type { Server } from 'node:http';
import { ConfigError, loadConfig } from '../config/schema';
import { createContext, closeContext, type Context } from './context';
import { createApp, type App } from './http/app';
import { createLogger } from './logger';
import { startWorkerRole, type WorkerRole } from '../workers/worker';
import { startUploadSweeper, type UploadSweeper } from './ingest/upload-sweeper';
import { startMetricsServer, workerRegistry } from './metrics/http';

type Role = 'api' | 'worker' | 'all';

function listen(ctx: Context, { app }: App): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(ctx.config.port, ctx.config.host, (err?: Error) => (err ? reject(err) : resolve(server)));
    // Uploads of multi-GB footage take long: only the headers must arrive promptly.
    server.requestTimeout = 0;
    server.headersTimeout = 60_000;
    server.keepAliveTimeout = 65_000;
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

async function main(): Promise<void> {
  const role = (process.argv[2] ?? 'all') as Role;
  if (!['api', 'worker', 'all'].includes(role)) {
    console.error(`usage: main.js api|worker|all (got ${role})`);
    process.exit(2);
  }
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const logger = createLogger(config.logLevel, { role });
  const ctx = await createContext(config, role, logger);
  let server: Server | undefined;
  let web: App | undefined;
  let worker: WorkerRole | undefined;
  let sweeper: UploadSweeper | undefined;
  if (role !== 'worker') {
    web = createApp(ctx);
    server = await listen(ctx, web);
    logger.info({ port: config.port, host: config.host, storage: config.storage.driver }, 'api listening');
    // tus bytes wait in this process's data folder, so the API role sweeps them; the store's leftovers too,
    // unless the worker role in this same process already does.
    sweeper = startUploadSweeper(ctx, { tus: true, store: role === 'api' });
  }
  // /metrics: on METRICS_PORT without credentials when set; else on PORT to admins, which for the worker role
  // (no API server) means a server of its own, with /healthz beside it.
  const metricsPort = config.metrics.port ?? (role === 'worker' ? config.port : undefined);
  const metricsServer =
    metricsPort === undefined
      ? undefined
      : await startMetricsServer(ctx, {
          registry: web?.metrics ?? workerRegistry(),
          open: config.metrics.port !== undefined,
          health: role === 'worker',
          port: metricsPort,
          host: config.metrics.port !== undefined ? config.metrics.host : config.host,
        }).catch((err: NodeJS.ErrnoException) => {
          // Before any job is taken: a worker beside an API on one machine would otherwise fail here half-started.
          if (err.code !== 'EADDRINUSE') throw err;
          const setting = config.metrics.port !== undefined ? 'METRICS_PORT' : 'PORT';
          throw new Error(`port ${metricsPort} (${setting}) is in use: give this ${role} process its own ${setting}${setting === 'PORT' ? ' or METRICS_PORT' : ''}`, { cause: err });
        });
  if (metricsServer) logger.info({ port: metricsPort, open: config.metrics.port !== undefined }, 'metrics listening');
  if (role !== 'api') worker = startWorkerRole(ctx);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    try {
      // Uploads in flight and jobs in progress wind down side by side.
      await Promise.all([server && closeServer(server), worker?.close(), sweeper?.stop(), metricsServer?.close()]);
      await web?.close();
      await closeContext(ctx);
      logger.info('shutdown complete');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  createLogger('error').fatal({ err }, 'failed to start');
  process.exit(1);
});
