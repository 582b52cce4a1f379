// Waits for a run's end frame (POST ?wait=true, DELETE of a running run), up to a timeout.
import type { Redis } from 'ioredis';
import { readFrames } from '../store/event-stream.js';
import type { Keys } from '../store/keys.js';

/** Resolves true when the run ended within `timeoutMs` (false at once when `stop` aborts). Uses a connection of its own. */
export async function waitForEnd(connect: () => Redis, keys: Keys, runId: string, timeoutMs: number, stop?: AbortSignal): Promise<boolean> {
  if (timeoutMs <= 0 || stop?.aborted) return false;
  const redis = connect();
  const signal = stop ? AbortSignal.any([AbortSignal.timeout(timeoutMs), stop]) : AbortSignal.timeout(timeoutMs);
  try {
    for await (const frame of readFrames(redis, keys, runId, { after: 0, signal, blockMs: Math.min(timeoutMs, 1000) })) {
      if (frame.kind === 'end') return true;
    }
    return false;
  } finally {
    redis.disconnect();
  }
}
