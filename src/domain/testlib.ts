// What a checker's (or an interactor's) exit means, in testlib's convention: 0 ok, 1 wrong
// answer, 2 presentation error, 3 fail, 7 points. Anything else, a crash or a limit reached
// is the judge's fault, never the program's. Pure.
import { Verdict } from './run-record.js';
import type { ExecutionOutcome } from './verdict.js';

export const TestlibExit = { ok: 0, wrongAnswer: 1, presentationError: 2, fail: 3, points: 7 } as const;

/** How much of a checker's stderr is its message (and is read for points). */
export const CHECKER_MESSAGE_BYTES = 4096;

export type CheckerVerdict =
  typeof Verdict.accepted | typeof Verdict.wrongAnswer | typeof Verdict.presentationError | typeof Verdict.partiallyAccepted;

/** A checker's decision on one test, or why it could not decide (the judge's fault). */
export type CheckerDecision = { verdict: CheckerVerdict; score: number; message: string } | { failed: string };

// ANSI colour sequences (testlib colours its words on a terminal).
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The message: the first CHECKER_MESSAGE_BYTES of stderr, colours removed, trimmed. */
export function checkerMessage(stderr: string): string {
  const clipped =
    Buffer.byteLength(stderr) > CHECKER_MESSAGE_BYTES ? Buffer.from(stderr).subarray(0, CHECKER_MESSAGE_BYTES).toString() : stderr;
  return clipped.replace(ANSI, '').trim();
}

/**
 * The score of a points exit: the first whitespace-separated word of the message that is a
 * number (testlib's quitp writes "points 0.5 <comment>"), undefined when there is none.
 */
export function pointsOf(message: string): number | undefined {
  for (const word of message.split(/\s+/)) if (NUMBER.test(word)) return Number(word);
  return undefined;
}

const describe = (o: ExecutionOutcome): string | undefined => {
  if (o.timedOut) return 'ran out of its time limit';
  if (o.oomKilled) return 'ran out of its memory limit';
  if (o.outputExceeded) return 'passed its output limit';
  if (o.signal !== null) return `was killed by ${o.signal}`;
  if (o.exitCode === null) return 'ended without an exit code';
  return undefined;
};

/** What a checker's run decides for a test; `who` names it in a failure ("the checker"). */
export function checkerDecision(outcome: ExecutionOutcome, stderr: string, who = 'the checker'): CheckerDecision {
  const message = checkerMessage(stderr);
  const said = message ? `: ${message}` : '';
  const ended = describe(outcome);
  if (ended) return { failed: `${who} ${ended}${said}` };
  switch (outcome.exitCode) {
    case TestlibExit.ok:
      return { verdict: Verdict.accepted, score: 1, message };
    case TestlibExit.wrongAnswer:
      return { verdict: Verdict.wrongAnswer, score: 0, message };
    case TestlibExit.presentationError:
      return { verdict: Verdict.presentationError, score: 0, message };
    case TestlibExit.fail:
      return { failed: `${who} failed (exit code 3)${said}` };
    case TestlibExit.points: {
      const score = pointsOf(message);
      if (score === undefined) return { failed: `${who} exited 7 (points) without a score on its stderr${said}` };
      if (!(score >= 0 && score <= 1)) return { failed: `${who} gave a score of ${score}, outside [0, 1]${said}` };
      return { verdict: score === 1 ? Verdict.accepted : Verdict.partiallyAccepted, score, message };
    }
    default:
      return {
        failed: `${who} exited with code ${outcome.exitCode}, which testlib does not define (0 ok, 1 wrong answer, 2 presentation error, 3 fail, 7 points)${said}`,
      };
  }
}
