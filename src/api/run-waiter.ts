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
    // Only the end matters: start after the last output frame written so far, not at the
    // first, so a run with megabytes of output is not read through to find it.
    const [last] = await redis.xrevrange(keys.events(runId), '+', '-', 'COUNT', 1);
    const after = last ? Number(last[0].split('-')[0]) : 0;
    for await (const frame of readFrames(redis, keys, runId, { after, signal, blockMs: Math.min(timeoutMs, 1000) })) {
      if (frame.kind === 'end') return true;
    }
    return false;
  } finally {
    redis.disconnect();
  }
}
