// The sandbox as the worker sees it: open a session for a profile (from the warm pool when one
// waits, else a cold start), and the housekeeping around it: used containers removed off the
// run's path, the pool drained on shutdown. The only module, with the reaper and the version
// reader, that talks to Docker.
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import type { SandboxProfile } from './container-spec.js';
import { createBackgroundGate } from './background-gate.js';
import { createContainerLifecycle, SandboxFault, type ContainerHandle } from './container-lifecycle.js';
import { createRunnerChannel, type RunnerChannel } from './runner-channel.js';
import { KEY_BYTES } from './runner-protocol.js';
import { SandboxSession } from './sandbox-session.js';
import { POOL_OWNER } from './sandbox-names.js';
import { createWarmPool, poolKey, type PooledItem, type WarmPoolOptions } from './warm-pool.js';

/** How long past its own lifetime a sandbox may live before the reaper removes it. */
export const DEADLINE_GRACE_MS = 30_000;

export type PoolSettings = Pick<
  WarmPoolOptions<PooledItem>,
  'size' | 'sizeOf' | 'maxSize' | 'maxContainers' | 'memoryBudgetMb' | 'idleMs' | 'maxAgeMs' | 'fillConcurrency'
>;

export interface SandboxOptions {
  docker: Docker;
  log: Logger;
  /** Extra wall time past the limit before the worker kills a sandbox itself. */
  killGraceMs?: number;
  pool?: PoolSettings;
  /** Each session opened: from the pool (warm) or started for it (cold), and how long that took. */
  onOpened?: (source: 'warm' | 'cold', seconds: number) => void;
}

export interface OpenOptions {
  /** Whose it is: a run id (its container's name says so). */
  owner: string;
  /** How long it may live; the reaper removes it DEADLINE_GRACE_MS after. */
  lifetimeMs: number;
  /** false: always a fresh start, and no pool kept for the profile (a snapshot's image, used once). */
  pool?: boolean;
}

interface Started extends PooledItem {
  container: ContainerHandle;
  channel: RunnerChannel;
}

/**
 * Removals at once. A removal holds its place while the sandbox, asked to quit, exits (a few
 * hundred ms under load), so with 4 they fell behind a saturating load: 25-60 used sandboxes
 * more waiting per 500 runs, every container operation slower for them, and their removal
 * owed after the load. With 8 the backlog stays under 20 and the rate is the same or better.
 */
const REMOVE_CONCURRENCY = 8;
/** How long a removal waits for a sandbox asked to quit to exit by itself, before it is killed. */
const EXIT_WAIT_MS = 2000;
/**
 * A removal the engine refused (it is restarting, say) is tried again this often, this many
 * times (two minutes), before the sandbox is left to the reaper: a pooled one's deadline is
 * POOL_MAX_AGE_MS away, and live-restore keeps it running across the restart meanwhile.
 */
const REMOVE_RETRY_MS = 5000;
const REMOVE_TRIES = 24;
/** Background work (pool launches, removals) goes once no run has been under way for this long... */
const BACKGROUND_QUIET_MS = 20;
/** ...or this long after it was first held, at the latest. */
const BACKGROUND_MAX_DELAY_MS = 250;

