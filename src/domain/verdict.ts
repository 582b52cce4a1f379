// How the outcome of one execution becomes a verdict. Pure, so every layer agrees.
import { Verdict } from './run-record.js';

export interface ExecutionOutcome {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  oomKilled: boolean;
  outputExceeded: boolean;
}

/** Order matters: a limit the service enforced explains a kill better than the signal does. */
export function verdictOf(outcome: ExecutionOutcome): Verdict {
  if (outcome.outputExceeded) return Verdict.outputLimitExceeded;
  if (outcome.timedOut) return Verdict.timeLimitExceeded;
  if (outcome.oomKilled) return Verdict.memoryLimitExceeded;
  if (outcome.signal === 'SIGXCPU') return Verdict.timeLimitExceeded;
  if (outcome.exitCode !== 0 || outcome.signal !== null) return Verdict.runtimeError;
  return Verdict.ok;
}
