// A worker: takes run jobs from BullMQ and executes them in sandboxes on its Docker host.
// Reaps stray sandboxes at start and periodically; its runtimes (images, builds) are runtime-service.ts's;
// the sessions it holds are session-host.ts's.
import { randomUUID } from 'node:crypto';
import { Worker } from 'bullmq';
import Docker from 'dockerode';
import type { Logger } from 'pino';
import { join } from 'node:path';
import { languageCounts, poolSettings, problemStoreSettings, runQueueSettings, runStoreSettings, type Config } from '../config/config.js';
import { imageOf, runtimeCatalogue } from '../domain/runtimes.js';
import { pingRedis, refuseCluster, warnIfEvicting, type RedisFactory } from '../lib/redis-connection.js';
import type { Metrics } from '../lib/metrics.js';
import { BULLMQ_PREFIX } from '../queue/job-options.js';
import { createRunQueue, runQueueName, type RunJobData } from '../queue/run-queue.js';
import { runtimeBuildQueueName, type RuntimeBuildJobData } from '../queue/runtime-build-queue.js';
import { createWebhookQueue, webhookQueueName, type WebhookJobData } from '../queue/webhook-queue.js';
import { createSandbox } from '../sandbox/sandbox.js';
import { createReaper } from '../sandbox/reaper.js';
import { createSnapshotImages } from '../sandbox/snapshot-images.js';
import { createArtifactStore } from '../store/artifact-store.js';
import { createJudge0Submissions } from '../store/judge0-submissions.js';
import { createEventPublisher } from '../store/event-stream.js';
import { createKeys } from '../store/keys.js';
import { createInputReader } from '../store/run-input.js';
import { createProblemStore } from '../store/problem-store.js';
import { createRunStore } from '../store/run-store.js';
import { createSessionChannel } from '../store/session-channel.js';
import { createSessionStore } from '../store/session-store.js';
import { createSnapshotStore } from '../store/snapshot-store.js';
import { createStreamFollower } from '../store/stream-follower.js';
import { createWorkerRegistry } from '../store/worker-registry.js';
import { createOutputComparer } from './output-comparer.js';
import { createProblemCache } from './problem-cache.js';
import { createRunProcessor } from './run-processor.js';
import { createSessionHost } from './session-host.js';
import { createSnapshotMaker } from './snapshot-maker.js';
import { startRuntimeService } from './runtime-service.js';
import { createWebhookProcessor } from './webhook-processor.js';

/** Extra wall time past a limit before the worker kills a sandbox itself (runbox-run stops the program at the limit). */
const KILL_GRACE_MS = 2000;

export interface WorkerServiceOptions {
  config: Config;
  redis: RedisFactory;
  log: Logger;
  metrics: Metrics;
  docker?: Docker;
}

