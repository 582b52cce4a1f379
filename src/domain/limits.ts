// Resource limits: server defaults, server maxima, and the one pure function that merges a
// request's limits into them. A request may only ask for values up to the maxima.

export interface Limits {
  timeMs: number;
  memoryMb: number;
  cpus: number;
  pids: number;
  outputBytes: number;
  diskMb: number;
}

export type LimitName = keyof Limits;
export const limitNames: readonly LimitName[] = ['timeMs', 'memoryMb', 'cpus', 'pids', 'outputBytes', 'diskMb'];

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

export function resolveLimits(requested: Partial<Limits> | undefined, defaults: Limits, maxima: Limits): Limits {
  const limits = { ...defaults };
  for (const name of limitNames) {
    const value = requested?.[name];
    if (value === undefined) continue;
    if (value > maxima[name]) throw new LimitExceededError(name, value, maxima[name]);
    limits[name] = value;
  }
  return limits;
}
