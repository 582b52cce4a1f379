// Which sandbox a run's step needs: its runtime's image and Docker runtime, the resources the
// container fixes, network and root. Pure.
import type { Limits } from '../domain/limits.js';
import { imageOf, type Runtime } from '../domain/runtimes.js';
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
