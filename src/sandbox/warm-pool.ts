// Sandboxes started ahead of time, each waiting in runbox-run for its one run. A pooled
// sandbox serves exactly one run (or one judged run's tests) and is then removed: never two
// runs in one container, so nothing a run leaves can reach the next.
//
// Pools are kept per profile key (image, Docker runtime, disk, network, root; under gVisor,
// memory, CPUs and pids too, which runc applies with `docker update` when a run differs).
// A profile is kept warm once it is asked for (or listed at start): at least its floor
// (`sizeOf(profile)`), and as many as runs took in any two seconds of the last `idleMs`, up to
// `maxSize`, so a profile under load has a burst's worth waiting; all within a global count and
// a memory budget; dropped after `idleMs` without a run. Filling happens in the background, a
// few launches at a time; a run never waits for it: an empty pool means a cold start.
import type { Logger } from 'pino';
import type { BackgroundGate } from './background-gate.js';
import type { SandboxProfile } from './container-spec.js';

export interface PooledItem {
  profile: SandboxProfile;
  /** When it was started; items older than maxAgeMs are replaced. */
  startedAt: number;
  /** Whether it still answers (its stream may end while it waits: a daemon restart drops it). */
  alive(): boolean;
  discard(): void;
}

export interface WarmPoolOptions<T extends PooledItem> {
  /** Sandboxes kept per profile at least; 0 turns the pool off. */
  size: number;
  /** A profile's own floor over `size` (per runtime: POOL_SIZES). */
  sizeOf?: (profile: SandboxProfile) => number;
  /** Most sandboxes kept per profile when runs take them fast. */
  maxSize: number;
  /** Pooled sandboxes in all (waiting and starting). */
  maxContainers: number;
  /** The memory limits of pooled sandboxes may add up to this much. */
  memoryBudgetMb: number;
  /** A profile no run has asked for in this long is dropped. */
  idleMs: number;
  /** A pooled sandbox older than this is replaced (its deadline is set from it). */
  maxAgeMs: number;
  /** Launches at once. */
  fillConcurrency: number;
  launch(profile: SandboxProfile): Promise<T>;
  log: Logger;
  /** Holds launches while runs are starting (background-gate.ts); none: at once. */
  gate?: BackgroundGate;
  onTake?(hit: boolean): void;
}

/** The pool a profile belongs to: what a container fixes and `docker update` cannot change. */
export function poolKey(profile: SandboxProfile): string {
  const { image, runtime, limits, network, root } = profile;
  const fixed = [image, runtime, `disk=${limits.diskMb}`, `net=${network}`, `root=${root}`];
  // runc takes new memory, CPU and pids limits on a running container; gVisor does not.
  if (runtime === 'runsc') fixed.push(`mem=${limits.memoryMb}`, `cpus=${limits.cpus}`, `pids=${limits.pids}`);
  return fixed.join('|');
}

/** Whether a run of this profile may use a pooled sandbox at all. */
export const poolable = (profile: SandboxProfile) => !profile.network && !profile.root;

/** Takes are counted in windows of this long; a profile keeps as many as its busiest window took. */
const DEMAND_WINDOW_MS = 2000;

interface Pool<T> {
  profile: SandboxProfile;
  ready: T[];
  starting: number;
  lastWanted: number;
  /** No launch before this (after a failure). */
  retryAt: number;
  failures: number;
  /** Takes per demand window: [window start, count], the recent ones. */
  takes: [number, number][];
}

