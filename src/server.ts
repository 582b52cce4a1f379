// Entry point: the HTTP API alone (scale-out mode). Needs REDIS_URL; never touches Docker.
import { createApiService } from './api-service.js';
import { loadConfig } from './config/config.js';
import { createLogger } from './lib/logger.js';
import { handleProcessLifecycle } from './lib/process-lifecycle.js';
import { createRedisFactory } from './lib/redis-connection.js';
import { createMetrics } from './lib/metrics.js';

const config = loadConfig(process.env);
const log = createLogger(config.logLevel, 'runbox-api');
if (!config.redisUrl) {
  log.fatal('REDIS_URL is required for the API process (the all-in-one `npm start` can start its own Redis)');
  process.exit(2);
}
const api = await createApiService({ config, redis: createRedisFactory(config.redisUrl, log), log, metrics: createMetrics() });
handleProcessLifecycle(log, () => api.close());
await api.listen();
