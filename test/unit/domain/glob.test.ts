import t from 'tap';
import { compileGlob, globProblem, matchGlob, MatchBudgetExceeded } from '../../../src/domain/glob.js';

const matches = (pattern: string, path: string) => matchGlob(compileGlob(pattern), path, { steps: 1_000_000 });

t.test('* and ? stay within one segment', async (t) => {
  t.ok(matches('*.png', 'plot.png'));
  t.ok(matches('*.png', '.hidden.png'), '* matches a leading dot too');
  t.notOk(matches('*.png', 'out/plot.png'), '* does not cross a slash');
  t.ok(matches('out/*.png', 'out/plot.png'));
  t.ok(matches('plot-?.txt', 'plot-1.txt'));
  t.notOk(matches('plot-?.txt', 'plot-12.txt'));
  t.notOk(matches('a?b', 'a/b'), '? is not a slash');
  t.ok(matches('result.txt', 'result.txt'));
  t.notOk(matches('result.txt', 'result.txt.bak'));
  t.ok(matches('*', 'anything'));
  t.ok(matches('a*b*c', 'aXXbYYc'));
  t.notOk(matches('a*b*c', 'aXXbYY'));
});

t.test('** stands for any number of segments, none included', async (t) => {
  t.ok(matches('**/*.png', 'plot.png'));
  t.ok(matches('**/*.png', 'a/b/c/plot.png'));
  t.ok(matches('out/**', 'out/x'));
  t.ok(matches('out/**', 'out/a/b/c'));
  t.notOk(matches('out/**', 'other/x'));
  t.ok(matches('a/**/b', 'a/b'));
  t.ok(matches('a/**/b', 'a/x/y/b'));
  t.notOk(matches('a/**/b', 'a/x/y/c'));
  t.ok(matches('**/**/x', 'x'), 'two ** in a row may both match nothing');
  t.ok(matches('**', 'a/b/c'));
});

t.test('globs that could escape or confuse are refused', async (t) => {
  for (const [pattern, problem] of [
    ['', /empty/],
    ['/etc/*', /absolute/],
    ['../*', /\.\./],
    ['a/../../b', /\.\./],
    ['a//b', /empty or \./],
    ['./a', /empty or \./],
    ['a\\b', /backslash/],
    ['a\nb', /control/],
    ['a**b', /\*\* inside a segment/],
    ['x'.repeat(257), /longer than 256/],
  ] as const)
    t.match(globProblem(pattern), problem, JSON.stringify(pattern).slice(0, 40));
  t.equal(globProblem('out/**/*.png'), undefined);
});

t.test('matching is bounded: a hostile pattern and path spend the budget instead of the event loop', async (t) => {
  // A backtracking matcher takes exponential time on this; here it is linear per segment pair.
  const pattern = compileGlob(`${'*a'.repeat(60)}b`);
  const path = 'a'.repeat(250);
  const started = performance.now();
  t.notOk(matchGlob(pattern, path, { steps: 10_000_000 }));
  t.ok(performance.now() - started < 500, 'decided quickly');
  t.throws(() => matchGlob(pattern, path, { steps: 100 }), MatchBudgetExceeded, 'a small budget is spent and says so');
  const deep = compileGlob('**/**/**/**/**/**/z');
  t.throws(() => matchGlob(deep, Array.from({ length: 2000 }, () => 'a').join('/'), { steps: 1000 }), MatchBudgetExceeded);
});