export async function startWorkerService({ config, redis: factory, log, metrics, docker = new Docker() }: WorkerServiceOptions) {
  const redis = factory.durable();
  await refuseCluster(redis).catch((error) => {
    redis.disconnect();
    throw error;
  });
  const keys = createKeys(config.keyPrefix);
  const store = createRunStore({ redis, keys, ...runStoreSettings(config) });
  await warnIfEvicting(redis, log);
  const poolSizes = languageCounts(config.poolSizes, 'POOL_SIZES');
  const sandbox = createSandbox({
    docker,
    log,
    killGraceMs: KILL_GRACE_MS,
    pool: {
      ...poolSettings(config),
      sizeOf: (profile) =>
        poolSizes[runtimeCatalogue.find((r) => imageOf(config.imagePrefix, r) === profile.image)?.language ?? ''] ?? config.poolSize,
    },
    onOpened: (source, seconds) => metrics.sandboxStarted(source, seconds),
  });
  if (config.usernsRemap && !(await sandbox.remapsUsers().catch(() => false))) {
    log.error(
      'USERNS_REMAP is set but this Docker engine does not run with userns-remap: root runs under runc will fail (see docs/security.md)',
    );
  }
  const images = createSnapshotImages({ docker, log, repo: `${config.imagePrefix}snapshot` });
  const reaper = createReaper({ docker, log, intervalMs: config.reaperIntervalMs, snapshots: images });
  await reaper.reapOnce();
  reaper.start();

  const webhookConnection = factory.bullmq();
  const webhooks = createWebhookQueue({
    connection: webhookConnection,
    prefix: config.keyPrefix,
    attempts: config.webhookAttempts,
    backoffMs: config.webhookBackoffMs,
  });
  // The run queue only for the queue-depth gauge, on a connection that fails fast: a scrape never waits for Redis.
  const countsConnection = factory.producer();
  const runQueue = createRunQueue({ connection: countsConnection, ...runQueueSettings(config) });
  metrics.observe({
    queueJobs: () => runQueue.counts(),
    poolSandboxes: () => sandbox.poolSizes(),
    liveSandboxes: () => sandbox.liveCount(),
  });
  const inputReader = createInputReader(factory.blocking, redis, keys);
  const workerId = randomUUID();
  const engine = ((await docker.info()) as { ID?: string }).ID ?? 'unknown';
  const snapshotStore = createSnapshotStore({
    redis,
    keys,
    quota: { maxCount: config.snapshotMaxPerKey, maxBytes: config.snapshotKeyMaxBytes },
  });
  const makeSnapshot = createSnapshotMaker({
    images,
    store: snapshotStore,
    engine,
    retentionSeconds: config.snapshotRetentionSeconds,
    log,
  });
  /** Judge comparisons past 64 KiB run in a thread of their own, off this loop. */
  const comparer = createOutputComparer({ thresholdBytes: 64 * 1024 });
  const runtimes = await startRuntimeService({ config, docker, sandbox, redis, subscriber: factory.blocking(), keys, log });
  const problemStore = createProblemStore({ redis, keys, ...problemStoreSettings(config) });
  const problems = createProblemCache({
    dir: config.problemCacheDir || join(config.dataDir, 'problem-cache'),
    maxBytes: config.problemCacheMaxBytes,
    readBlob: problemStore.readBlob,
    log,
    onFetch: () => metrics.problemFetched(),
    onHit: () => metrics.problemCacheHit(),
  });
  const processor = createRunProcessor({
    store,
    sandbox,
    publisherFor: (runId) => createEventPublisher(redis, keys, runId),
    runtimes: runtimes.custom,
    imagePrefix: config.imagePrefix,
    sandboxRuntime: config.sandboxRuntime,
    killGraceMs: KILL_GRACE_MS,
    compileLimits: { timeMs: config.compileTimeMs, memoryMb: config.compileMemoryMb, outputBytes: config.compileOutputBytes },
    testOutputBytes: config.judgeTestOutputBytes,
    log,
    metrics,
    webhooks,
    inputReader,
    comparer,
    makeSnapshot,
    artifacts: {
      store: createArtifactStore({ redis, keys, retentionSeconds: config.retentionSeconds }),
      limits: { maxFiles: config.artifactsMaxFiles, maxBytes: config.artifactsMaxBytes },
    },
    problems,
  });
  const sessionFollower = createStreamFollower({ connect: factory.blocking, waker: redis, wakeKey: keys.followerWake(workerId) });
  const sessions = createSessionHost({
    workerId,
    engine,
    capacity: config.sessionMaxPerWorker,
    heartbeatMs: config.workerHeartbeatMs,
    sandbox,
    images,
    reapOwners: reaper.reapOwners,
    store: createSessionStore({ redis, keys, retentionSeconds: config.sessionRetentionSeconds }),
    registry: createWorkerRegistry({ redis, keys, heartbeatMs: config.workerHeartbeatMs }),
    channel: createSessionChannel(redis, keys),
    follower: sessionFollower,
    makeSnapshot,
    runtimes: runtimes.custom,
    profile: { imagePrefix: config.imagePrefix, defaultRuntime: config.sandboxRuntime },
    settings: { fileMaxBytes: config.sessionFileMaxBytes, shellsMax: config.sessionShellsMax },
    log,
  });
  await sessions.start();
  const workerConnection = factory.bullmq();
  const worker = new Worker<RunJobData>(
    runQueueName(config.keyPrefix),
    async (job) =>
      processor.process(job.data.runId, { attemptsMade: job.attemptsMade, attempts: job.opts.attempts ?? 1 }, job.data.requestId),
    // The lock and the stalled check decide how soon a job whose worker died is handed out
    // again (and its run recorded as failed by the processor).
    // A job stalled more than maxStalledCount times is failed inside Redis without reaching a
    // processor, which would leave its run `running`. Handed out again instead, it reaches
    // one, which records the run as lost and completes the job: a program never runs twice.
    {
      connection: workerConnection,
      concurrency: config.workerConcurrency,
      prefix: BULLMQ_PREFIX,
      lockDuration: config.workerLockMs,
      stalledInterval: config.workerStalledIntervalMs,
      maxStalledCount: 10,
    },
  );
  const deliver = createWebhookProcessor(
    store,
    { secret: config.webhookSecret, timeoutMs: config.webhookTimeoutMs, allowPrivate: config.webhookAllowPrivate },
    log,
    createJudge0Submissions({ redis, keys, retentionSeconds: config.retentionSeconds }),
  );
  const webhookWorkerConnection = factory.bullmq();
  const webhookWorker = new Worker<WebhookJobData>(
    webhookQueueName(config.keyPrefix),
    async (job) => deliver(job.data.runId, job.attemptsMade + 1),
    { connection: webhookWorkerConnection, concurrency: 8, prefix: BULLMQ_PREFIX },
  );
  // One custom runtime build at a time per worker: a build is heavy, and runs go on beside it.
  const buildWorkerConnection = factory.bullmq();
  const buildWorker = new Worker<RuntimeBuildJobData>(
    runtimeBuildQueueName(config.keyPrefix),
    async (job) => runtimes.custom.processBuild(job.data.name, job.data.hash),
    { connection: buildWorkerConnection, concurrency: 1, prefix: BULLMQ_PREFIX, lockDuration: config.workerLockMs },
  );
  buildWorker.on('error', (error) => log.error({ err: error }, 'runtime build worker error'));
  webhookWorker.on('error', (error) => log.error({ err: error }, 'webhook worker error'));
  worker.on('error', (error) => log.error({ err: error }, 'worker error'));
  worker.on('failed', (job, error) => {
    log.warn({ runId: job?.id, err: error }, 'job attempt failed');
    // A job BullMQ will not try again has its finishedOn set (a retry leaves it unset).
    if (job?.finishedOn !== undefined)
      processor
        .recordGivenUp(job.data.runId, error.message)
        .catch((cause) => log.error({ runId: job.data.runId, err: cause }, 'could not end a run whose job was given up'));
  });
  log.info({ concurrency: config.workerConcurrency, runtime: config.sandboxRuntime, workerId, engine }, 'worker started');

  return {
    readiness: { redis: () => pingRedis(redis), docker: () => sandbox.ping() },
    /** Takes no new job; lets running ones finish within SHUTDOWN_GRACE_MS, then kills and records them. */
    async close(): Promise<void> {
      // Sessions have no grace: each ends now, saying its worker shut down.
      const sessionsClosed = sessions.close();
      await runtimes.stop();
      const closing = Promise.all([worker.close(), webhookWorker.close(), buildWorker.close()]);
      let graceTimer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<boolean>((resolve) => (graceTimer = setTimeout(() => resolve(true), config.shutdownGraceMs)));
      if (await Promise.race([closing.then(() => false), graceOver])) {
        log.warn({ graceMs: config.shutdownGraceMs }, 'shutdown grace period over: killing the runs still in flight');
        processor.abortAll();
      }
      await closing;
      await sessionsClosed;
      sessionFollower.close();
      clearTimeout(graceTimer);
      await comparer.close();
      inputReader.close();
      await Promise.all([webhooks.close(), runQueue.close()]);
      // The warm pool drained and every used sandbox removed before the process goes.
      await sandbox.close();
      await sessions.removeDeletedSnapshots();
      reaper.stop();
      // BullMQ leaves connections it was given open.
      for (const connection of [workerConnection, webhookWorkerConnection, webhookConnection, buildWorkerConnection, countsConnection])
        connection.disconnect();
      redis.disconnect();
    },
  };
}
