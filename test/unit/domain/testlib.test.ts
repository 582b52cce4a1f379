// testlib's exit codes, as runbox reads a checker's (or an interactor's) end.
import t from 'tap';
import { checkerDecision, CHECKER_MESSAGE_BYTES, pointsOf } from '../../../src/domain/testlib.js';
import type { ExecutionOutcome } from '../../../src/domain/verdict.js';

const exit = (exitCode: number | null, over: Partial<ExecutionOutcome> = {}): ExecutionOutcome => ({
  exitCode,
  signal: null,
  timedOut: false,
  oomKilled: false,
  outputExceeded: false,
  ...over,
});

t.test('0 is accepted, 1 wrong answer, 2 presentation error, each with its stderr as the message', async (t) => {
  t.same(checkerDecision(exit(0), 'ok 3 numbers\n'), { verdict: 'accepted', score: 1, message: 'ok 3 numbers' });
  t.same(checkerDecision(exit(1), 'wrong answer 1st numbers differ - expected: 3, found: 4\n'), {
    verdict: 'wrong_answer',
    score: 0,
    message: 'wrong answer 1st numbers differ - expected: 3, found: 4',
  });
  t.same(checkerDecision(exit(2), 'wrong output format Unexpected end of file'), {
    verdict: 'presentation_error',
    score: 0,
    message: 'wrong output format Unexpected end of file',
  });
});

t.test("7 is partial: the score is the first number of stderr, after testlib's word points", async (t) => {
  t.same(checkerDecision(exit(7), 'points 0.25 one of four\n'), {
    verdict: 'partially_accepted',
    score: 0.25,
    message: 'points 0.25 one of four',
  });
  t.same(checkerDecision(exit(7), '0.5'), { verdict: 'partially_accepted', score: 0.5, message: '0.5' });
  t.match(checkerDecision(exit(7), 'points 0'), { verdict: 'partially_accepted', score: 0 });
  t.match(checkerDecision(exit(7), 'points 1 all of it'), { verdict: 'accepted', score: 1 }, 'a full score is accepted');
  t.match(checkerDecision(exit(7), '\x1b[33mpoints \x1b[0m.75 coloured'), { score: 0.75 }, 'colours are dropped');
  t.equal(pointsOf('score 3e-1 of 1'), 0.3);
});

t.test('7 without a score, or with one outside [0, 1], is the judge failing', async (t) => {
  t.match(checkerDecision(exit(7), 'points'), { failed: /without a score/ });
  t.match(checkerDecision(exit(7), 'points 37'), { failed: /37, outside \[0, 1\]/ });
  t.match(checkerDecision(exit(7), 'points -0.5'), { failed: /outside/ });
});

t.test('3 (fail), any other code, a crash or a limit is the judge failing, never a verdict', async (t) => {
  t.match(checkerDecision(exit(3), 'FAIL answer file has no number'), { failed: /failed \(exit code 3\): FAIL answer file has no number/ });
  t.match(checkerDecision(exit(4), ''), { failed: /exited with code 4, which testlib does not define/ });
  t.match(checkerDecision(exit(null, { signal: 'SIGSEGV' }), ''), { failed: 'the checker was killed by SIGSEGV' });
  t.match(checkerDecision(exit(null, { timedOut: true, signal: 'SIGKILL' }), ''), { failed: /time limit/ });
  t.match(checkerDecision(exit(0, { oomKilled: true }), ''), { failed: /memory limit/ }, 'even one that then exited 0');
  t.match(checkerDecision(exit(0, { outputExceeded: true }), ''), { failed: /output limit/ });
  t.match(checkerDecision(exit(3), 'x', 'the interactor'), { failed: /^the interactor failed/ });
});

t.test('the message is bounded, and a points word past it is not read', async (t) => {
  const decision = checkerDecision(exit(1), 'x'.repeat(10 * CHECKER_MESSAGE_BYTES));
  t.equal('message' in decision && decision.message.length, CHECKER_MESSAGE_BYTES);
  t.match(checkerDecision(exit(7), `${'y '.repeat(CHECKER_MESSAGE_BYTES)}0.5`), { failed: /without a score/ });
});
