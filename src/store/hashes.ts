// Reads many hashes in one round trip (the records of a list).
import type { Redis } from 'ioredis';
import { pipelineReplies } from './pipeline-replies.js';

export async function readHashes(redis: Redis, keys: readonly string[]): Promise<Record<string, string>[]> {
  if (keys.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.hgetall(key);
  return (await pipelineReplies(pipeline)).map((fields) => (fields ?? {}) as Record<string, string>);
}
