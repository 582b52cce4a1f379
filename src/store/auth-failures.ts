// Failed authentications per client address, counted in Redis in a fixed window (a counter
// that expires with it) so that every API process shares the count: past the limit an
// address is refused until the window ends, before any key it sends is checked.
import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';
import { luaScript } from './lua-script.js';

// KEYS: counter; ARGV: limit. Milliseconds until the window ends when the limit is reached, else 0.
const BLOCKED_FOR = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count < tonumber(ARGV[1]) then return 0 end
return math.max(redis.call('PTTL', KEYS[1]), 1)`;
const blockedFor = luaScript(BLOCKED_FOR);

// KEYS: counter; ARGV: window ms. The first failure of a window starts it (and a counter
// that has somehow lost its expiry gets one, so no address is refused for good).
const RECORD = `
local count = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count`;
const recordFailure = luaScript(RECORD);

export interface AuthFailureOptions {
  redis: Redis;
  keys: Keys;
  /** Failures an address may have in a window; 0 counts nothing and refuses no one. */
  limit: number;
  windowMs?: number;
}

export function createAuthFailureCounter({ redis, keys, limit, windowMs = 60_000 }: AuthFailureOptions) {
  return {
    /** Milliseconds until `address` may try again; 0 while it is under the limit. */
    async blockedForMs(address: string): Promise<number> {
      if (limit === 0) return 0;
      return (await blockedFor(redis, [keys.authFailures(address)], limit)) as number;
    },
    /** Counts one failed authentication of `address`. */
    async record(address: string): Promise<void> {
      if (limit === 0) return;
      await recordFailure(redis, [keys.authFailures(address)], windowMs);
    },
  };
}

export type AuthFailureCounter = ReturnType<typeof createAuthFailureCounter>;
