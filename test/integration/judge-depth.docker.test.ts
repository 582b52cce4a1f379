// Judge depth on real containers, one service for every case: checkers in testlib's
// conventions (a float checker with tolerance, partial points, one that crashes), a hostile
// submission after the checker's files, an interactive problem (guess the number), groups with
// dependencies and points, and a problem uploaded once and judged by reference on two workers.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import t from 'tap';
import { loadConfig } from '../../src/config/config.js';
import { createRedisFactory } from '../../src/lib/redis-connection.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { seriesValue } from '../helpers/metrics-text.js';
import { startWorkerService } from '../../src/worker/worker-service.js';
import { tarGz } from '../helpers/archives.js';
import { readStream, request, runToEnd } from '../helpers/client.js';
import { containersLeftBy, docker, removeDir, sandboxRuntime, startService } from '../helpers/service.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/judge/${name}`, import.meta.url), 'utf8');
const attack = (name: string) => readFileSync(new URL(`../fixtures/programs/${name}`, import.meta.url), 'utf8');

const floatChecker = {
  language: 'cpp',
  files: [
    { name: 'float-checker.cpp', content: fixture('float-checker.cpp') },
    { name: 'mini-checker.h', content: fixture('mini-checker.h') },
  ],
};
const partialChecker = { language: 'python', source: fixture('partial-checker.py') };
const interactor = { language: 'python', source: fixture('guess-interactor.py') };

