// What the HTTP API is built from. Passed in by the entry points; the API never touches Docker.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Metrics } from '../lib/metrics.js';
import type { Runtime } from '../domain/runtimes.js';
import type { RunQueue } from '../queue/run-queue.js';
import type { WebhookQueue } from '../queue/webhook-queue.js';
import type { Keys } from '../store/keys.js';
import type { Asset } from './playground-assets.js';
import type { EndWatcher } from '../store/run-ends.js';
import type { RunStore } from '../store/run-store.js';

export interface AppDependencies {
  config: Config;
  log: Logger;
  store: RunStore;
  queue: Pick<RunQueue, 'enqueue' | 'remove' | 'counts'>;
  /** Runs that end in the API (cancelled while queued) hand their webhook here. */
  webhooks: Pick<WebhookQueue, 'enqueue'>;
  metrics: Metrics;
  /** Shared connection for plain commands. */
  redis: Redis;
  /** A new connection for one blocking read (a WebSocket stream); the caller closes it. */
  blockingRedis: () => Redis;
  /** Tells when runs end (POST ?wait=true, DELETE). */
  ends: Pick<EndWatcher, 'waitForEnd'>;
  keys: Keys;
  catalogue: readonly Runtime[];
  /** Named readiness checks for GET /readyz: Redis always, Docker where a worker runs here. */
  readiness: Record<string, () => Promise<unknown>>;
  newId?: () => string;
  /** The playground's built files (served at / when PLAYGROUND is on); undefined when not built. */
  playgroundAssets?: Map<string, Asset>;
}
