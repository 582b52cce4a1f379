// Starts a real runbox for an integration test: its own redis-server (random port, data in
// a temporary folder), a worker on the real Docker engine, and the API on a random
// loopback port. Everything is stopped in the test's teardown.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { createApiService } from '../../src/api-service.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import { startLocalRedis, type LocalRedis } from '../../src/lib/local-redis.js';
import { createRedisFactory } from '../../src/lib/redis-connection.js';
import { createMetrics, type Metrics } from '../../src/lib/metrics.js';
import { SANDBOX_LABEL } from '../../src/sandbox/container-spec.js';
import { parseSandboxName } from '../../src/sandbox/sandbox-names.js';
import { startWorkerService } from '../../src/worker/worker-service.js';

export const docker = new Docker();

/**
 * The sandboxes' Docker runtime in this test process: RUNBOX_TEST_SANDBOX_RUNTIME=runsc runs a
 * suite under gVisor (the files in test/integration/runsc/ set it), else runc.
 */
export const sandboxRuntime = () => process.env.RUNBOX_TEST_SANDBOX_RUNTIME ?? 'runc';

/** The second engine, with userns-remap, that scripts/ensure-docker-userns.sh starts (make test does). */
export const USERNS_DOCKER_SOCKET = process.env.USERNS_DOCKER_SOCK ?? '/run/runbox-userns/docker.sock';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface TestRedis {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
  /** Stops it and removes `dataDir`. */
  discard(): Promise<void>;
}

/**
 * A redis-server of the test's own; `dataDir` survives stop() so a restart finds the data.
 * Without `t` the caller stops it (after whatever uses it, or that would hang reconnecting)
 * and removes `dataDir`; with `t`, a folder made here is removed at teardown.
 */
export async function startTestRedis(t?: Teardown, dataDir?: string): Promise<TestRedis> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'runbox-test-'));
  const server: LocalRedis = await startLocalRedis(dir);
  const discard = async () => {
    await server.stop();
    removeDir(dir);
  };
  t?.teardown(() => (dataDir ? server.stop() : discard()));
  return { url: server.url, dataDir: dir, stop: () => server.stop(), discard };
}

export interface ServiceOptions {
  env?: Record<string, string>;
  /** Start no worker: runs stay queued (for cancel-while-queued tests). */
  worker?: boolean;
  redisUrl?: string;
  /** The worker's Docker engine (default: DOCKER_HOST or /var/run/docker.sock). */
  docker?: Docker;
  /** The metrics the API and the worker record (default: their own). */
  metrics?: Metrics;
}

export interface TestService {
  url: string;
  /** The API's Fastify app (its WebSocket server, for what the server holds per client). */
  app: Awaited<ReturnType<typeof createApiService>>['app'];
  wsUrl: string;
  config: Config;
  redis: Redis;
  stopApi(): Promise<void>;
  stopWorker(): Promise<void>;
}

const silent = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export async function startService(t: Teardown, options: ServiceOptions = {}): Promise<TestService> {
  const ownRedis = options.redisUrl ? undefined : await startTestRedis();
  const redisUrl = options.redisUrl ?? ownRedis!.url;
  // A warm pool of one per profile, kept once a run has used it: runs after a profile's first
  // take a pooled sandbox, the first a cold one. RUNBOX_TEST_POOL_SIZE=0 (test/integration/cold/)
  // runs a suite with no pool at all.
  const config = loadConfig({
    REDIS_URL: redisUrl,
    LOG_LEVEL: 'silent',
    WORKER_CONCURRENCY: '2',
    SANDBOX_RUNTIME: sandboxRuntime(),
    POOL_SIZE: process.env.RUNBOX_TEST_POOL_SIZE ?? '1',
    POOL_WARM_LANGUAGES: '',
    // Images built under another prefix (scripts/build-images.sh with RUNTIME_IMAGE_PREFIX), to try a runbox-run of one's own.
    ...(process.env.RUNBOX_TEST_IMAGE_PREFIX ? { RUNTIME_IMAGE_PREFIX: process.env.RUNBOX_TEST_IMAGE_PREFIX } : {}),
    ...options.env,
  });
  const factory = createRedisFactory(redisUrl, silent);
  const metrics = options.metrics ?? createMetrics();
  const worker =
    options.worker === false
      ? undefined
      : await startWorkerService({ config, redis: factory, log: silent, docker: options.docker ?? docker, metrics });
  const api = await createApiService({ config, redis: factory, log: silent, metrics });
  await api.app.listen({ port: 0, host: '127.0.0.1' });
  const address = api.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const redis = factory.commands();
  let apiStopped = false;
  let workerStopped = false;
  const stopApi = async () => {
    if (!apiStopped) await api.close();
    apiStopped = true;
  };
  const stopWorker = async () => {
    if (!workerStopped) await worker?.close();
    workerStopped = true;
  };
  t.teardown(async () => {
    await stopApi();
    await stopWorker();
    redis.disconnect();
    await ownRedis?.discard();
  });
  return { url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}`, app: api.app, config, redis, stopApi, stopWorker };
}

/** Containers (running or not) of one run, found by their name (sandbox-names.ts), on `engine`. */
export async function containersOf(runId: string, engine: Docker = docker): Promise<string[]> {
  const list = await engine.listContainers({ all: true, filters: { label: [`${SANDBOX_LABEL}=true`] } });
  return list.filter((c) => c.Names.some((name) => parseSandboxName(name)?.owner === runId)).map((c) => c.Id);
}

/**
 * The containers a run leaves behind: the worker removes used sandboxes after the run's record
 * is written, off the run's path, so this waits up to `waitMs` for them to go and returns what
 * is still there then. The wait is generous: removals go eight at once, each first waiting up
 * to 2 s for its sandbox to quit, and under gVisor with compiles beside them on two cores one
 * has taken over 10 s in CI. A container that goes returns at once; the check is that it
 * goes, not how soon.
 */
export async function containersLeftBy(runId: string, engine: Docker = docker, waitMs = 60_000): Promise<string[]> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const left = await containersOf(runId, engine);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Whether an image is on `engine`. */
export const imageExists = (name: string, engine: Docker = docker): Promise<boolean> =>
  engine
    .getImage(name)
    .inspect()
    .then(
      () => true,
      () => false,
    );

/** Waits up to `waitMs` for an image to go (its removal may come after the request that asked for it); whether it went. */
export async function imageGone(name: string, waitMs: number, engine: Docker = docker): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  while (await imageExists(name, engine)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return true;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
