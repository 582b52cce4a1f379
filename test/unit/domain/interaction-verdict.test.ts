// Who decides an interactive test: the first of the two to fail.
import t from 'tap';
import { interactionVerdict } from '../../../src/domain/interaction-verdict.js';

const wa = { verdict: 'wrong_answer' as const, score: 0, message: 'too many queries' };
const ok = { verdict: 'accepted' as const, score: 1, message: 'ok found 42' };

t.test('both content: the interactor decides', async (t) => {
  t.same(interactionVerdict({ submission: 'ok', interactor: ok, first: 'submission' }), ok);
  t.same(interactionVerdict({ submission: 'ok', interactor: ok, first: 'interactor' }), ok);
  const partial = { verdict: 'partially_accepted' as const, score: 0.5, message: 'points 0.5' };
  t.same(interactionVerdict({ submission: 'ok', interactor: partial, first: 'submission' }), partial);
});

t.test('the interactor refused first: its verdict, whatever the stopped submission did', async (t) => {
  t.same(interactionVerdict({ submission: 'runtime_error', interactor: wa, first: 'interactor' }), wa);
  t.same(
    interactionVerdict({ submission: 'ok', interactor: wa, first: 'submission' }),
    wa,
    'a submission that ended fine but answered wrong',
  );
});

t.test('the submission failed first: its verdict, whatever the interactor then made of it', async (t) => {
  t.same(interactionVerdict({ submission: 'time_limit_exceeded', interactor: undefined, first: 'submission' }), {
    verdict: 'time_limit_exceeded',
    score: 0,
    message: '',
  });
  t.match(interactionVerdict({ submission: 'runtime_error', interactor: wa, first: 'submission' }), { verdict: 'runtime_error' });
});

t.test('the interactor content, then the submission failed: the failure', async (t) => {
  t.match(interactionVerdict({ submission: 'time_limit_exceeded', interactor: ok, first: 'interactor' }), {
    verdict: 'time_limit_exceeded',
    score: 0,
  });
});

t.test('an interactor that failed is the judge failing, unless the submission failed before it', async (t) => {
  t.same(interactionVerdict({ submission: 'ok', interactor: { failed: 'the interactor failed' }, first: 'interactor' }), {
    failed: 'the interactor failed',
  });
  t.match(interactionVerdict({ submission: 'memory_limit_exceeded', interactor: { failed: 'x' }, first: 'submission' }), {
    verdict: 'memory_limit_exceeded',
  });
});
