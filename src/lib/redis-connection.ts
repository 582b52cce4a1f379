// Redis connections. Each blocking reader and each BullMQ role needs its own connection;
// these factories make that explicit.
import { Redis, type RedisOptions } from 'ioredis';
import { CLUSTER_REFUSED, redisTarget, RedisUrlError } from './redis-url.js';

export interface RedisFactory {
  /** Plain commands of the API: once connected, a command while Redis is away fails at once (503), never waits. */
  commands(): Redis;
  /** The API's BullMQ queues (adding jobs, counting them): fails fast like commands(). */
  producer(): Redis;
  /** Plain commands of a worker: wait for Redis to come back, so a run's frames and final record are written late, not lost. */
  durable(): Redis;
  /** A connection for one blocking read (XREAD BLOCK). */
  blocking(): Redis;
  /** For BullMQ workers, which require maxRetriesPerRequest: null. */
  bullmq(): Redis;
}

/** How long an API connection may take to reach Redis before the attempt counts as failed. */
const CONNECT_TIMEOUT_MS = 2_000;

/**
 * Until its first connection a command waits for it (start-up); from then on a command sent
 * while Redis is away fails at once instead of waiting in ioredis's offline queue, where a
 * request would hang and a write the client was told failed could still land later.
 */
function failFast(redis: Redis): Redis {
  redis.once('ready', () => {
    redis.options.enableOfflineQueue = false;
  });
  return redis;
}

/** ioredis gave up on a command: Redis is down or unreachable (restarting, failing over), which may pass. */
export function isRedisUnavailable(error: Error): boolean {
  return (
    error.name === 'MaxRetriesPerRequestError' ||
    /Connection is closed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|Stream isn't writeable|LOADING|READONLY/.test(error.message)
  );
}

/**
 * `command` again, every 250 ms, while Redis is unreachable (a restart, a Sentinel failover),
 * for up to `maxMs`: for what a client has waited for already and should not lose to a blip.
 */
export async function whileUnavailable<T>(command: () => Promise<T>, maxMs = 20_000): Promise<T> {
  const since = Date.now();
  for (;;) {
    try {
      return await command();
    } catch (error) {
      if (!isRedisUnavailable(error as Error) || Date.now() - since > maxMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** Readiness: says at once that the connection is down instead of waiting for it. */
export async function pingRedis(redis: Redis): Promise<void> {
  if (redis.status !== 'ready') throw new Error(`no connection to Redis (${redis.status})`);
  await redis.ping();
}

/**
 * Warns when the Redis in use may evict keys: a run record or a queued job could vanish.
 * (Some managed Redis refuse CONFIG; then nothing is said.)
 */
export async function warnIfEvicting(redis: Redis, log: { warn(obj: object, msg: string): void }): Promise<void> {
  const reply = (await redis.config('GET', 'maxmemory-policy').catch(() => undefined)) as string[] | undefined;
  const policy = reply?.[1];
  if (policy && policy !== 'noeviction') {
    log.warn(
      { policy },
      'Redis may evict keys (maxmemory-policy is not noeviction): records and queued runs could be lost; see deploy/redis.conf',
    );
  }
}

/**
 * Refuses a Redis Cluster node at start: runbox's Lua steps touch keys of several slots, which
 * a cluster would refuse run after run (docs/deployment.md says why and what to use instead).
 */
export async function refuseCluster(redis: Redis): Promise<void> {
  const info = await redis.info('cluster');
  if (/^cluster_enabled:1/m.test(info)) throw new RedisUrlError(CLUSTER_REFUSED);
}

/** How often one connection says it cannot reach Redis while it keeps trying again. */
export const CONNECTION_ERROR_LOG_INTERVAL_MS = 10_000;

interface WarningLog {
  warn(obj: object, msg: string): void;
}

/**
 * A connection's failed attempts as log lines, at most one per interval per connection: without
 * a listener ioredis prints each one with its stack to stderr, past the structured log, every
 * retry of every connection for as long as Redis is away.
 */
export function logConnectionErrors(redis: Redis, role: string, log: WarningLog, intervalMs = CONNECTION_ERROR_LOG_INTERVAL_MS): Redis {
  let loggedAt = -Infinity;
  redis.on('error', (error: Error) => {
    const now = Date.now();
    if (now - loggedAt < intervalMs) return;
    loggedAt = now;
    log.warn({ role, error: error.message }, 'cannot reach Redis; trying again');
  });
  return redis;
}

/**
 * Connections to REDIS_URL: one server, or the primary a Sentinel set names (redis+sentinel://).
 * Each connection's errors go to `log` (logConnectionErrors).
 */
export function createRedisFactory(url: string, log: WarningLog): RedisFactory {
  const target = redisTarget(url);
  const make = (role: keyof RedisFactory, options: RedisOptions) => {
    const redis =
      'url' in target
        ? new Redis(target.url, { lazyConnect: false, ...options })
        : new Redis({ ...target.options, lazyConnect: false, ...options });
    return logConnectionErrors(redis, role, log);
  };
  return {
    commands: () => failFast(make('commands', { maxRetriesPerRequest: 1, connectTimeout: CONNECT_TIMEOUT_MS })),
    producer: () => failFast(make('producer', { maxRetriesPerRequest: 1, connectTimeout: CONNECT_TIMEOUT_MS })),
    durable: () => make('durable', { maxRetriesPerRequest: null }),
    blocking: () => make('blocking', { maxRetriesPerRequest: 1, connectTimeout: CONNECT_TIMEOUT_MS }),
    bullmq: () => make('bullmq', { maxRetriesPerRequest: null }),
  };
}
