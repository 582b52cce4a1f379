// How the outcome of one execution becomes a verdict. Pure, so every layer agrees.
import { Verdict } from './run-record.js';

export interface ExecutionOutcome {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  oomKilled: boolean;
  outputExceeded: boolean;
}

/** What one execution can end with, on its own. */
export type ExecutionVerdict =
  | typeof Verdict.ok
  | typeof Verdict.runtimeError
  | typeof Verdict.timeLimitExceeded
  | typeof Verdict.memoryLimitExceeded
  | typeof Verdict.outputLimitExceeded;

/** Order matters: a limit the service enforced explains a kill better than the signal does. */
export function verdictOf(outcome: ExecutionOutcome): ExecutionVerdict {
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
  if (verdict !== Verdict.ok) return verdict;
  return outputMatched ? Verdict.accepted : Verdict.wrongAnswer;
}

/** What a judged run can end with: a test's verdicts but `skipped`. */
export type JudgedVerdict = Exclude<TestVerdict, typeof Verdict.skipped>;

/** Whether a test's verdict is a failure: neither accepted, nor partially accepted, nor skipped. */
export const isFailure = (verdict: TestVerdict) =>
  verdict !== Verdict.accepted && verdict !== Verdict.partiallyAccepted && verdict !== Verdict.skipped;

/**
 * The first failing test's verdict; else `partially_accepted` when a checker gave a test less
 * than full marks; else `accepted` (when a test ran). Skipped tests do not count.
 */
export function runVerdictOfTests(verdicts: readonly TestVerdict[]): JudgedVerdict {
  const judged = verdicts.filter((v): v is JudgedVerdict => v !== Verdict.skipped);
  if (judged.length === 0) return Verdict.runtimeError; // nothing ran: never accepted
  return judged.find(isFailure) ?? (judged.includes(Verdict.partiallyAccepted) ? Verdict.partiallyAccepted : Verdict.accepted);
}
