// Every runtime as clients see it: the built-in catalogue and the custom runtimes, each with
// its condition (ready, building, failed, unknown) and version. Pure: built from what the store
// holds, for GET /runtimes and for admitting a run.
import { runtimeOfCustom, type CustomRuntime } from './custom-runtime.js';
import { builtinCondition, type RuntimeCondition, type RuntimeState } from './runtime-status.js';
import { findRuntime, type Runtime } from './runtimes.js';

export interface RuntimeView {
  runtime: Runtime;
  condition: RuntimeCondition;
  version: string;
  /** A custom runtime's base and when it was defined. */
  custom?: { base: string; createdAt: string };
}

export interface RuntimeFacts {
  versions: Record<string, string>;
  states: Record<string, RuntimeState>;
  customs: readonly CustomRuntime[];
}

/** The built-in runtimes in catalogue order, then the custom ones (a custom one whose base is gone is left out). */
export function runtimeViews(builtins: readonly Runtime[], facts: RuntimeFacts, now: number): RuntimeView[] {
  const views: RuntimeView[] = builtins.map((runtime) => ({
    runtime,
    condition: builtinCondition(facts.versions[runtime.language], facts.states[runtime.language], now),
    version: facts.versions[runtime.language] ?? 'unknown',
  }));
  for (const custom of facts.customs) {
    const base = findRuntime(builtins, custom.base);
    if (!base) continue;
    views.push({
      runtime: runtimeOfCustom(custom, base),
      condition: {
        status: custom.status,
        ...(custom.progress === undefined ? {} : { progress: custom.progress }),
        ...(custom.error === undefined ? {} : { error: custom.error }),
      },
      version: custom.version ?? 'unknown',
      custom: { base: base.language, createdAt: custom.createdAt },
    });
  }
  return views;
}
