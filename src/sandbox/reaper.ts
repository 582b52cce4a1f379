// Removes sandboxes that outlived their deadline (read from their name, sandbox-names.ts): left
// by a worker that crashed, or by a remove that failed; pooled sandboxes that have exited (their
// runbox-run is gone, so no worker can use them: a worker that died without draining its pool
// leaves them, and their pool deadline is up to POOL_MAX_AGE_MS away) or were never started
// (a launch cut short after its create); and snapshot images
// past their expiry (snapshot-images.ts). Safe with many workers on one host: it only takes
// expired or dead ones, and a worker that keeps a sandbox longer (a session in use) moves its
// deadline first.
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { SANDBOX_LABEL } from './container-spec.js';
import { parseSandboxName, POOL_OWNER } from './sandbox-names.js';

/**
 * How long a pooled sandbox must have been exited before the reaper takes it: a run that took
 * it and ended at once may still be renaming it to its own id, and may inspect its end.
 */
export const EXITED_POOL_GRACE_MS = 30_000;

export interface ReaperOptions {
  docker: Docker;
  log: Logger;
  intervalMs: number;
  /** Snapshot images, removed past their expiry. */
  snapshots?: { reapExpired(now: number): Promise<number> };
}

export function createReaper({ docker, log, intervalMs, snapshots }: ReaperOptions) {
  let timer: NodeJS.Timeout | undefined;

  /** Removes every runbox sandbox whose deadline has passed; returns how many. */
  async function reapOnce(now = Date.now()): Promise<number> {
    const containers = await docker.listContainers({ all: true, filters: { label: [`${SANDBOX_LABEL}=true`] } });
    // A sandbox whose name carries no deadline was made by something else under our label: gone at once.
    const expired = containers.filter((c) => (parseSandboxName(c.Names[0] ?? '')?.deadlineMs ?? 0) < now);
    const stray = [...expired, ...(await deadPooled(containers, now))];
    await Promise.all(
      stray.map((c) =>
        docker
          .getContainer(c.Id)
          .remove({ force: true, v: true })
          .catch((error) => log.warn({ err: error, container: c.Id }, 'reaper could not remove a sandbox')),
      ),
    );
    if (stray.length > 0) log.info({ removed: stray.length }, 'reaper removed stray sandboxes');
    // After the sandboxes: an image is only removed once no container uses it.
    await snapshots?.reapExpired(now).catch((error) => log.warn({ err: error }, 'reaper could not list snapshot images'));
    return stray.length;
  }

  /**
   * Pooled sandboxes, still within their deadline, that exited more than EXITED_POOL_GRACE_MS
   * ago, or were created that long ago and never started (a launch that failed after the
   * create, with the engine going away: the pool only keeps started ones).
   */
  async function deadPooled(containers: Docker.ContainerInfo[], now: number): Promise<Docker.ContainerInfo[]> {
    const pooled = containers.filter((c) => {
      const name = parseSandboxName(c.Names[0] ?? '');
      return name?.owner === POOL_OWNER && name.deadlineMs >= now;
    });
    const neverStarted = pooled.filter((c) => c.State === 'created' && now - c.Created * 1000 > EXITED_POOL_GRACE_MS);
    const exited = pooled.filter((c) => c.State === 'exited');
    const finished = await Promise.all(
      exited.map((c) =>
        docker
          .getContainer(c.Id)
          .inspect()
          .then(
            (info) => Date.parse(info.State.FinishedAt),
            () => undefined,
          ),
      ),
    );
    return [...neverStarted, ...exited.filter((_, i) => finished[i] !== undefined && now - finished[i]! > EXITED_POOL_GRACE_MS)];
  }

  /** Removes the sandboxes of these owners (sessions found lost: their worker died), whatever their deadline. */
  async function reapOwners(owners: readonly string[]): Promise<number> {
    const wanted = new Set(owners);
    const containers = await docker.listContainers({ all: true, filters: { label: [`${SANDBOX_LABEL}=true`] } });
    const theirs = containers.filter((c) => wanted.has(parseSandboxName(c.Names[0] ?? '')?.owner ?? ''));
    await Promise.all(
      theirs.map((c) =>
        docker
          .getContainer(c.Id)
          .remove({ force: true, v: true })
          .catch((error) => log.warn({ err: error, container: c.Id }, 'reaper could not remove a sandbox')),
      ),
    );
    if (theirs.length > 0) log.info({ removed: theirs.length }, 'reaper removed the sandboxes of lost sessions');
    return theirs.length;
  }

  function start(): void {
    timer = setInterval(() => void reapOnce().catch((error) => log.warn({ err: error }, 'reaper pass failed')), intervalMs);
    timer.unref();
  }

  function stop(): void {
    if (timer) clearInterval(timer);
  }

  return { reapOnce, reapOwners, start, stop };
}
