// The runtimes as the API sees them at one moment: the built-in catalogue and the custom
// runtimes, each with its condition, read from the store in one round trip. Used by
// GET /runtimes and by every submission (a runtime that is building answers 503).
import { runtimeViews, type RuntimeView } from '../domain/runtime-view.js';
import { RuntimeStatus, takesRuns } from '../domain/runtime-status.js';
import type { AppDependencies } from './deps.js';
import { ApiError } from './errors.js';

export async function loadRuntimeViews(deps: Pick<AppDependencies, 'catalogue' | 'runtimes'>): Promise<RuntimeView[]> {
  return runtimeViews(deps.catalogue, await deps.runtimes.snapshot(), Date.now());
}

/** A GET /runtimes entry. */
export function runtimeEntry(view: RuntimeView) {
  const { runtime, condition } = view;
  return {
    language: runtime.language,
    version: view.version,
    aliases: runtime.aliases,
    compiled: runtime.compile !== undefined,
    fileName: runtime.fileName,
    status: condition.status,
    ...(condition.progress === undefined ? {} : { progress: condition.progress }),
    ...(condition.error === undefined ? {} : { error: condition.error }),
    ...(view.custom ? { custom: view.custom } : {}),
  };
}

/** Refuses a run of a runtime that is building or failed: 503 runtime_not_ready, with Retry-After. */
export function checkTakesRuns(view: RuntimeView | undefined): void {
  if (!view || takesRuns(view.condition)) return;
  const { status, progress, error } = view.condition;
  const name = view.runtime.language;
  if (status === RuntimeStatus.building)
    throw new ApiError('runtime_not_ready', `${name} is being built${progress ? ` (${progress})` : ''}; retry in a moment`);
  // A failed build does not mend itself; an operator rebuilds it (make images, or the runtime defined again).
  throw new ApiError('runtime_not_ready', `${name} is not available: ${error ?? 'its image could not be built'}`, 300);
}
