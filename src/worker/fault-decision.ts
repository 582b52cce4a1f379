// Whether a run the service could not complete goes back to the queue or ends failed. The one
// place that decides: the sandbox only reports where it failed and what the engine said.
import { SandboxFault } from '../sandbox/container-lifecycle.js';

export interface RunProgress {
  /** Executions begun in this attempt (a compile, the program, a test): once one has, the run never runs again. */
  executions: number;
  /** Output frames published. */
  frames: number;
}

export interface Attempt {
  attemptsMade: number;
  attempts: number;
}

export type FaultDecision = { retry: true } | { retry: false; reason: string };

export function decideFault(error: unknown, progress: RunProgress, attempt: Attempt): FaultDecision {
  const reason = error instanceof Error ? error.message : String(error);
  if (!(error instanceof SandboxFault)) return { retry: false, reason };
  // Once a program may have run, running it again could do its effects twice.
  if (error.stage === 'running' || progress.executions > 0 || progress.frames > 0) return { retry: false, reason };
  // The engine refusing (4xx: no such image, root not allowed here, a bad option) refuses again.
  if (error.statusCode !== undefined && error.statusCode < 500) return { retry: false, reason };
  if (attempt.attemptsMade + 1 >= attempt.attempts) return { retry: false, reason: `${reason} (after ${attempt.attempts} tries)` };
  return { retry: true };
}
