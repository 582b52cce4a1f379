// Redis connections. Each blocking reader and each BullMQ role needs its own connection;
// these factories make that explicit.
import { Redis, type RedisOptions } from 'ioredis';

export interface RedisFactory {
  /** Plain commands of the API: fail fast when Redis is away instead of queueing forever. */
  commands(): Redis;
  /** A connection for one blocking read (XREAD BLOCK). */
  blocking(): Redis;
  /** For BullMQ, which requires maxRetriesPerRequest: null. */
  bullmq(): Redis;
}

/**
 * Warns when the Redis in use may evict keys: a run record or a queued job could vanish.
 * (Some managed Redis refuse CONFIG; then nothing is said.)
 */
export async function warnIfEvicting(redis: Redis, log: { warn(obj: object, msg: string): void }): Promise<void> {
  const reply = (await redis.config('GET', 'maxmemory-policy').catch(() => undefined)) as string[] | undefined;
  const policy = reply?.[1];
  if (policy && policy !== 'noeviction') {
    log.warn({ policy }, 'Redis may evict keys (maxmemory-policy is not noeviction): records and queued runs could be lost; see deploy/redis.conf');
  }
}

export function createRedisFactory(url: string): RedisFactory {
  const make = (options: RedisOptions) => new Redis(url, { lazyConnect: false, ...options });
  return {
    commands: () => make({ maxRetriesPerRequest: 2 }),
    blocking: () => make({ maxRetriesPerRequest: 1 }),
    bullmq: () => make({ maxRetriesPerRequest: null }),
  };
}
