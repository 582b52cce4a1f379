// Resource limits: server defaults, per-runtime defaults, server maxima, and the one pure
// function that layers a request's limits over them. A request may only ask for values up
// to the maxima; a runtime's defaults (a JVM wants more memory) never exceed them either.

import { Type, type Static } from '@sinclair/typebox';

export const LimitsSchema = Type.Object(
  {
    timeMs: Type.Integer({ minimum: 1, description: 'wall-time limit, milliseconds' }),
    cpuTimeMs: Type.Integer({ minimum: 1, description: 'CPU-time limit (user + system, all processes), milliseconds' }),
    memoryMb: Type.Integer({ minimum: 8, description: 'memory limit (no swap), MiB' }),
    cpus: Type.Number({ minimum: 0.01, description: 'CPU quota, cores (at least 0.01: the kernel refuses a smaller quota)' }),
    pids: Type.Integer({ minimum: 4, description: 'most processes and threads' }),
    outputBytes: Type.Integer({ minimum: 1, description: 'cap on stdout and on stderr, each, bytes' }),
    diskMb: Type.Integer({ minimum: 1, description: 'size of the writable work folder, MiB' }),
  },
  { additionalProperties: false },
);
export type Limits = Static<typeof LimitsSchema>;

export type LimitName = keyof Limits;
export const limitNames = Object.keys(LimitsSchema.properties) as readonly LimitName[];

export class LimitExceededError extends Error {
  override name = 'LimitExceededError';
  constructor(
    readonly limit: LimitName,
    readonly requested: number,
    readonly maximum: number,
  ) {
    super(`limits.${limit} is ${requested}, above the server maximum of ${maximum}`);
  }
}

/**
 * Server defaults, then the runtime's defaults (clamped to the maxima), then the request.
 * A request that raises the CPU limit but names no wall limit gets a wall limit of twice
 * its CPU limit (within the maximum), so the CPU limit can be reached.
 */
export function resolveLimits(
  requested: Partial<Limits> | undefined,
  defaults: Limits,
  maxima: Limits,
  runtimeDefaults: Partial<Limits> = {},
): Limits {
  const limits = { ...defaults };
  for (const name of limitNames) {
    const value = runtimeDefaults[name];
    if (value !== undefined) limits[name] = Math.min(value, maxima[name]);
  }
  for (const name of limitNames) {
    const value = requested?.[name];
    if (value === undefined) continue;
    if (value > maxima[name]) throw new LimitExceededError(name, value, maxima[name]);
    limits[name] = value;
  }
  if (requested?.cpuTimeMs !== undefined && requested.timeMs === undefined) {
    limits.timeMs = Math.min(Math.max(limits.timeMs, 2 * requested.cpuTimeMs), maxima.timeMs);
  }
  return limits;
}

/** The limits one exec in a session may set; the rest are the session's, fixed by its sandbox. */
export type ExecLimits = Pick<Limits, 'timeMs' | 'cpuTimeMs' | 'outputBytes'>;

/**
 * An exec's limits: the session's, then the exec's own timeMs and cpuTimeMs up to the maxima.
 * Raising one raises the other where the exec names only one: a longer wall limit gives the
 * CPU limit as much (so a computation may use it), a larger CPU limit a wall limit of twice it.
 */
export function resolveExecLimits(
  session: ExecLimits,
  requested: Partial<Pick<Limits, 'timeMs' | 'cpuTimeMs'>>,
  maxima: Pick<Limits, 'timeMs' | 'cpuTimeMs'>,
): ExecLimits {
  for (const name of ['timeMs', 'cpuTimeMs'] as const) {
    const value = requested[name];
    if (value !== undefined && value > maxima[name]) throw new LimitExceededError(name, value, maxima[name]);
  }
  const { timeMs, cpuTimeMs } = requested;
  return {
    timeMs: timeMs ?? (cpuTimeMs !== undefined ? Math.min(Math.max(session.timeMs, 2 * cpuTimeMs), maxima.timeMs) : session.timeMs),
    cpuTimeMs: cpuTimeMs ?? (timeMs !== undefined ? Math.min(Math.max(session.cpuTimeMs, timeMs), maxima.cpuTimeMs) : session.cpuTimeMs),
    outputBytes: session.outputBytes,
  };
}
