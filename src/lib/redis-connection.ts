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

export function createRedisFactory(url: string): RedisFactory {
  const make = (options: RedisOptions) => new Redis(url, { lazyConnect: false, ...options });
  return {
    commands: () => make({ maxRetriesPerRequest: 2 }),
    blocking: () => make({ maxRetriesPerRequest: 1 }),
    bullmq: () => make({ maxRetriesPerRequest: null }),
  };
}
