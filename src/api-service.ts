// Wires the HTTP API from config and Redis: store, queue, app. Used by server.ts and main.ts.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { problemStoreSettings, runQueueSettings, runStoreSettings, type Config } from './config/config.js';
import { runtimeCatalogue } from './domain/runtimes.js';
import { pingRedis, refuseCluster, warnIfEvicting, type RedisFactory } from './lib/redis-connection.js';
import type { Metrics } from './lib/metrics.js';
import { createRunQueue } from './queue/run-queue.js';
import { createRuntimeBuildQueue } from './queue/runtime-build-queue.js';
import { createWebhookQueue } from './queue/webhook-queue.js';
import { createArtifactStore } from './store/artifact-store.js';
import { createAuthFailureCounter } from './store/auth-failures.js';
import { createEventReader } from './store/event-stream.js';
import { createKeys } from './store/keys.js';
import { createInputSender } from './store/run-input.js';
import { createRuntimeVersionStore } from './store/runtime-versions.js';
import { createJudge0Submissions } from './store/judge0-submissions.js';
import { createEndWatcher } from './store/run-ends.js';
import { createProblemStore } from './store/problem-store.js';
import { createRunStore } from './store/run-store.js';
import { createRuntimeStore } from './store/runtime-store.js';
import { createSessionChannel } from './store/session-channel.js';
import { createSessionStore } from './store/session-store.js';
import { createSnapshotStore } from './store/snapshot-store.js';
import { createStreamFollower } from './store/stream-follower.js';
import { createWorkerRegistry } from './store/worker-registry.js';
import { buildApp } from './app.js';
import { listenHost } from './api/listen-host.js';
import { createSessionClient } from './api/session-client.js';
import { loadPlaygroundAssets } from './api/playground-assets.js';

/** Where `npm run build` puts the playground: dist/playground, one folder up from this file in src/ and in dist/ alike. */
export const PLAYGROUND_DIR = fileURLToPath(new URL('../dist/playground/', import.meta.url));

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
  await refuseCluster(redis).catch((error) => {
    redis.disconnect();
    throw error;
  });
  const keys = createKeys(config.keyPrefix);
  const queueConnection = factory.producer();
  const queue = createRunQueue({ connection: queueConnection, ...runQueueSettings(config) });
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
  const buildConnection = factory.producer();
  const runtimeBuilds = createRuntimeBuildQueue({ connection: buildConnection, prefix: config.keyPrefix });
  const ends = createEndWatcher({ subscriber: factory.blocking(), redis, keys });
  // One blocking connection reads every command reply and terminal this process waits for.
  const follower = createStreamFollower({ connect: factory.blocking, waker: redis, wakeKey: keys.followerWake(randomUUID()) });
  const sessions = createSessionClient({
    store: createSessionStore({ redis, keys, retentionSeconds: config.sessionRetentionSeconds }),
    snapshots: createSnapshotStore({ redis, keys, quota: { maxCount: config.snapshotMaxPerKey, maxBytes: config.snapshotKeyMaxBytes } }),
    registry: createWorkerRegistry({ redis, keys, heartbeatMs: config.workerHeartbeatMs }),
    channel: createSessionChannel(redis, keys),
    follower,
    config,
    log,
  });
  const app = await buildApp({
    config,
    log,
    store: createRunStore({ redis, keys, ...runStoreSettings(config) }),
    artifacts: createArtifactStore({ redis, keys, retentionSeconds: config.retentionSeconds }),
    problems: createProblemStore({ redis, keys, ...problemStoreSettings(config) }),
    queue,
    webhooks,
    metrics,
    input: createInputSender(redis, keys, { maxStdinBytes: config.stdinMaxBytes, retentionSeconds: config.retentionSeconds }),
    events: createEventReader({ connect: factory.blocking, keys }),
    runtimeVersions: createRuntimeVersionStore({ redis, keys }),
    judge0: createJudge0Submissions({ redis, keys, retentionSeconds: config.retentionSeconds }),
    authFailures: createAuthFailureCounter({ redis, keys, limit: config.authFailuresPerMinute }),
    rateLimitRedis: redis,
    ends,
    catalogue: runtimeCatalogue,
    runtimes: createRuntimeStore({ redis, keys, connect: factory.blocking }),
    runtimeBuilds,
    readiness: { redis: () => pingRedis(redis), ...extraReadiness },
    sessions,
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
      await Promise.all([queue.close(), webhooks.close(), runtimeBuilds.close()]);
      // BullMQ leaves connections it was given open.
      queueConnection.disconnect();
      webhookConnection.disconnect();
      buildConnection.disconnect();
      ends.close();
      follower.close();
      redis.disconnect();
    },
  };
}
