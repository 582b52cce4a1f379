// Wires the HTTP API from config and Redis: store, queue, app. Used by server.ts and main.ts.
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { runStoreSettings, type Config } from '../config/config.js';
import { runtimeCatalogue } from '../domain/runtimes.js';
import { pingRedis, warnIfEvicting, type RedisFactory } from '../lib/redis-connection.js';
import type { Metrics } from '../lib/metrics.js';
import { createRunQueue } from '../queue/run-queue.js';
import { createWebhookQueue } from '../queue/webhook-queue.js';
import { createKeys } from '../store/keys.js';
import { createEndWatcher } from '../store/run-ends.js';
import { createRunStore } from '../store/run-store.js';
import { buildApp } from '../app.js';
import { listenHost } from './listen-host.js';
import { loadPlaygroundAssets } from './playground-assets.js';

/** Where `npm run build` puts the playground: dist/playground, two folders up from this file in src/api and in dist/api alike. */
export const PLAYGROUND_DIR = fileURLToPath(new URL('../../dist/playground/', import.meta.url));

export interface ApiServiceOptions {
  config: Config;
  redis: RedisFactory;
  log: Logger;
  metrics: Metrics;
  /** Readiness checks of a worker in the same process (Docker). */
  extraReadiness?: Record<string, () => Promise<unknown>>;
}

export async function createApiService({ config, redis: factory, log, metrics, extraReadiness = {} }: ApiServiceOptions) {
  const redis = factory.commands();
  const keys = createKeys(config.keyPrefix);
  const queueConnection = factory.producer();
  const queue = createRunQueue({
    connection: queueConnection,
    prefix: config.keyPrefix,
    attempts: config.jobAttempts,
    backoffMs: config.jobBackoffMs,
  });
  const webhookConnection = factory.producer();
  const webhooks = createWebhookQueue({
    connection: webhookConnection,
    prefix: config.keyPrefix,
    attempts: config.webhookAttempts,
    backoffMs: config.webhookBackoffMs,
  });
  const playgroundAssets = config.playground ? await loadPlaygroundAssets(PLAYGROUND_DIR) : undefined;
  if (config.playground && !playgroundAssets)
    log.warn({ dir: PLAYGROUND_DIR }, 'the playground is not built (npm run build); / answers 404');
  const ends = createEndWatcher({ subscriber: factory.blocking(), redis, keys });
  const app = await buildApp({
    config,
    log,
    store: createRunStore({ redis, keys, ...runStoreSettings(config) }),
    queue,
    webhooks,
    metrics,
    redis,
    blockingRedis: factory.blocking,
    ends,
    keys,
    catalogue: runtimeCatalogue,
    readiness: { redis: () => pingRedis(redis), ...extraReadiness },
    playgroundAssets,
  });
  await warnIfEvicting(redis, log);

  /** Without API keys anyone who reaches the port may run code: then only loopback is served. */
  async function listen(): Promise<string> {
    return app.listen({ port: config.port, host: listenHost(config, log) });
  }

  return {
    app,
    listen,
    async close(): Promise<void> {
      await app.close();
      await Promise.all([queue.close(), webhooks.close()]);
      // BullMQ leaves connections it was given open.
      queueConnection.disconnect();
      webhookConnection.disconnect();
      ends.close();
      redis.disconnect();
    },
  };
}
