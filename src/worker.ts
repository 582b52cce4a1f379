// Entry point: a worker alone (scale-out mode), with /healthz, /readyz on WORKER_PORT.
import Fastify from 'fastify';
import { healthRoutes } from './api/routes/health.js';
import { loadConfig } from './config/config.js';
import { createLogger } from './lib/logger.js';
import { handleProcessLifecycle } from './lib/process-lifecycle.js';
import { createRedisFactory } from './lib/redis-connection.js';
import { createRunMetrics } from './lib/run-metrics.js';
import { metricsRoutes } from './api/routes/metrics.js';
import { startWorkerService } from './worker/worker-service.js';

const config = loadConfig(process.env);
const log = createLogger(config.logLevel, 'runbox-worker');
if (!config.redisUrl) {
  log.fatal('REDIS_URL is required for the worker process');
  process.exit(2);
}
const metrics = createRunMetrics();
const worker = await startWorkerService({ config, redis: createRedisFactory(config.redisUrl), log, metrics });
const health = Fastify({ loggerInstance: log });
await health.register(healthRoutes, { readiness: worker.readiness });
await health.register(metricsRoutes, { metrics: metrics.registry });
handleProcessLifecycle(log, async () => {
  await health.close();
  await worker.close();
});
await health.listen({ port: config.workerPort, host: config.host });
