// Reads many hashes in one round trip (the records of a list).
import type { Redis } from 'ioredis';

export async function readHashes(redis: Redis, keys: readonly string[]): Promise<Record<string, string>[]> {
  if (keys.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.hgetall(key);
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([, fields]) => (fields ?? {}) as Record<string, string>);
}
