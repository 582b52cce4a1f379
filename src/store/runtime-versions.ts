// Each runtime's version as a worker read it from its image: a hash language -> version that
// workers write at start and GET /runtimes reads.
import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

export interface RuntimeVersionStoreOptions {
  redis: Redis;
  keys: Keys;
}

export function createRuntimeVersionStore({ redis, keys }: RuntimeVersionStoreOptions) {
  return {
    /** Language -> version, for the runtimes some worker has reported. */
    async read(): Promise<Record<string, string>> {
      return redis.hgetall(keys.runtimeVersions());
    },
    /** Records the versions this worker read (other languages keep theirs). */
    async write(versions: Record<string, string>): Promise<void> {
      if (Object.keys(versions).length > 0) await redis.hset(keys.runtimeVersions(), versions);
    },
  };
}
export type RuntimeVersionStore = ReturnType<typeof createRuntimeVersionStore>;
