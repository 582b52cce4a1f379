// A Lua script called by its SHA-1 (EVALSHA): its text crosses the wire, and is hashed by
// Redis, once, not on every call. After a Redis restart or a SCRIPT FLUSH, Redis answers
// NOSCRIPT and the text is sent once more (EVAL, which also caches it again).
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export type LuaArgument = string | number | Buffer;

export function luaScript(source: string) {
  const sha = createHash('sha1').update(source).digest('hex');
  return async (redis: Redis, keys: readonly string[], ...args: LuaArgument[]): Promise<unknown> => {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!/NOSCRIPT/.test((error as Error).message)) throw error;
      return redis.eval(source, keys.length, ...keys, ...args);
    }
  };
}