export function createWarmPool<T extends PooledItem>(options: WarmPoolOptions<T>) {
  const pools = new Map<string, Pool<T>>();
  let launching = 0;
  let draining = false;
  const inFlight = new Set<Promise<unknown>>();
  let timer: NodeJS.Timeout | undefined;

  const count = () => [...pools.values()].reduce((n, p) => n + p.ready.length + p.starting, 0);
  const memory = () => [...pools.values()].reduce((mb, p) => mb + (p.ready.length + p.starting) * p.profile.limits.memoryMb, 0);

  function want(profile: SandboxProfile): Pool<T> {
    const key = poolKey(profile);
    let pool = pools.get(key);
    if (!pool) pools.set(key, (pool = { profile, ready: [], starting: 0, lastWanted: Date.now(), retryAt: 0, failures: 0, takes: [] }));
    pool.lastWanted = Date.now();
    return pool;
  }

  /** How many of a profile to keep: its floor, or its busiest recent window, within the most per profile. */
  function target(pool: Pool<T>): number {
    const floor = options.sizeOf?.(pool.profile) ?? options.size;
    const busiest = Math.max(0, ...pool.takes.map(([, n]) => n));
    return Math.min(Math.max(floor, busiest), Math.max(floor, options.maxSize));
  }

  function countTake(pool: Pool<T>, now: number): void {
    const window = now - (now % DEMAND_WINDOW_MS);
    const last = pool.takes.at(-1);
    if (last && last[0] === window) last[1]++;
    else pool.takes.push([window, 1]);
    while (pool.takes.length > 0 && pool.takes[0][0] < now - options.idleMs) pool.takes.shift();
  }

  const fill = (): void => (options.gate ? options.gate.whenQuiet(fillNow) : fillNow());

  function fillNow(): void {
    if (draining || options.size === 0) return;
    const now = Date.now();
    for (const pool of pools.values()) {
      while (pool.ready.length + pool.starting < target(pool) && launching < options.fillConcurrency && pool.retryAt <= now) {
        if (count() >= options.maxContainers || memory() + pool.profile.limits.memoryMb > options.memoryBudgetMb) return;
        launching++;
        pool.starting++;
        const launch = options
          .launch(pool.profile)
          .then(
            (item) => {
              pool.failures = 0;
              if (draining || !pools.has(poolKey(pool.profile))) item.discard();
              else pool.ready.push(item);
            },
            (error) => {
              pool.failures++;
              pool.retryAt = Date.now() + Math.min(60_000, 1000 * 2 ** Math.min(pool.failures, 6));
              options.log.warn({ err: error, profile: poolKey(pool.profile) }, 'could not start a pooled sandbox');
            },
          )
          .finally(() => {
            launching--;
            pool.starting--;
            inFlight.delete(launch);
            fill();
          });
        inFlight.add(launch);
      }
    }
  }

  /** Drops idle profiles and sandboxes too old to keep; refills. */
  function tend(): void {
    const now = Date.now();
    for (const [key, pool] of pools) {
      const old = pool.ready.filter((item) => now - item.startedAt > options.maxAgeMs || !item.alive());
      for (const item of old) item.discard();
      pool.ready = pool.ready.filter((item) => !old.includes(item));
      if (now - pool.lastWanted > options.idleMs && pool.starting === 0) {
        for (const item of pool.ready) item.discard();
        pools.delete(key);
      }
    }
    fill();
  }

  return {
    /** Keeps these profiles warm from now on. */
    warm(profiles: readonly SandboxProfile[]): void {
      if (options.size === 0) return;
      for (const profile of profiles) if (poolable(profile)) want(profile);
      fill();
    },

    /** A waiting sandbox for this profile, if one is ready; never waits. */
    take(profile: SandboxProfile): T | undefined {
      if (options.size === 0 || draining || !poolable(profile)) return undefined;
      const pool = want(profile);
      countTake(pool, Date.now());
      let item = pool.ready.shift();
      while (item && !item.alive()) {
        item.discard();
        item = pool.ready.shift();
      }
      options.onTake?.(item !== undefined);
      fill();
      return item;
    },

    start(): void {
      timer = setInterval(tend, Math.max(1000, Math.min(30_000, options.maxAgeMs / 4)));
      timer.unref();
    },

    /** Stops keeping sandboxes of the images `gone` names (a custom runtime deleted): those waiting are removed, those starting when they land. */
    forget(gone: (image: string) => boolean): void {
      for (const [key, pool] of pools) {
        if (!gone(pool.profile.image)) continue;
        for (const item of pool.ready.splice(0)) item.discard();
        pools.delete(key);
      }
    },

    /** Removes every pooled sandbox; waits for launches in flight and removes them too. */
    async drain(): Promise<void> {
      draining = true;
      clearInterval(timer);
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      for (const pool of pools.values()) for (const item of pool.ready.splice(0)) item.discard();
      pools.clear();
    },

    /** Pooled sandboxes waiting, per profile key. */
    sizes(): Record<string, number> {
      return Object.fromEntries([...pools].map(([key, pool]) => [key, pool.ready.length]));
    },
  };
}

export type WarmPool<T extends PooledItem> = ReturnType<typeof createWarmPool<T>>;
