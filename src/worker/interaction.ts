// One interactive test: the submission and the interactor, each in its own sandbox with its own
// limits, their streams connected crosswise by the worker (the submission's stdout to the
// interactor's stdin, the interactor's stdout to the submission's stdin), each direction a
// bounded pipe. When one ends, the other's input ends; when one fails first (the submission
// out of a limit, the interactor refusing an answer), the other is stopped at once, since its
// outcome can no longer change the verdict (interaction-verdict.ts). Both waiting on each
// other ends at the submission's wall-time limit.
import { Verdict } from '../domain/run-record.js';
import { checkerDecision, type CheckerDecision } from '../domain/testlib.js';
import { verdictOf } from '../domain/verdict.js';
import type { ExecutionResult, OutputStream } from '../sandbox/execution-result.js';
import type { ExecutionRequest } from '../sandbox/sandbox-session.js';
import { BytePipe } from './byte-pipe.js';
import { decodeOutput } from './output-sink.js';
import type { ProgramSandbox } from './judge-program.js';
import type { SessionPort } from './sandbox-port.js';

/** The interactor may wait this much longer than the submission's wall limit, so the submission's limit ends a deadlock first. */
export const INTERACTOR_WAIT_SLACK_MS = 1000;

export interface InteractionOptions {
  submission: SessionPort;
  /** How the submission runs (its limits, and the run's stop signal); stdin and output come from here. */
  execution: Omit<ExecutionRequest, 'stdin' | 'onOutput'> & { signal: AbortSignal };
  onSubmissionOutput: (stream: OutputStream, data: Buffer) => void;
  interactor: ProgramSandbox;
  input: Buffer;
  testsLeft: number;
}

export interface InteractionOutcome {
  submission: ExecutionResult;
  /** The interactor's decision; undefined when the judge stopped it because the submission failed first. */
  interactor: CheckerDecision | undefined;
  first: 'submission' | 'interactor';
  /** The run was cancelled or the worker is shutting down. */
  cancelled: boolean;
}

export async function interact(o: InteractionOptions): Promise<InteractionOutcome> {
  const runSignal = o.execution.signal;
  const submissionLimits = o.execution.limits;
  const toInteractor = new BytePipe(submissionLimits.outputBytes);
  const toSubmission = new BytePipe(o.interactor.limits.outputBytes);
  const stopSubmission = new AbortController();
  const stopInteractor = new AbortController();
  /** A sandbox failed: the other side is stopped at once, and the fault goes up. */
  const failFast = (error: unknown): never => {
    stopSubmission.abort();
    stopInteractor.abort();
    throw error;
  };
  let first: 'submission' | 'interactor' | undefined;
  let interactorDecision: CheckerDecision | undefined;

  const submission = o.submission
    .execute({
      ...o.execution,
      signal: AbortSignal.any([runSignal, stopSubmission.signal]),
      stdin: toSubmission,
      onOutput: (stream, data) => {
        if (stream === 'stdout') toInteractor.push(data);
        o.onSubmissionOutput(stream, data);
      },
    })
    .then((result) => {
      first ??= 'submission';
      toInteractor.end();
      toSubmission.end();
      // Failed on its own while the interactor still runs: nothing the interactor says now matters.
      if (first === 'submission' && !result.cancelled && verdictOf(result) !== Verdict.ok) stopInteractor.abort();
      return result;
    }, failFast);

  const interactor = o.interactor
    .run({
      files: [{ name: 'input.txt', content: o.input }],
      args: ['input.txt', 'output.txt'],
      stdin: toInteractor,
      onOutput: (stream, data) => {
        if (stream === 'stdout') toSubmission.push(data);
      },
      signal: AbortSignal.any([runSignal, stopInteractor.signal]),
      timeMs: submissionLimits.timeMs + INTERACTOR_WAIT_SLACK_MS,
      testsLeft: o.testsLeft,
    })
    .then((result) => {
      first ??= 'interactor';
      toSubmission.end();
      toInteractor.end();
      if (!result.cancelled) {
        interactorDecision = checkerDecision(result, decodeOutput(result.stderr), 'the interactor');
        // It refused an answer (or failed) first: the submission's outcome can no longer change the verdict.
        const refused =
          'failed' in interactorDecision ||
          interactorDecision.verdict === Verdict.wrongAnswer ||
          interactorDecision.verdict === Verdict.presentationError;
        if (first === 'interactor' && refused) stopSubmission.abort();
      }
      return result;
    }, failFast);

  const [s, i] = await Promise.allSettled([submission, interactor]);
  if (s.status === 'rejected') throw s.reason;
  if (i.status === 'rejected') throw i.reason;
  return {
    submission: s.value,
    interactor: interactorDecision,
    first: first ?? 'submission',
    cancelled: runSignal.aborted,
  };
}
