// Groups: which tests are skipped as a run goes, and what each group and the run score.
import t from 'tap';
import { createTestPlan, groupsProblem, scoreGroups, type ScoredTest, type TestGroup } from '../../../src/domain/scoring.js';

const pass: ScoredTest = { verdict: 'accepted', score: 1 };
const fail: ScoredTest = { verdict: 'wrong_answer', score: 0 };
const half: ScoredTest = { verdict: 'partially_accepted', score: 0.5 };
const skip: ScoredTest = { verdict: 'skipped', score: 0 };

/** Runs the plan over `outcomes` (one per test), as the judge does: the tests it skips get `skip`. */
function walk(groups: TestGroup[], outcomes: ScoredTest[], stop = false): ScoredTest[] {
  const plan = createTestPlan(outcomes.length, groups, stop);
  return outcomes.map((outcome, i) => {
    if (plan.skips(i)) return skip;
    plan.record(i, outcome);
    return outcome;
  });
}

t.test('a group scores its points times its lowest test score; the run the sum', async (t) => {
  const groups = [
    { tests: [0, 1], points: 30 },
    { tests: [2, 3], points: 70 },
  ];
  t.same(scoreGroups(groups, [pass, pass, pass, fail]), {
    groups: [
      { points: 30, score: 30, verdict: 'accepted' },
      { points: 70, score: 0, verdict: 'wrong_answer' },
    ],
    score: 30,
    maxScore: 100,
  });
  t.same(scoreGroups(groups, [pass, half, pass, pass]).groups[0], { points: 30, score: 15, verdict: 'partially_accepted' });
  t.equal(scoreGroups([{ tests: [0], points: 10 }], [{ verdict: 'partially_accepted', score: 1 / 3 }]).score, 3.333333333);
});

t.test('a group whose dependency fell short scores 0 and its tests are skipped', async (t) => {
  const groups = [
    { tests: [0], points: 0 },
    { tests: [1, 2], points: 40, dependencies: [0] },
    { tests: [3], points: 60, dependencies: [1] },
    { tests: [4], points: 5 },
  ];
  const tests = walk(groups, [fail, pass, pass, pass, pass]);
  t.same(tests, [fail, skip, skip, skip, pass], 'samples failed: what depends on them, directly or not, is skipped');
  t.same(scoreGroups(groups, tests), {
    groups: [
      { points: 0, score: 0, verdict: 'wrong_answer' },
      { points: 40, score: 0, verdict: 'skipped' },
      { points: 60, score: 0, verdict: 'skipped' },
      { points: 5, score: 5, verdict: 'accepted' },
    ],
    score: 5,
    maxScore: 105,
  });
  const partial = walk(groups, [pass, half, pass, pass, pass]);
  t.same(partial, [pass, half, pass, skip, pass], 'a partial score falls short of the dependency too');
  t.same(
    scoreGroups(groups, partial).groups.map((g) => g.score),
    [0, 20, 0, 5],
  );
});

t.test("a group's stopOnFirstFailure skips its own remaining tests, not the others'", async (t) => {
  const groups = [
    { tests: [0, 1, 2], points: 50, stopOnFirstFailure: true },
    { tests: [3], points: 50 },
  ];
  t.same(walk(groups, [pass, fail, pass, pass]), [pass, fail, skip, pass]);
  t.same(walk(groups, [half, pass, pass, pass]), [half, pass, pass, pass], 'a partial score is not a failure');
});

t.test("the run's stopOnFirstFailure skips every test after the first failure", async (t) => {
  t.same(walk([{ tests: [0, 1, 2], points: 1 }], [pass, fail, pass], true), [pass, fail, skip]);
  t.same(walk([], [pass, fail, pass], true), [pass, fail, skip], 'groups or not');
});

t.test('group definitions that cannot work are refused', async (t) => {
  t.equal(groupsProblem([{ tests: [0, 1], points: 1 }], 2), undefined);
  t.match(groupsProblem([{ tests: [2], points: 1 }], 2), /names test 2; tests are counted from 0 and there are 2/);
  t.match(
    groupsProblem(
      [
        { tests: [0], points: 1 },
        { tests: [0], points: 1 },
      ],
      2,
    ),
    /test 0 is in groups\[0\] and groups\[1\]/,
  );
  t.match(groupsProblem([{ tests: [0], points: 1, dependencies: [0] }], 1), /depends only on groups before it/);
  t.match(groupsProblem([{ tests: [0], points: Number.NaN }], 1), /points must be a number/);
});
