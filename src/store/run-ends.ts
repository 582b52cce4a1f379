// When runs end, for whoever waits on one (POST /runs?wait=true, a DELETE that confirms its
// kill): every ending script publishes on its run's event stream key as a channel, and one
// pattern subscription per API process hears them all, instead of a connection and a
// blocking read per request. A published end can be missed while the subscription is away
// (Redis restarting), so a waiter also looks at the run's status now and then.
import type { Redis } from 'ioredis';
import { RunStatus } from '../domain/run-record.js';
import type { Keys } from './keys.js';

/** How often a waiter looks at the status itself, in case an end was published while the subscription was away. */
const CHECK_EVERY_MS = 2000;

export interface EndWatcherOptions {
  /** A connection of its own: a subscribed connection takes no other command. */
  subscriber: Redis;
  /** For the status checks. */
  redis: Redis;
  keys: Keys;
}

export function createEndWatcher({ subscriber, redis, keys }: EndWatcherOptions) {
  const waiters = new Map<string, Set<() => void>>();
  const pattern = keys.events('*');
  const [before, after] = pattern.split('*');
  subscriber.on('pmessage', (_pattern: string, channel: string) => {
    const runId = channel.slice(before.length, channel.length - after.length);
    for (const done of waiters.get(runId) ?? []) done();
  });
  const subscribed = subscriber.psubscribe(pattern);
  subscribed.catch(() => undefined);

  /** Whether the run has ended (its status is not queued or running), or does not exist. */
  async function ended(runId: string): Promise<boolean> {
    const status = await redis.hget(keys.run(runId), 'status');
    return status !== RunStatus.queued && status !== RunStatus.running;
  }

  /** Resolves true once the run has ended, false after `timeoutMs` or at once when `stop` aborts. */
  async function waitForEnd(runId: string, timeoutMs: number, stop?: AbortSignal): Promise<boolean> {
    if (timeoutMs <= 0 || stop?.aborted) return false;
    await subscribed.catch(() => undefined);
    let finish!: (ended: boolean) => void;
    const result = new Promise<boolean>((resolve) => (finish = resolve));
    const onEnd = () => finish(true);
    const onStop = () => finish(false);
    let set = waiters.get(runId);
    if (!set) waiters.set(runId, (set = new Set()));
    set.add(onEnd);
    stop?.addEventListener('abort', onStop, { once: true });
    const timeout = setTimeout(() => finish(false), timeoutMs);
    const check = setInterval(
      () =>
        void ended(runId).then(
          (yes) => yes && finish(true),
          () => undefined,
        ),
      CHECK_EVERY_MS,
    );
    try {
      // The end may have been published before the waiter was in place.
      if (await ended(runId)) return true;
      return await result;
    } finally {
      clearTimeout(timeout);
      clearInterval(check);
      stop?.removeEventListener('abort', onStop);
      set.delete(onEnd);
      if (set.size === 0) waiters.delete(runId);
    }
  }

  return {
    waitForEnd,
    close: () => subscriber.disconnect(),
  };
}
export type EndWatcher = ReturnType<typeof createEndWatcher>;
