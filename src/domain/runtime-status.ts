// Whether a runtime can take runs, one model for the built-in runtimes (their images, built
// by `make images` or in the background on a first start) and custom ones (built from a
// Dockerfile on a worker): ready, building or failed, and unknown while no worker has said.
// Pure: the store keeps what workers report, this decides what it means.

export const RuntimeStatus = {
  /** A worker has the image (its version is known): runs are taken. */
  ready: 'ready',
  /** Its image is being built: runs are refused with 503 runtime_not_ready and Retry-After. */
  building: 'building',
  /** Its image could not be built, or is missing where no build was asked for: runs are refused with 503. */
  failed: 'failed',
  /** No worker has reported on it yet (none has started): runs are queued, as for a ready one. */
  unknown: 'unknown',
} as const;
export type RuntimeStatus = (typeof RuntimeStatus)[keyof typeof RuntimeStatus];

/** What a worker reported about a built-in runtime whose image it does not have (yet). */
export interface RuntimeState {
  status: typeof RuntimeStatus.building | typeof RuntimeStatus.failed;
  /** Where a build is (e.g. "step 3/6: RUN apt-get install ..."), or its place in line. */
  progress?: string;
  /** Why it failed: the end of the build's output, or that the image is missing. */
  error?: string;
  /** When the worker last said so (ms since the epoch): a building state is renewed while the build runs. */
  updatedAt: number;
}

/** A building state not renewed for this long was left by a worker that went away: it no longer holds runs back. */
export const STATE_STALE_MS = 90_000;

export interface RuntimeCondition {
  status: RuntimeStatus;
  progress?: string;
  error?: string;
}

/**
 * A built-in runtime's status: ready once any worker has its image (it reported a version),
 * else what the workers reported, else unknown. A building state that has not been renewed
 * within STATE_STALE_MS is unknown.
 */
export function builtinCondition(version: string | undefined, state: RuntimeState | undefined, now: number): RuntimeCondition {
  if (version !== undefined) return { status: RuntimeStatus.ready };
  if (!state || (state.status === RuntimeStatus.building && now - state.updatedAt > STATE_STALE_MS))
    return { status: RuntimeStatus.unknown };
  return {
    status: state.status,
    ...(state.progress === undefined ? {} : { progress: state.progress }),
    ...(state.error === undefined ? {} : { error: state.error }),
  };
}

/** Whether runs of a runtime in this condition are taken (ready, or not reported on yet). */
export const takesRuns = (condition: RuntimeCondition) =>
  condition.status === RuntimeStatus.ready || condition.status === RuntimeStatus.unknown;
