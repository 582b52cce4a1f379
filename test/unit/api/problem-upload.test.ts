// A problem archive's layout, as buildProblem reads it: tests/NAME.in + .ans in natural order,
// checker/ and interactor/ with their settings, groups by name, one outer folder allowed.
import t from 'tap';
import { buildProblem } from '../../../src/api/problem-upload.js';
import { loadConfig } from '../../../src/config/config.js';
import { runtimeCatalogue } from '../../../src/domain/runtimes.js';
import { BUNDLE_HEAD_BYTES, decodeIndex, indexLengthOf } from '../../../src/lib/problem-bundle.js';

const config = loadConfig({});
const now = new Date('2030-01-01T00:00:00.000Z');
const file = (path: string, data = '') => ({ path, data: Buffer.from(data) });
const build = (files: ReturnType<typeof file>[]) => buildProblem(files, 'p', 'admin', now, config, runtimeCatalogue);
const tests = (...names: string[]) => names.flatMap((n) => [file(`tests/${n}.in`, `in ${n}`), file(`tests/${n}.ans`, `ans ${n}`)]);

t.test('tests run in natural order of their names; the bundle holds each file once', async (t) => {
  const { problem, blob } = build(tests('10', '2', '1', 'b', 'a'));
  t.same(
    problem.tests.map((x) => x.name),
    ['1', '2', '10', 'a', 'b'],
  );
  t.match(problem, { id: 'p', owner: 'admin', compare: 'trim', stopOnFirstFailure: false, limits: {}, bytes: blob.length });
  const index = decodeIndex(blob.subarray(BUNDLE_HEAD_BYTES, BUNDLE_HEAD_BYTES + indexLengthOf(blob)), blob.length);
  t.same(
    index.map((e) => e.path),
    [
      'tests/1.in',
      'tests/1.ans',
      'tests/2.in',
      'tests/2.ans',
      'tests/10.in',
      'tests/10.ans',
      'tests/a.in',
      'tests/a.ans',
      'tests/b.in',
      'tests/b.ans',
    ],
  );
});

t.test('one folder around everything is taken off', async (t) => {
  const { problem } = build(tests('1').map((f) => ({ ...f, path: `sum/${f.path}` })));
  t.same(
    problem.tests.map((x) => x.name),
    ['1'],
  );
});

t.test("a checker's entry is its runtime's file name, the one source, or what problem.json says", async (t) => {
  const settings = (checker: object) => file('problem.json', JSON.stringify({ checker }));
  t.match(build([settings({ language: 'cpp' }), file('checker/check.cpp'), file('checker/testlib.h'), ...tests('1')]).problem.checker, {
    language: 'cpp',
    entry: 'check.cpp',
    files: ['check.cpp', 'testlib.h'],
  });
  t.match(build([settings({ language: 'py' }), file('checker/main.py'), file('checker/util.py'), ...tests('1')]).problem.checker, {
    language: 'python',
    entry: 'main.py',
  });
  t.throws(() => build([settings({ language: 'python' }), file('checker/a.py'), file('checker/b.py'), ...tests('1')]), {
    code: 'invalid_request',
    message: /say which file of checker\/ is the program/,
  });
  t.match(
    build([
      settings({ language: 'python', entry: 'b.py', limits: { timeMs: 500 } }),
      file('checker/a.py'),
      file('checker/b.py'),
      ...tests('1'),
    ]).problem.checker,
    { entry: 'b.py', files: ['b.py', 'a.py'], limits: { timeMs: 500 } },
  );
  t.throws(() => build([file('checker/check.py'), ...tests('1')]), { message: /checker\/ needs checker.language/ });
  t.throws(() => build([settings({ language: 'python' }), ...tests('1')]), { message: /no checker\/ files/ });
  t.throws(() => build([settings({ language: 'python' }), file('checker/answer.txt'), file('checker/c.py'), ...tests('1')]), {
    code: 'invalid_file_name',
  });
});

t.test('an interactive problem may do without answers; another may not', async (t) => {
  const inputs = [file('tests/1.in', '7')];
  t.throws(() => build(inputs), { message: /tests\/1.in has no tests\/1.ans/ });
  const { problem } = build([file('problem.json', '{"interactor":{"language":"python"}}'), file('interactor/main.py'), ...inputs]);
  t.same(problem.tests, [{ name: '1', inputBytes: 1, answerBytes: null }]);
});

t.test('groups name tests by name or index, and are checked', async (t) => {
  const groups = (g: object[]) => file('problem.json', JSON.stringify({ groups: g }));
  t.same(
    build([
      groups([
        { tests: ['1', 1], points: 10 },
        { tests: ['10'], points: 90, dependencies: [0] },
      ]),
      ...tests('1', '2', '10'),
    ]).problem.groups,
    [
      { tests: [0, 1], points: 10 },
      { tests: [2], points: 90, dependencies: [0] },
    ],
  );
  t.throws(() => build([groups([{ tests: ['1'], points: 1, dependencies: [0] }]), ...tests('1')]), {
    message: /depends only on groups before it/,
  });
  t.throws(() => build([groups([{ tests: ['x'], points: 1 }]), ...tests('1')]), { message: /no tests\/x.in/ });
});

t.test('what has no place in a problem is refused, naming it', async (t) => {
  t.throws(() => build([file('statement/en.tex'), ...tests('1')]), { message: /"statement\/en.tex" has no place in a problem/ });
  t.throws(() => build([file('tests/sub/1.in'), ...tests('1')]), { message: /has no place/ });
  t.throws(() => build([file('problem.json', '{"limits":{"timeMs":"fast"}}'), ...tests('1')]), {
    code: 'invalid_request',
    message: /problem.json/,
  });
  t.throws(() => build([file('problem.json', '{nope'), ...tests('1')]), { message: /problem.json is not JSON/ });
  t.throws(() => build([file('tests/-rf.in'), file('tests/-rf.ans')]), { code: 'invalid_file_name' });
  t.throws(() => build([]), { message: /no tests/ });
  t.throws(() => buildProblem(tests('1', '2'), 'p', 'a', now, loadConfig({ JUDGE_MAX_TESTS: '1' }), runtimeCatalogue), {
    code: 'limit_exceeded',
  });
});