t.test('judge depth', async (t) => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'runbox-problems-'));
  t.teardown(() => removeDir(cacheDir));
  const metrics = createMetrics();
  const { url, wsUrl, config, stopWorker } = await startService(t, {
    env: { PROBLEM_CACHE_DIR: join(cacheDir, 'worker-1'), WORKER_CONCURRENCY: '1' },
    metrics,
  });

  t.test('a float checker in testlib conventions: accepted within its tolerance, wrong answer beyond', async (t) => {
    const record = await runToEnd(url, {
      language: 'python',
      source: 'a, b = map(float, input().split())\nprint(a / b + (0.1 if a > 100 else 0))',
      checker: floatChecker,
      tests: [
        { name: 'third', stdin: '1 3', expected: '0.333333' },
        { name: 'big', stdin: '1000 7', expected: '142.857143' },
      ],
    });
    t.match(record, { status: 'completed', verdict: 'wrong_answer' });
    t.match(record.tests, [
      { name: 'third', verdict: 'accepted', score: 1, message: 'all numbers within 1e-4', stdout: '0.3333333333333333\n' },
      { name: 'big', verdict: 'wrong_answer', score: 0, message: /number 1: expected 142\.857143, found 142\.957143/ },
    ]);
    t.same(await containersLeftBy(record.id), [], "the checker's compile and run sandboxes are gone too");
    // The checker's compile output and its messages are never published on the run's stream.
    const { frames } = await readStream(wsUrl, `/runs/${record.id}/stream`);
    t.same(
      frames.filter((f) => f.type === 'stdout' || f.type === 'stderr').map((f) => [f.phase, f.test]),
      [
        ['test', 0],
        ['test', 1],
      ],
    );
  });

  t.test('a checker giving partial points, in groups with dependencies and points', async (t) => {
    const echo = 'import sys\nfor line in sys.stdin: print(line.strip().replace("x", "?"))';
    const record = await runToEnd(url, {
      language: 'python',
      source: echo,
      checker: partialChecker,
      tests: [
        { name: 'sample', stdin: 'a b', expected: 'a b' },
        { name: 'half', stdin: 'a x', expected: 'a x' },
        { name: 'whole', stdin: 'c d', expected: 'c d' },
        { name: 'needs-first', stdin: 'e f', expected: 'e f' },
        { name: 'none', stdin: 'x x', expected: 'x x' },
        { name: 'after-none', stdin: 'g', expected: 'g' },
      ],
      groups: [
        { tests: [0], points: 0 },
        { tests: [1, 2], points: 40, dependencies: [0] },
        { tests: [3], points: 30, dependencies: [1] },
        { tests: [4, 5], points: 30, dependencies: [0], stopOnFirstFailure: true },
      ],
    });
    t.match(record, { status: 'completed', verdict: 'wrong_answer', score: 20, maxScore: 100 });
    t.match(
      record.tests.map((x: any) => [x.name, x.verdict, x.score]),
      [
        ['sample', 'accepted', 1],
        ['half', 'partially_accepted', 0.5],
        ['whole', 'accepted', 1],
        ['needs-first', 'skipped', 0],
        ['none', 'wrong_answer', 0],
        ['after-none', 'skipped', 0],
      ],
    );
    t.equal(record.tests[1].message, 'points 0.5 1 of 2 lines');
    t.same(record.groups, [
      { points: 0, score: 0, verdict: 'accepted' },
      { points: 40, score: 20, verdict: 'partially_accepted' },
      { points: 30, score: 0, verdict: 'skipped' },
      { points: 30, score: 0, verdict: 'wrong_answer' },
    ]);
  });

  t.test('a checker that crashes is the judge failing: the run ends failed, never a verdict against the submission', async (t) => {
    const record = await runToEnd(url, {
      language: 'python',
      source: 'print(input())',
      checker: { language: 'python', source: fixture('crash-checker.py') },
      tests: [{ stdin: '1', expected: '1' }],
    });
    t.match(record, {
      status: 'failed',
      verdict: null,
      errorCode: 'judge_error',
      error: /^judge error: test test-1: the checker was killed by SIGABRT: checking\.\.\./,
    });
    t.equal(record.tests.length, 0, 'the test is not recorded with a verdict it never got');
    t.same(await containersLeftBy(record.id), []);
  });

  t.test("Judge0's facade: expected_output still compares; runbox_checker (an extension) decides with it as the answer", async (t) => {
    const submit = (body: Record<string, unknown>) =>
      request(url, 'POST', '/judge0/submissions?wait=true&fields=status,message,stdout,runbox_verdict', {
        language_id: 71,
        stdin: 'a b',
        expected_output: 'a b',
        ...body,
      });
    const echo = 'import sys\nfor line in sys.stdin: print(line.strip().replace("b", "?"))';
    const [compared, right, half] = await Promise.all([
      submit({ source_code: 'print(input())' }),
      submit({ source_code: 'print(input())', runbox_checker: partialChecker }),
      submit({ source_code: echo, runbox_checker: partialChecker }),
    ]);
    t.match(compared, { status: 201, body: { status: { id: 3 }, message: null, stdout: 'a b\n' } });
    t.match(right, { status: 201, body: { status: { id: 3 }, message: 'ok 2 lines', runbox_verdict: 'accepted' } });
    t.match(half, {
      status: 201,
      body: { status: { id: 4, description: 'Wrong Answer' }, message: 'points 0.5 1 of 2 lines', runbox_verdict: 'partially_accepted' },
    });
    const refused = await submit({ source_code: 'print(1)', runbox_checker: { language: 'python' } });
    t.match(refused, { status: 422, body: { runbox_checker: ['give exactly one of source and files'] } });
  });

  t.test('a submission cannot read or overwrite the answer or the checker: they are in another sandbox', async (t) => {
    const record = await runToEnd(url, {
      language: 'python',
      source: attack('judge-files-probe.py'),
      checker: partialChecker,
      tests: [{ stdin: 'the question', expected: '42' }],
    });
    const [test] = record.tests;
    t.equal(test.stderr, 'absent\n', 'no answer.txt, input.txt, output.txt or checker file anywhere it can see');
    t.notMatch(test.stdout + test.stderr, /42/, 'the answer never reaches it');
    t.match(test, { verdict: 'wrong_answer', message: 'wrong answer no line is right' }, 'what it wrote changed nothing the checker read');
  });

  t.test('guess the number with an interactor: right strategy accepted, a wrong one wrong answer, a silent one time limit', async (t) => {
    const tests = [
      { name: 'low', stdin: '7' },
      { name: 'high', stdin: '777777' },
    ];
    const judge = (file: string, extra: Record<string, unknown> = {}) =>
      runToEnd(url, { language: 'python', source: fixture(file), interactor, tests, limits: { timeMs: 3000 }, ...extra });
    // With a checker too: it reads what the interactor wrote to output.txt (the query count) and gives fewer points for more.
    const countingChecker = {
      language: 'python',
      source:
        'import sys\nq = int(open(sys.argv[2]).read())\nprint(f"points {1 if q <= 5 else 0.5} {q} queries", file=sys.stderr)\nsys.exit(7)',
    };
    const [right, wrong, silent, counted] = await Promise.all([
      judge('guess-right.py'),
      judge('guess-wrong.py'),
      judge('guess-silent.py'),
      judge('guess-wrong.py', { checker: countingChecker, tests: [tests[0], { name: 'one', stdin: '1' }] }),
    ]);
    t.match(right, { status: 'completed', verdict: 'accepted' });
    t.match(right.tests, [
      { verdict: 'accepted', message: /^ok found 7 in \d+ queries$/ },
      { verdict: 'accepted', message: /^ok found 777777 in \d+ queries$/ },
    ]);
    t.match(right.tests[1].stdout, /^\? 500000\n/, "the submission's side of the conversation is its stdout");
    t.match(wrong, { status: 'completed', verdict: 'wrong_answer' });
    t.match(wrong.tests, [{ verdict: 'accepted' }, { verdict: 'wrong_answer', message: 'wrong answer more than 20 queries' }]);
    t.match(silent, { status: 'completed', verdict: 'time_limit_exceeded' });
    t.match(silent.tests[0], { verdict: 'time_limit_exceeded', signal: 'SIGKILL' });
    t.ok(
      silent.tests[0].timeMs >= 3000 && silent.tests[0].timeMs < 6000,
      `both waiting ended at the wall limit (${silent.tests[0].timeMs} ms)`,
    );
    t.match(counted, { verdict: 'partially_accepted' });
    t.match(counted.tests, [
      { verdict: 'partially_accepted', score: 0.5, message: 'ok found 7 in 7 queries\npoints 0.5 7 queries' },
      { verdict: 'accepted', score: 1, message: 'ok found 1 in 1 queries' },
    ]);
    for (const record of [right, wrong, silent, counted]) t.same(await containersLeftBy(record.id), []);
  });

  t.test('a problem uploaded once is judged by reference by several runs on two workers, each fetching it once', async (t) => {
    const archive = tarGz([
      { path: 'sum/checker/check.py', data: fixture('partial-checker.py') },
      {
        path: 'sum/problem.json',
        data: JSON.stringify({
          checker: { language: 'python', limits: { timeMs: 4000 } },
          compare: 'tokens',
          limits: { timeMs: 5000 },
          groups: [
            { tests: ['1', '2'], points: 50 },
            { tests: ['10'], points: 50 },
          ],
        }),
      },
      { path: 'sum/tests/1.in', data: '1 2\n' },
      { path: 'sum/tests/1.ans', data: '3\n' },
      { path: 'sum/tests/2.in', data: '10 20\n' },
      { path: 'sum/tests/2.ans', data: '30\n' },
      { path: 'sum/tests/10.in', data: '1000000000000 1\n' },
      { path: 'sum/tests/10.ans', data: '1000000000001\n' },
    ]);
    const put = await request(url, 'PUT', '/problems/a-plus-b', archive, { 'content-type': 'application/gzip' });
    t.equal(put.status, 201, JSON.stringify(put.body));
    t.match(put.body, {
      id: 'a-plus-b',
      tests: [{ name: '1' }, { name: '2' }, { name: '10' }],
      checker: { language: 'python', entry: 'check.py', files: ['check.py'] },
    });

    const right = { language: 'python', source: 'a, b = map(int, input().split())\nprint(a + b)', problem: 'a-plus-b' };
    const capped = { language: 'python', source: 'a, b = map(int, input().split())\nprint(min(a + b, 99))', problem: 'a-plus-b' };
    const judged = async (runs: Record<string, unknown>[]) => {
      for (const [i, record] of (await Promise.all(runs.map((run) => runToEnd(url, run)))).entries()) {
        t.match(record, { status: 'completed', problem: 'a-plus-b', limits: { timeMs: 5000 }, maxScore: 100 });
        t.same(
          record.tests.map((x: any) => x.name),
          ['1', '2', '10'],
        );
        t.match(record, i % 2 === 0 ? { verdict: 'accepted', score: 100 } : { verdict: 'wrong_answer', score: 50 });
        t.match(record.tests[0], { message: 'ok 1 lines' }, "the problem's checker decided");
      }
    };
    // Two runs on the first worker; then it goes, and two more on a second one with a cache of its own.
    await judged([right, capped]);
    const secondMetrics = createMetrics();
    const second = await startWorkerService({
      config: loadConfig({
        REDIS_URL: config.redisUrl,
        LOG_LEVEL: 'silent',
        WORKER_CONCURRENCY: '2',
        SANDBOX_RUNTIME: sandboxRuntime(),
        POOL_SIZE: '0',
        PROBLEM_CACHE_DIR: join(cacheDir, 'worker-2'),
      }),
      redis: createRedisFactory(config.redisUrl, pino({ level: 'silent' })),
      log: pino({ level: 'silent' }),
      metrics: secondMetrics,
      docker,
    });
    t.teardown(() => second.close());
    await stopWorker();
    await judged([right, capped]);
    const counts = (name: string) => Promise.all([metrics, secondMetrics].map(async (m) => seriesValue(await m.render(), name)));
    t.same(await counts('runbox_problem_fetches_total'), [1, 1], 'each worker fetched the problem from Redis once');
    t.same(await counts('runbox_problem_cache_hits_total'), [1, 1], 'and judged its other run from its own disk');
  });
});