export function createSandbox(options: SandboxOptions) {
  const { docker, log } = options;
  const killGraceMs = options.killGraceMs ?? 2000;
  const lifecycle = createContainerLifecycle({ docker });
  const removals = new Set<Promise<void>>();
  const removeQueue: { container: ContainerHandle; quit?: () => Promise<void>; tries: number }[] = [];
  let removing = 0;
  /** Containers launched and not yet removed (or handed to the reaper). */
  let live = 0;

  /** Background work waits while runs are starting. */
  const gate = createBackgroundGate({ quietMs: BACKGROUND_QUIET_MS, maxDelayMs: BACKGROUND_MAX_DELAY_MS });
  const pumpRemovals = () => gate.whenQuiet(removeNow);

  function removeNow(): void {
    while (removing < REMOVE_CONCURRENCY && removeQueue.length > 0) {
      const { container, quit, tries } = removeQueue.shift()!;
      removing++;
      let again = false;
      // One that still answers is asked to quit and waited for a moment, then removed.
      const removal = (quit ? Promise.race([quit(), new Promise<void>((r) => setTimeout(r, EXIT_WAIT_MS).unref())]) : Promise.resolve())
        .then(() => container.remove())
        .catch((error) => {
          again = tries + 1 < REMOVE_TRIES;
          if (!again) log.error({ err: error, container: container.id }, 'could not remove a sandbox; the reaper will');
          else if (tries === 0) log.warn({ err: error, container: container.id }, 'could not remove a sandbox; trying again');
        })
        .finally(() => {
          removing--;
          removals.delete(removal);
          if (again) setTimeout(() => dispose(container, undefined, tries + 1), REMOVE_RETRY_MS).unref();
          else live--;
          removeNow();
        });
      removals.add(removal);
    }
  }

  const dispose = (container: ContainerHandle, quit?: () => Promise<void>, tries = 0) => {
    removeQueue.push({ container, quit, tries });
    pumpRemovals();
  };

  /** A started container with runbox-run ready on its channel. */
  async function start(profile: SandboxProfile, deadlineMs: number, owner: string): Promise<Started> {
    const container = await lifecycle.launch(profile, deadlineMs, owner);
    live++;
    const channel = createRunnerChannel(container.stream, randomBytes(KEY_BYTES));
    try {
      await channel.start();
    } catch (error) {
      dispose(container);
      throw new SandboxFault(
        `the sandbox did not get ready: ${(error as Error).message}${channel.diagnostics() ? ` (${channel.diagnostics()})` : ''}`,
        'start',
        undefined,
        { cause: error },
      );
    }
    const item: Started = {
      container,
      channel,
      profile,
      startedAt: Date.now(),
      alive: () => !channel.broken,
      discard: () => dispose(container),
    };
    return item;
  }

  const poolSettings = options.pool ?? {
    size: 0,
    maxSize: 0,
    maxContainers: 0,
    memoryBudgetMb: 0,
    idleMs: 0,
    maxAgeMs: 600_000,
    fillConcurrency: 1,
  };
  const pool = createWarmPool<Started>({
    ...poolSettings,
    log,
    launch: (profile) => start(profile, Date.now() + poolSettings.maxAgeMs + DEADLINE_GRACE_MS, POOL_OWNER),
    gate,
  });
  pool.start();

  const session = (item: Started) => new SandboxSession({ container: item.container, channel: item.channel, log, killGraceMs, dispose });

  /**
   * A sandbox for `profile`, ready for commands. From the pool when one waits (its limits
   * updated to the run's, its name to the run's deadline), else started now.
   */
  async function open(profile: SandboxProfile, openOptions: OpenOptions): Promise<SandboxSession> {
    const ended = gate.runStarted();
    const began = performance.now();
    try {
      const { opened, source } = await openSession(profile, openOptions);
      options.onOpened?.(source, (performance.now() - began) / 1000);
      opened.onClose(ended);
      return opened;
    } catch (error) {
      ended();
      throw error;
    }
  }

  async function openSession(
    profile: SandboxProfile,
    { owner, lifetimeMs, pool: pooling = true }: OpenOptions,
  ): Promise<{ opened: SandboxSession; source: 'warm' | 'cold' }> {
    if (profile.root && profile.runtime !== 'runsc') {
      // Root inside under runc only on an engine that remaps users: asked here, so a wrong
      // USERNS_REMAP never makes a program root on the host.
      const remaps = await lifecycle.remapsUsers().catch((error: Error) => {
        throw new SandboxFault(`cannot ask the Docker engine whether it remaps users: ${error.message}`, 'create', undefined, {
          cause: error,
        });
      });
      if (!remaps) {
        throw new SandboxFault(
          'root inside refused: this Docker engine does not run with userns-remap, so root in a runc container would be root on the host (see docs/security.md)',
          'create',
          403,
        );
      }
    }
    const deadline = Date.now() + lifetimeMs + DEADLINE_GRACE_MS;
    const pooled = pooling ? pool.take(profile) : undefined;
    if (pooled) {
      const { limits } = pooled.profile;
      const differs =
        limits.memoryMb !== profile.limits.memoryMb || limits.cpus !== profile.limits.cpus || limits.pids !== profile.limits.pids;
      try {
        if (differs) await pooled.container.update(profile.limits);
        // Its pool deadline would lapse mid-run: the run's own, and the run's id, from now on.
        pooled.container
          .rename(deadline, owner)
          .catch((error) =>
            log.warn(
              { err: error, container: pooled.container.id },
              'could not rename a pooled sandbox; the reaper may take it at its pool deadline',
            ),
          );
        return { opened: session(pooled), source: 'warm' };
      } catch (error) {
        log.warn({ err: error, profile: poolKey(profile) }, "a pooled sandbox could not take the run's limits; starting one");
        pooled.discard();
      }
    }
    return { opened: session(await start(profile, deadline, owner)), source: 'cold' };
  }

  return {
    open,
    /** Keeps sandboxes of these profiles waiting. */
    warm: (profiles: readonly SandboxProfile[]) => pool.warm(profiles),
    poolSizes: () => pool.sizes(),
    /** Sandboxes on the engine that are this worker's: waiting in the pool, in use, or being removed. */
    liveCount: () => live,
    /** No more warm sandboxes of these images (their runtime was deleted). */
    forgetImages: (gone: (image: string) => boolean) => pool.forget(gone),
    ping: () => lifecycle.ping(),
    remapsUsers: () => lifecycle.remapsUsers(),
    /** Drains the pool and waits for every removal. */
    async close(): Promise<void> {
      await pool.drain();
      // Shutting down: nothing to make way for any more.
      while (removals.size > 0 || removeQueue.length > 0) {
        removeNow();
        await Promise.allSettled([...removals]);
      }
    },
  };
}

export type Sandbox = ReturnType<typeof createSandbox>;
