// Which sandbox a run's step needs: its runtime's image and Docker runtime, the resources the
// container fixes, network and root; and the profiles kept warm from the start. Pure.
import { limitsFromConfig, type Config } from '../config/config.js';
import { resolveLimits, type Limits } from '../domain/limits.js';
import { findRuntime, imageOf, type Runtime } from '../domain/runtimes.js';
import type { SandboxProfile } from '../sandbox/container-spec.js';

export interface ProfileOptions {
  imagePrefix: string;
  /** The deployment's Docker runtime (SANDBOX_RUNTIME), unless the runtime names its own. */
  defaultRuntime: string;
  network?: boolean;
  root?: boolean;
}

export function profileFor(
  runtime: Runtime,
  limits: Pick<Limits, 'memoryMb' | 'cpus' | 'pids' | 'diskMb'>,
  options: ProfileOptions,
): SandboxProfile {
  return {
    image: imageOf(options.imagePrefix, runtime),
    runtime: runtime.sandboxRuntime ?? options.defaultRuntime,
    limits: { memoryMb: limits.memoryMb, cpus: limits.cpus, pids: limits.pids, diskMb: limits.diskMb },
    network: options.network ?? false,
    root: options.root ?? false,
  };
}

/** The profiles POOL_WARM_LANGUAGES keeps warm from the start: each language's run with the default limits, and its compile step. */
export function warmProfiles(config: Config, built: readonly Runtime[]) {
  const { defaults, maxima } = limitsFromConfig(config);
  const options = { imagePrefix: config.imagePrefix, defaultRuntime: config.sandboxRuntime };
  return config.poolWarmLanguages
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0)
    .flatMap((name) => {
      const runtime = findRuntime(built, name);
      if (!runtime) return [];
      const limits = resolveLimits(undefined, defaults, maxima, runtime.limits);
      const run = profileFor(runtime, limits, options);
      const compileMemoryMb = runtime.compileLimits?.memoryMb ?? config.compileMemoryMb;
      return runtime.compile ? [profileFor(runtime, { ...limits, memoryMb: compileMemoryMb }, options), run] : [run];
    });
}
