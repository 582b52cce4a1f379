// A whole runbox of real processes for one scenario: a redis-server child, API processes
// (`node dist/server.js`) and worker processes (`node dist/worker.js`), configured through
// the environment only, as an operator would. The test's teardown stops every process it
// started (SIGKILL for what does not stop), removes the runs' containers and the data.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { call, waitFor } from './client.js';
import { removeContainersOf } from './docker.js';
import { freePort, staleBuildWarning, spawnChild, type Child } from './processes.js';
import { startRedisServer, type RedisServer, type RedisServerOptions } from './redis-server.js';

interface Tap {
  teardown(fn: () => unknown): void;
  passing(): boolean;
  comment(...message: unknown[]): void;
}

/** Settings every process of a scenario gets: loopback only, no limits that a load test trips, fast fault detection. */
export const baseEnv: Record<string, string> = {
  HOST: '127.0.0.1',
  LOG_LEVEL: 'info',
  RATE_LIMIT_PER_MINUTE: '0',
  KEY_MAX_IN_FLIGHT: '0',
  JOB_BACKOFF_MS: '200',
  WORKER_LOCK_MS: '3000',
  WORKER_STALLED_INTERVAL_MS: '1000',
  REAPER_INTERVAL_MS: '1000',
  SHUTDOWN_GRACE_MS: '5000',
  WORKER_CONCURRENCY: '2',
};

export interface ServiceProcess extends Child {
  port: number;
  url: string;
  wsUrl: string;
}

export interface Cluster {
  redis: RedisServer;
  /** A plain connection to inspect Redis (reconnects by itself after a restart). */
  inspect: Redis;
  apis: ServiceProcess[];
  workers: ServiceProcess[];
  /** The first API (the one clients talk to). */
  readonly api: ServiceProcess;
  startApi(env?: Record<string, string>, port?: number): Promise<ServiceProcess>;
  startWorker(env?: Record<string, string>): Promise<ServiceProcess>;
  /** Run ids submitted through `submit` (their containers are removed at teardown). */
  runIds: Set<string>;
  /** POST /runs on the first API, recording the id. */
  submit(body: unknown, timeoutMs?: number): Promise<{ status: number; body: any; ms: number }>;
}

export interface ClusterOptions {
  apis?: number;
  workers?: number;
  env?: Record<string, string>;
  redis?: RedisServerOptions;
}

function processEnv(extra: Record<string, string>): Record<string, string> {
  // Nothing of the test runner's environment leaks in but what node needs to start.
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...baseEnv, ...extra };
}

/** Waits until GET /readyz on `url` answers 200; fails at once if the process exits. */
async function waitReady(child: Child, url: string, timeoutMs = 60_000): Promise<void> {
  await Promise.race([
    waitFor(
      `${child.name} ready`,
      timeoutMs,
      async () => ((await call(url, 'GET', '/readyz', undefined, 2_000)).status === 200 ? true : undefined),
      100,
    ),
    child.exited.then((e) => {
      throw new Error(`${child.name} exited (${e.code ?? e.signal}) while starting\n${child.tail()}`);
    }),
  ]);
}

/** `track` sees the child as soon as it is spawned, so that a teardown stops it even if it never gets ready. */
export async function spawnApi(
  name: string,
  env: Record<string, string>,
  port?: number,
  track?: (child: Child) => void,
): Promise<ServiceProcess> {
  const p = port ?? (await freePort());
  const child = spawnChild(name, process.execPath, ['dist/server.js'], processEnv({ ...env, PORT: String(p) }));
  track?.(child);
  const url = `http://127.0.0.1:${p}`;
  await waitReady(child, url);
  return Object.assign(child, { port: p, url, wsUrl: `ws://127.0.0.1:${p}` });
}

export async function spawnWorker(name: string, env: Record<string, string>, track?: (child: Child) => void): Promise<ServiceProcess> {
  const p = await freePort();
  const child = spawnChild(name, process.execPath, ['dist/worker.js'], processEnv({ ...env, WORKER_PORT: String(p) }));
  track?.(child);
  const url = `http://127.0.0.1:${p}`;
  await waitReady(child, url);
  return Object.assign(child, { port: p, url, wsUrl: `ws://127.0.0.1:${p}` });
}

export async function startCluster(t: Tap, options: ClusterOptions = {}): Promise<Cluster> {
  const stale = staleBuildWarning();
  if (stale) t.comment(stale);
  const redis = await startRedisServer(options.redis);
  const inspect = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  inspect.on('error', () => undefined);
  const env = { REDIS_URL: redis.url, ...options.env };
  const apis: ServiceProcess[] = [];
  const workers: ServiceProcess[] = [];
  const runIds = new Set<string>();
  let apiCount = 0;
  let workerCount = 0;
  /** Every child spawned, ready or not. */
  const spawned: Child[] = [];
  const track = (child: Child) => void spawned.push(child);

  t.teardown(async () => {
    try {
      if (!t.passing()) {
        // The whole logs go to files for a post-mortem; the last lines into the test output.
        const dir = mkdtempSync(join(tmpdir(), 'runbox-faults-logs-'));
        for (const child of [...spawned, redis.child]) {
          writeFileSync(
            join(dir, `${child.name.replace(/[^\w.-]/g, '_')}.log`),
            child.logs.map((l) => JSON.stringify(l)).join('\n') + '\n',
          );
          t.comment(`last log lines of ${child.name}:\n${child.tail(40)}`);
        }
        t.comment(`full logs: ${dir}`);
      }
    } finally {
      // Each step runs whatever the one before it did.
      await Promise.allSettled(spawned.map((child) => child.stop(5_000)));
      inspect.disconnect();
      await redis.destroy().catch(() => undefined);
      await removeContainersOf(runIds).catch(() => undefined);
    }
  });

  const cluster: Cluster = {
    redis,
    inspect,
    apis,
    workers,
    get api() {
      return apis[0];
    },
    async startApi(extra = {}, port) {
      const api = await spawnApi(`api${++apiCount}`, { ...env, ...extra }, port, track);
      apis.push(api);
      return api;
    },
    async startWorker(extra = {}) {
      const worker = await spawnWorker(`worker${++workerCount}`, { ...env, ...extra }, track);
      workers.push(worker);
      return worker;
    },
    runIds,
    async submit(body, timeoutMs = 10_000) {
      const reply = await call(cluster.api.url, 'POST', '/runs', body, timeoutMs);
      if (reply.status === 202) runIds.add(reply.body.id);
      return reply;
    },
  };
  // Workers first: each reads the runtime versions at start, and they start side by side.
  await Promise.all(Array.from({ length: options.workers ?? 0 }, () => cluster.startWorker()));
  for (let i = 0; i < (options.apis ?? 1); i++) await cluster.startApi();
  return cluster;
}

/** Log lines at warn (40) or above whose message matches. */
export const warnings = (child: Child, pattern: RegExp) =>
  child.logs.filter((l) => (l.level ?? 0) >= 40 && pattern.test(String(l.msg ?? '')));
