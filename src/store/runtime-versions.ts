// The version of each runtime as its image reports it: workers write them at start, the API
// reads them for GET /runtimes and the facades' language lists.
import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/** language -> version, for the runtimes a worker has reported. */
export async function getRuntimeVersions(redis: Redis, keys: Keys): Promise<Record<string, string>> {
  return redis.hgetall(keys.runtimeVersions());
}

export async function setRuntimeVersions(redis: Redis, keys: Keys, versions: Record<string, string>): Promise<void> {
  if (Object.keys(versions).length > 0) await redis.hset(keys.runtimeVersions(), versions);
}
