// The verdict of one interactive test, from the submission's outcome, the interactor's
// decision and which of the two ended first. Pure.
//
// The first to fail decides: a submission that crashes or runs out of a limit while the
// interactor still waits makes the interactor see the end of its input (and likely say
// "wrong answer"); an interactor that says "wrong answer" (a query too many) makes the
// submission see the end of its input (and likely crash). Each is the consequence, not the cause.
import { Verdict } from './run-record.js';
import type { CheckerDecision } from './testlib.js';
import type { JudgedVerdict } from './verdict.js';

export interface InteractionFacts {
  /** The submission's own verdict, from its limits and exit (verdictOf): `ok` when it exited 0 within them. */
  submission: typeof Verdict.ok | JudgedVerdict;
  /** The interactor's decision; undefined when the judge stopped it (the submission had failed first). */
  interactor: CheckerDecision | undefined;
  first: 'submission' | 'interactor';
}

export type InteractionVerdict = { verdict: JudgedVerdict; score: number; message: string } | { failed: string };

export function interactionVerdict({ submission, interactor, first }: InteractionFacts): InteractionVerdict {
  const message = interactor && 'message' in interactor ? interactor.message : '';
  // The submission failed while the interactor still ran: whatever the interactor made of it.
  if (submission !== Verdict.ok && first === 'submission') return { verdict: submission, score: 0, message };
  if (!interactor) return { failed: 'the interactor was stopped before it decided' };
  if ('failed' in interactor) return interactor;
  // The interactor refused the submission's answers first: the submission was stopped for it.
  if (interactor.verdict === Verdict.wrongAnswer || interactor.verdict === Verdict.presentationError) return interactor;
  // The interactor was content, but the submission then failed on its own.
  if (submission !== Verdict.ok) return { verdict: submission, score: 0, message };
  return interactor;
}
