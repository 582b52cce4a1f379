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

/** A test's verdict: every run verdict but `ok` (a test is accepted or not) and `compilation_error` (the run's alone). */
export type TestVerdict = Exclude<Verdict, typeof Verdict.ok | typeof Verdict.compilationError>;

/** A test passes when the program ran fine and its output matched. */
export function testVerdictOf(outcome: ExecutionOutcome, outputMatched: boolean): TestVerdict {
  const verdict = verdictOf(outcome);
  if (verdict !== Verdict.ok) return verdict as TestVerdict;
  return outputMatched ? Verdict.accepted : Verdict.wrongAnswer;
}

/** accepted when every test is (and there was one); else the first failing test's verdict. */
export function runVerdictOfTests(verdicts: readonly TestVerdict[]): TestVerdict {
  if (verdicts.length === 0) return Verdict.runtimeError; // nothing ran: never accepted
  return verdicts.find((v) => v !== Verdict.accepted) ?? Verdict.accepted;
}
