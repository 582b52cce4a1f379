// Entry point: API and worker in one process; without REDIS_URL it starts its own
// redis-server child with data under DATA_DIR. The embedded default for one machine.
import { createApiService } from './api-service.js';
import { loadConfig } from './config/config.js';
import { startLocalRedis, type LocalRedis } from './lib/local-redis.js';
import { createLogger } from './lib/logger.js';
import { handleProcessLifecycle } from './lib/process-lifecycle.js';
import { createRedisFactory } from './lib/redis-connection.js';
import { createMetrics } from './lib/metrics.js';
import { startWorkerService } from './worker/worker-service.js';

const config = loadConfig(process.env);
const log = createLogger(config.logLevel, 'runbox');
let localRedis: LocalRedis | undefined;
if (!config.redisUrl) {
  localRedis = await startLocalRedis(config.dataDir);
  log.info({ url: localRedis.url, dataDir: config.dataDir }, 'started the embedded redis-server');
}
const redis = createRedisFactory(config.redisUrl || localRedis!.url, log);
const metrics = createMetrics();
const worker = await startWorkerService({ config, redis, log, metrics });
const api = await createApiService({
  config,
  redis,
  log,
  metrics,
  extraReadiness: { docker: worker.readiness.docker },
});
handleProcessLifecycle(log, async () => {
  await api.close();
  await worker.close();
  await localRedis?.stop();
});
await api.listen();
