// What the HTTP API is built from. Passed in by the entry points; the API never touches Docker.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { RunMetrics } from '../lib/run-metrics.js';
import type { Runtime } from '../domain/runtimes.js';
import type { RunQueue } from '../queue/run-queue.js';
import type { WebhookQueue } from '../queue/webhook-queue.js';
import type { RuntimeBuildQueue } from '../queue/runtime-build-queue.js';
import type { ArtifactStore } from '../store/artifact-store.js';
import type { RuntimeStore } from '../store/runtime-store.js';
import type { Keys } from '../store/keys.js';
import type { EndWatcher } from '../store/run-ends.js';
import type { RunStore } from '../store/run-store.js';

export interface AppDependencies {
  config: Config;
  log: Logger;
  store: RunStore;
  /** The bytes of runs' artifacts. */
  artifacts: Pick<ArtifactStore, 'read'>;
  queue: Pick<RunQueue, 'enqueue' | 'remove' | 'counts'>;
  /** Runs that end in the API (cancelled while queued) hand their webhook here. */
  webhooks: Pick<WebhookQueue, 'enqueue'>;
  metrics: RunMetrics;
  /** Shared connection for plain commands. */
  redis: Redis;
  /** A new connection for one blocking read (a WebSocket stream); the caller closes it. */
  blockingRedis: () => Redis;
  /** Tells when runs end (POST ?wait=true, DELETE). */
  ends: Pick<EndWatcher, 'waitForEnd'>;
  keys: Keys;
  /** The built-in runtimes; custom ones are in `runtimes`. */
  catalogue: readonly Runtime[];
  /** Runtime versions, states and custom runtimes. */
  runtimes: Pick<RuntimeStore, 'snapshot' | 'createCustom' | 'deleteCustom' | 'getCustom' | 'hasBuildLog'>;
  /** Where a custom runtime's build is queued for a worker. */
  runtimeBuilds: Pick<RuntimeBuildQueue, 'enqueue' | 'remove'>;
  /** Named readiness checks for GET /readyz: Redis always, Docker where a worker runs here. */
  readiness: Record<string, () => Promise<unknown>>;
  /** Gauges of a worker in the same process, set before each scrape. */
  beforeScrape?: () => void;
  newId?: () => string;
}
