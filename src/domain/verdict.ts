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

export const TestVerdict = {
  accepted: 'accepted',
  wrongAnswer: 'wrong_answer',
  runtimeError: 'runtime_error',
  timeLimitExceeded: 'time_limit_exceeded',
  memoryLimitExceeded: 'memory_limit_exceeded',
  outputLimitExceeded: 'output_limit_exceeded',
} as const;
export type TestVerdict = (typeof TestVerdict)[keyof typeof TestVerdict];

/** A test passes when the program ran fine and its output matched. */
export function testVerdictOf(outcome: ExecutionOutcome, outputMatched: boolean): TestVerdict {
  const verdict = verdictOf(outcome);
  if (verdict !== Verdict.ok) return verdict as TestVerdict;
  return outputMatched ? TestVerdict.accepted : TestVerdict.wrongAnswer;
}

/** accepted when every test is (and there was one); else the first failing test's verdict. */
export function runVerdictOfTests(verdicts: readonly TestVerdict[]): TestVerdict {
  if (verdicts.length === 0) return TestVerdict.runtimeError; // nothing ran: never accepted
  return verdicts.find((v) => v !== TestVerdict.accepted) ?? TestVerdict.accepted;
}
