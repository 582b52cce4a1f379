// Entry point: a worker alone (scale-out mode), with /healthz, /readyz and /metrics on WORKER_PORT.
import { loadConfig } from './config/config.js';
import { createLogger } from './lib/logger.js';
import { handleProcessLifecycle } from './lib/process-lifecycle.js';
import { createRedisFactory } from './lib/redis-connection.js';
import { createMetrics } from './lib/metrics.js';
import { buildWorkerHttp } from './api/worker-http.js';
import { createAuthFailureCounter } from './store/auth-failures.js';
import { createKeys } from './store/keys.js';
import { startWorkerService } from './worker/worker-service.js';

const config = loadConfig(process.env);
const log = createLogger(config.logLevel, 'runbox-worker');
if (!config.redisUrl) {
  log.fatal('REDIS_URL is required for the worker process');
  process.exit(2);
}
const metrics = createMetrics();
const redis = createRedisFactory(config.redisUrl, log);
const worker = await startWorkerService({ config, redis, log, metrics });
// Its own fail-fast connection: a request to the port never waits for Redis to come back.
const httpRedis = redis.commands();
const failures = createAuthFailureCounter({ redis: httpRedis, keys: createKeys(config.keyPrefix), limit: config.authFailuresPerMinute });
const http = await buildWorkerHttp({
  config,
  log,
  readiness: worker.readiness,
  metrics,
  failures,
});
handleProcessLifecycle(log, async () => {
  await http.app.close();
  await worker.close();
  httpRedis.disconnect();
});
await http.listen();
