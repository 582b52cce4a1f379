// Groups of tests (subtasks) and their points: which tests a judged run skips as it goes, and
// what each group and the run score at the end. Pure.
//
// A group scores its points times the lowest score of its tests (1 accepted, the checker's
// fraction when partially accepted, 0 otherwise), and 0 when a group it depends on did not
// pass in full (a test of it scored below 1, or a group it depends on did not pass in full).
// Its tests are skipped once that is known (a dependency fell short), and,
// with stopOnFirstFailure, once one of them failed; the run's stopOnFirstFailure skips every
// test after the first failure.
import { Type, type Static } from '@sinclair/typebox';
import { Verdict, type GroupResult } from './run-record.js';
import { isFailure, runVerdictOfTests, type TestVerdict } from './verdict.js';

export const TestGroupSchema = Type.Object(
  {
    tests: Type.Array(Type.Integer({ minimum: 0 }), {
      minItems: 1,
      description: 'indices into tests, from 0; a test is in one group at most',
    }),
    points: Type.Number({ minimum: 0, description: 'what the group is worth: points x the lowest score of its tests' }),
    dependencies: Type.Optional(
      Type.Array(Type.Integer({ minimum: 0 }), {
        description: 'indices of earlier groups; the group scores 0 (and its tests are skipped) unless they pass in full',
      }),
    ),
    stopOnFirstFailure: Type.Optional(Type.Boolean({ description: "skip the group's remaining tests after one fails (default false)" })),
  },
  { additionalProperties: false },
);
export type TestGroup = Static<typeof TestGroupSchema>;

export interface ScoredTest {
  verdict: TestVerdict;
  score: number;
}

/** Why `groups` cannot be used with `testCount` tests, or undefined when they can. */
export function groupsProblem(groups: readonly TestGroup[], testCount: number): string | undefined {
  const owner = new Map<number, number>();
  for (const [g, group] of groups.entries()) {
    if (!Number.isFinite(group.points) || group.points < 0) return `groups[${g}].points must be a number of at least 0`;
    for (const test of group.tests) {
      if (!Number.isInteger(test) || test < 0 || test >= testCount)
        return `groups[${g}] names test ${test}; tests are counted from 0 and there are ${testCount}`;
      if (owner.has(test)) return `test ${test} is in groups[${owner.get(test)}] and groups[${g}]; a test belongs to one group`;
      owner.set(test, g);
    }
    for (const dependency of group.dependencies ?? []) {
      if (!Number.isInteger(dependency) || dependency < 0 || dependency >= g)
        return `groups[${g}] depends on group ${dependency}; a group depends only on groups before it`;
    }
  }
  return undefined;
}

const round = (n: number) => Math.round(n * 1e9) / 1e9;

/**
 * Decides, test by test in order, which tests to skip, from the results so far. Without groups
 * only the run's own stop applies.
 */
export function createTestPlan(testCount: number, groups: readonly TestGroup[] = [], stopOnFirstFailure = false) {
  const groupOf = new Array<number | undefined>(testCount).fill(undefined);
  const dependents = groups.map((): number[] => []);
  for (const [g, group] of groups.entries()) {
    for (const test of group.tests) groupOf[test] = g;
    for (const d of group.dependencies ?? []) dependents[d].push(g);
  }
  /** Per group: it can no longer score its points (a test of its own, or of a group it depends on, fell short). */
  const short = groups.map(() => false);
  /** Per group: a group it depends on fell short, so its tests are skipped. */
  const blocked = groups.map(() => false);
  const failed = groups.map(() => false);
  let stopped = false;

  /** Marks g short and every group that depends on it, at once: each group is marked once, so a run costs O(groups + dependencies). */
  const fallShort = (g: number) => {
    const stack = [g];
    while (stack.length > 0) {
      const x = stack.pop()!;
      if (short[x]) continue;
      short[x] = true;
      for (const y of dependents[x]) {
        blocked[y] = true;
        stack.push(y);
      }
    }
  };

  return {
    /** Whether the run stopped at a failure (stopOnFirstFailure): every later test is skipped. */
    get stopped() {
      return stopped;
    },
    /** Whether test i is to be skipped, given the tests judged before it. */
    skips(i: number): boolean {
      if (stopped) return true;
      const g = groupOf[i];
      if (g === undefined) return false;
      return blocked[g] || Boolean(groups[g].stopOnFirstFailure && failed[g]);
    },
    /** Notes test i's outcome. */
    record(i: number, test: ScoredTest): void {
      const g = groupOf[i];
      const failure = isFailure(test.verdict);
      if (g !== undefined) {
        if (test.score < 1) fallShort(g);
        if (failure) failed[g] = true;
      }
      if (failure && stopOnFirstFailure) stopped = true;
    },
  };
}

/** Each group's result, and the run's score out of its maximum. `tests` holds every test, skipped ones too. */
export function scoreGroups(
  groups: readonly TestGroup[],
  tests: readonly ScoredTest[],
): { groups: GroupResult[]; score: number; maxScore: number } {
  const results: GroupResult[] = [];
  /** Per group: every test of it scored 1 and every group it depends on passed in full. */
  const full: boolean[] = [];
  for (const group of groups) {
    const own = group.tests.map((i) => tests[i]);
    const lowest = own.reduce((min, t) => Math.min(min, t.verdict === Verdict.skipped ? 0 : t.score), 1);
    const dependenciesFull = (group.dependencies ?? []).every((d) => full[d]);
    full.push(dependenciesFull && lowest === 1);
    const verdict = own.every((t) => t.verdict === Verdict.skipped) ? Verdict.skipped : runVerdictOfTests(own.map((t) => t.verdict));
    results.push({ points: group.points, score: dependenciesFull ? round(group.points * lowest) : 0, verdict });
  }
  return {
    groups: results,
    score: round(results.reduce((sum, g) => sum + g.score, 0)),
    maxScore: round(groups.reduce((sum, g) => sum + g.points, 0)),
  };
}
