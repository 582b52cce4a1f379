// The judge fields of POST /runs: checker, interactor, groups, stopOnFirstFailure, problem.
import t from 'tap';
import { prepareSubmission } from '../../../src/api/run-submission.js';
import type { RunRequestBody } from '../../../src/api/schemas.js';
import { loadConfig } from '../../../src/config/config.js';
import type { Problem } from '../../../src/domain/problem.js';
import { runtimeCatalogue } from '../../../src/domain/runtimes.js';

const config = loadConfig({});
const submit = (body: RunRequestBody, problem?: Problem) =>
  prepareSubmission(body, config, runtimeCatalogue, 'run-1', new Date('2030-01-01T00:00:00Z'), problem);
const base: RunRequestBody = { language: 'python', source: 'print(1)' };
const tests = [{ stdin: '1', expected: '1' }];

t.test("a checker gets its runtime, its own limits (the server's, not the run's) and its files, the first the entry", async (t) => {
  const { request } = submit({
    ...base,
    limits: { timeMs: 1000 },
    tests,
    checker: {
      language: 'c++',
      files: [
        { name: 'check.cpp', content: 'x' },
        { name: 'testlib.h', content: 'y' },
      ],
      limits: { memoryMb: 64 },
    },
  });
  t.match(request.judge!.checker, {
    language: 'cpp',
    entry: 'check.cpp',
    limits: { timeMs: config.runTimeMs, memoryMb: 64 },
    files: [
      { name: 'check.cpp', content: Buffer.from('x').toString('base64') },
      { name: 'testlib.h', content: Buffer.from('y').toString('base64') },
    ],
  });
});

t.test('a checker or interactor is refused as a run would be: language, limits, file names', async (t) => {
  t.throws(() => submit({ ...base, tests, checker: { language: 'cobol', source: '' } }), { code: 'unknown_language' });
  t.throws(() => submit({ ...base, tests, checker: { language: 'python', source: '', limits: { timeMs: 10_000_000 } } }), {
    code: 'limit_exceeded',
  });
  t.throws(() => submit({ ...base, tests, interactor: { language: 'python', files: [{ name: '../x.py', content: '' }] } }), {
    code: 'invalid_file_name',
  });
  t.throws(() => submit({ ...base, tests, checker: { language: 'python', files: [{ name: 'answer.txt', content: '' }] } }), {
    code: 'invalid_file_name',
    message: /answer.txt/,
  });
});

t.test('a test without expected has an empty answer where a checker or interactor decides', async (t) => {
  t.match(submit({ ...base, tests: [{ stdin: '7' }], interactor: { language: 'python', source: '' } }).request.judge!.tests, [
    { name: 'test-1', stdin: '7', expected: '' },
  ]);
});

t.test('groups are checked against the tests', async (t) => {
  t.throws(() => submit({ ...base, tests, groups: [{ tests: [1], points: 1 }] }), { code: 'invalid_request', message: /names test 1/ });
  t.same(submit({ ...base, tests, groups: [{ tests: [0], points: 5 }] }).request.judge!.groups, [{ tests: [0], points: 5 }]);
  t.equal(submit({ ...base, tests, stopOnFirstFailure: true }).request.judge!.stopOnFailure, true);
});

const problem: Problem = {
  id: 'sum',
  hash: 'a'.repeat(64),
  bytes: 100,
  owner: 'admin',
  createdAt: '2030-01-01T00:00:00.000Z',
  tests: [
    { name: '1', inputBytes: 3, answerBytes: 2 },
    { name: '2', inputBytes: 3, answerBytes: null },
  ],
  limits: { timeMs: 1234 },
  compare: 'float',
  floatTolerance: 0.5,
  stopOnFirstFailure: true,
  checker: { language: 'python', entry: 'check.py', files: ['check.py'], limits: { memoryMb: 32 } },
  groups: [{ tests: [0, 1], points: 100 }],
};

t.test("a run against a problem takes the problem's tests, checker, groups and limits, by its bundle's hash", async (t) => {
  const { record, request } = submit({ ...base, problem: 'sum' }, problem);
  t.match(record, { problem: 'sum', limits: { timeMs: 1234 } });
  t.same(request.judge, {
    tests: [
      { name: '1', problemFiles: { answer: true } },
      { name: '2', problemFiles: { answer: false } },
    ],
    compare: 'float',
    floatTolerance: 0.5,
    stopOnFailure: true,
    isolateTests: false,
    checker: {
      language: 'python',
      entry: 'check.py',
      limits: { ...record.limits, timeMs: config.runTimeMs, memoryMb: 32, cpuTimeMs: config.runCpuTimeMs },
      files: { folder: 'checker', names: ['check.py'] },
    },
    groups: [{ tests: [0, 1], points: 100 }],
    problem: { id: 'sum', hash: 'a'.repeat(64) },
  });
  t.equal(
    submit({ ...base, problem: 'sum', stopOnFirstFailure: false }, { ...problem, stopOnFirstFailure: false }).request.judge!.stopOnFailure,
    false,
  );
});
