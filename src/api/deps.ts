// What the HTTP API is built from. Passed in by the entry points; the API never touches Docker,
// and reaches Redis only through the store's objects (rate-limit counters aside, which
// @fastify/rate-limit keeps itself).
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Metrics } from '../lib/metrics.js';
import type { Runtime } from '../domain/runtimes.js';
import type { RunQueue } from '../queue/run-queue.js';
import type { WebhookQueue } from '../queue/webhook-queue.js';
import type { RuntimeBuildQueue } from '../queue/runtime-build-queue.js';
import type { ArtifactStore } from '../store/artifact-store.js';
import type { AuthFailureCounter } from '../store/auth-failures.js';
import type { EventReader } from '../store/event-stream.js';
import type { InputSender } from '../store/run-input.js';
import type { Judge0Submissions } from '../store/judge0-submissions.js';
import type { RuntimeVersionStore } from '../store/runtime-versions.js';
import type { Asset } from './playground-assets.js';
import type { RuntimeStore } from '../store/runtime-store.js';
import type { EndWatcher } from '../store/run-ends.js';
import type { ProblemStore } from '../store/problem-store.js';
import type { RunStore } from '../store/run-store.js';
import type { SessionClient } from './session-client.js';

export interface AppDependencies {
  config: Config;
  log: Logger;
  store: RunStore;
  /** The bytes of runs' artifacts. */
  artifacts: Pick<ArtifactStore, 'read'>;
  problems: ProblemStore;
  queue: Pick<RunQueue, 'enqueue' | 'remove' | 'counts'> & Partial<Pick<RunQueue, 'workerCount'>>;
  /** Runs that end in the API (cancelled while queued) hand their webhook here. */
  webhooks: Pick<WebhookQueue, 'enqueue'>;
  metrics: Metrics;
  /** Client frames (stdin, eof) to a queued or running run, within STDIN_MAX_BYTES. */
  input: Pick<InputSender, 'send'>;
  /** A run's frames, replayed then live (each read holds a connection of its own). */
  events: Pick<EventReader, 'read'>;
  /** What Judge0 submissions asked for beside their runs (the /judge0 facade). */
  judge0: Judge0Submissions;
  /** Each runtime's version as the workers read it from the images. */
  runtimeVersions: Pick<RuntimeVersionStore, 'read'>;
  /** Failed authentications per client address (AUTH_FAILURES_PER_MINUTE). */
  authFailures: AuthFailureCounter;
  /** Where @fastify/rate-limit keeps its counters, shared by every API process (it takes a connection). */
  rateLimitRedis: Redis;
  /** Tells when runs end (POST ?wait=true, DELETE). */
  ends: Pick<EndWatcher, 'waitForEnd'>;
  /** The built-in runtimes; custom ones are in `runtimes`. */
  catalogue: readonly Runtime[];
  /** Runtime versions, states and custom runtimes. */
  runtimes: Pick<RuntimeStore, 'snapshot' | 'createCustom' | 'deleteCustom' | 'getCustom' | 'hasBuildLog' | 'readBuildLog'>;
  /** Where a custom runtime's build is queued for a worker. */
  runtimeBuilds: Pick<RuntimeBuildQueue, 'enqueue' | 'remove'>;
  /** Named readiness checks for GET /readyz: Redis always, Docker where a worker runs here. */
  readiness: Record<string, () => Promise<unknown>>;
  newId?: () => string;
  /** Sessions and snapshots: their records, and the commands to the workers that hold them. */
  sessions: SessionClient;
  /** The playground's built files (served at / when PLAYGROUND is on); undefined when not built. */
  playgroundAssets?: Map<string, Asset>;
}
