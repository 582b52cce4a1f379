// A standalone worker's own HTTP port (WORKER_PORT): /healthz and /readyz for supervisors,
// /metrics for the admin scope of the API's keys, and on loopback only where no keys are set.
import Fastify from 'fastify';
import type { Logger } from 'pino';
import { authPlugin } from './auth.js';
import { closingPlugin } from './closing.js';
import { errorHandler, notFoundHandler } from './error-handler.js';
import { listenHost } from './listen-host.js';
import { requestIdOptions, requestIdPlugin } from './request-id.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import type { Config } from '../config/config.js';
import type { Metrics } from '../lib/metrics.js';
import type { AuthFailureCounter } from '../store/auth-failures.js';

export interface WorkerHttpOptions {
  config: Pick<Config, 'host' | 'apiKeys' | 'workerPort'>;
  log: Logger;
  readiness: Record<string, () => Promise<unknown>>;
  metrics: Metrics;
  /** Failed authentications per client address (AUTH_FAILURES_PER_MINUTE), shared with the API's. */
  failures?: AuthFailureCounter;
}

export async function buildWorkerHttp({ config, log, readiness, metrics, failures }: WorkerHttpOptions) {
  const app = Fastify({ loggerInstance: log, return503OnClosing: false, ...requestIdOptions });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  await app.register(requestIdPlugin);
  await app.register(closingPlugin);
  await app.register(authPlugin, { keys: config.apiKeys, failures });
  await app.register(healthRoutes, { readiness });
  await app.register(metricsRoutes, { metrics });
  return {
    app,
    listen: () => app.listen({ port: config.workerPort, host: listenHost(config, log) }),
  };
}
