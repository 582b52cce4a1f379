// Judge mode on real containers: compile once, each test a fresh process with the work
// folder restored, verdicts per test and for the run, comparison modes, limits per test.
import t from 'tap';
import { readStream, request, runFigures, runToEnd } from '../helpers/client.js';
import { containersLeftBy, startService } from '../helpers/service.js';

const aPlusB = '#include <iostream>\nint main(){long long a,b;std::cin>>a>>b;std::cout<<a+b<<"\\n";}';

t.test('judge mode', async (t) => {
  const { url, wsUrl } = await startService(t);

  t.test('a 30-test C++ problem is judged accepted, every test measured', async (t) => {
    const tests = Array.from({ length: 30 }, (_, i) => ({ stdin: `${i} ${i * 7}`, expected: `${i * 8}\n` }));
    const record = await runToEnd(url, { language: 'cpp', source: aPlusB, tests });
    t.match(record, { status: 'completed', verdict: 'accepted', compile: { exitCode: 0 } });
    t.equal(record.tests.length, 30);
    t.same(
      record.tests.map((x: any) => x.name),
      tests.map((_, i) => `test-${i + 1}`),
    );
    for (const test of record.tests) {
      t.match(test, { verdict: 'accepted', exitCode: 0, signal: null });
      t.ok(test.timeMs >= 0 && test.cpuTimeMs >= 0 && test.memoryBytes > 0, `${test.name} measured`);
    }
    t.same(await containersLeftBy(record.id), []);
  });

  t.test("the run takes the first failing test's verdict; the others are still judged", async (t) => {
    const record = await runToEnd(url, {
      language: 'cpp',
      source: aPlusB,
      tests: [
        { name: 'small', stdin: '1 2', expected: '3' },
        { name: 'wrong', stdin: '2 2', expected: '5' },
        { name: 'big', stdin: '1000000000000 1', expected: '1000000000001' },
      ],
    });
    t.equal(record.verdict, 'wrong_answer');
    t.same(
      record.tests.map((x: any) => [x.name, x.verdict]),
      [
        ['small', 'accepted'],
        ['wrong', 'wrong_answer'],
        ['big', 'accepted'],
      ],
    );
    t.equal(record.tests[1].stdout, '4\n');
  });

  t.test('stopOnFailure stops at the first failing test', async (t) => {
    const record = await runToEnd(url, {
      language: 'python',
      source: 'print(int(input()) * 2)',
      stopOnFailure: true,
      tests: [
        { stdin: '1', expected: '2' },
        { stdin: '2', expected: '5' },
        { stdin: '3', expected: '6' },
      ],
    });
    t.equal(record.verdict, 'wrong_answer');
    t.equal(record.tests.length, 2);
  });

  t.test('each test starts from the compiled work folder and an empty /tmp', async (t) => {
    const source =
      'import os\nfound = [p for p in ("state", "/tmp/state") if os.path.exists(p)]\nprint("dirty" if found else "clean")\nopen("state", "w").write("x"); open("/tmp/state", "w").write("x")\nimport subprocess; subprocess.Popen(["sleep", "30"])';
    const record = await runToEnd(url, {
      language: 'python',
      source,
      tests: [
        { stdin: '', expected: 'clean' },
        { stdin: '', expected: 'clean' },
        { stdin: '', expected: 'clean' },
      ],
    });
    t.same(
      record.tests.map((x: any) => x.stdout),
      ['clean\n', 'clean\n', 'clean\n'],
    );
    t.equal(record.verdict, 'accepted');
  });

  t.test('limits apply to each test: CPU, wall time, memory, output, runtime error', async (t) => {
    const source = [
      'import sys, time',
      'case = input().strip()',
      'if case == "spin":',
      '    while True: pass',
      'if case == "sleep":',
      '    time.sleep(30)',
      'if case == "eat":',
      '    x = bytearray(400 * 1024 * 1024)',
      'if case == "flood":',
      '    while True: print("y" * 1000)',
      'if case == "crash":',
      '    sys.exit(4)',
      'print("fine")',
    ].join('\n');
    const record = await runToEnd(url, {
      language: 'python',
      source,
      limits: { cpuTimeMs: 500, timeMs: 1500, memoryMb: 128, outputBytes: 20_000 },
      tests: ['spin', 'sleep', 'eat', 'flood', 'crash', 'ok'].map((c) => ({ name: c, stdin: c, expected: 'fine' })),
    });
    t.same(
      record.tests.map((x: any) => [x.name, x.verdict]),
      [
        ['spin', 'time_limit_exceeded'],
        ['sleep', 'time_limit_exceeded'],
        ['eat', 'memory_limit_exceeded'],
        ['flood', 'output_limit_exceeded'],
        ['crash', 'runtime_error'],
        ['ok', 'accepted'],
      ],
    );
    const spin = record.tests[0];
    t.ok(spin.cpuTimeMs >= 450 && spin.timeMs < 1500, `spin stopped by CPU: ${runFigures(spin)}`);
    // Stopped by the wall clock (long before its 30 s sleep ends), with its CPU well inside the
    // 500 ms it may use. Under gVisor the program's rusage, as the Sentry accounts it, counts
    // the interpreter's start-up system calls and page faults too: 200 ms and more on a loaded
    // host.
    const sleep = record.tests[1];
    t.ok(sleep.timeMs >= 1500 && sleep.timeMs < 10_000 && sleep.cpuTimeMs < 400, `sleep stopped by the wall clock: ${runFigures(sleep)}`);
    t.equal(record.tests[4].exitCode, 4);
    t.equal(record.verdict, 'time_limit_exceeded');
  });

  t.test('comparison modes', async (t) => {
    const judge = (source: string, expected: string, compare?: string, extra: Record<string, unknown> = {}) =>
      runToEnd(url, { language: 'python', source, tests: [{ stdin: '', expected }], ...(compare ? { compare } : {}), ...extra }).then(
        (r) => r.verdict,
      );
    t.equal(await judge('print("a b  ")\nprint()\nprint()', 'a b\n'), 'accepted', 'trim is the default');
    t.equal(await judge('print("a  b")', 'a b'), 'wrong_answer', 'trim keeps inner spaces');
    t.equal(await judge('print("a b")', 'a b', 'exact'), 'wrong_answer', 'exact sees the newline');
    t.equal(await judge('print("a\\n\\n b")', 'a b', 'tokens'), 'accepted');
    t.equal(await judge('print(0.1 + 0.2, 1e9 + 1e-4)', '0.3 1000000000', 'float'), 'accepted');
    t.equal(await judge('print(0.31)', '0.3', 'float'), 'wrong_answer');
    t.equal(await judge('print(0.31)', '0.3', 'float', { floatTolerance: 0.05 }), 'accepted');
  });

  t.test('isolateTests gives each test a container of its own, with the same verdicts', async (t) => {
    const record = await runToEnd(url, {
      language: 'cpp',
      source: aPlusB,
      isolateTests: true,
      tests: [
        { stdin: '1 1', expected: '2' },
        { stdin: '2 2', expected: '5' },
      ],
    });
    t.equal(record.verdict, 'wrong_answer');
    t.same(
      record.tests.map((x: any) => x.verdict),
      ['accepted', 'wrong_answer'],
    );
  });

  t.test('a compile error ends a judged run as compilation_error with no tests run', async (t) => {
    const record = await runToEnd(url, { language: 'c', source: 'int main( {', tests: [{ stdin: '', expected: '' }] });
    t.equal(record.verdict, 'compilation_error');
    t.notOk(record.tests?.length, 'no test ran');
  });

  t.test('a judged run cancelled mid-test ends cancelled, never accepted', async (t) => {
    const { body: run } = await request(url, 'POST', '/runs', {
      language: 'bash',
      source: 'read x; echo "$x"; [ "$x" = 2 ] && sleep 30; true',
      tests: [
        { stdin: '1', expected: '1' },
        { stdin: '2', expected: '2' },
        { stdin: '3', expected: '3' },
      ],
    });
    for (let i = 0; i < 100; i++) {
      const { body } = await request(url, 'GET', `/runs/${run.id}`);
      if (body.status === 'running') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 500));
    const { body: record } = await request(url, 'DELETE', `/runs/${run.id}`);
    t.equal(record.status, 'cancelled');
    t.equal(record.verdict, null);
    t.same(await containersLeftBy(run.id), []);
  });

  t.test('test output frames carry phase "test" and the test index', async (t) => {
    const record = await runToEnd(url, {
      language: 'bash',
      source: 'read x; echo "got $x"',
      tests: [
        { stdin: 'a', expected: 'got a' },
        { stdin: 'b', expected: 'got b' },
      ],
    });
    const { frames } = await readStream(wsUrl, `/runs/${record.id}/stream`);
    const output = frames.filter((f) => f.type === 'stdout');
    t.same(
      output.map((f) => [f.phase, f.test, f.data]),
      [
        ['test', 0, 'got a\n'],
        ['test', 1, 'got b\n'],
      ],
    );
    t.equal(frames.at(-1).run.verdict, 'accepted');
  });
});

t.test('under gVisor a test killed for memory takes its sandbox down; it is memory_limit_exceeded and the next tests go on', async (t) => {
  // Six judged runs at once: the engine loses its OOM flag for many gVisor sandboxes then.
  const { url } = await startService(t, { env: { SANDBOX_RUNTIME: 'runsc', WORKER_CONCURRENCY: '6' } });
  const source = ['case = input().strip()', 'if case == "eat":', '    x = bytearray(400 * 1024 * 1024)', 'print("fine")'].join('\n');
  const run = {
    language: 'python',
    source,
    limits: { memoryMb: 128 },
    tests: ['ok', 'eat', 'ok', 'eat', 'ok'].map((c, i) => ({ name: `${c}${i}`, stdin: c, expected: 'fine' })),
  };
  const records = await Promise.all(Array.from({ length: 6 }, () => runToEnd(url, run)));
  for (const record of records) {
    t.same(
      record.tests.map((x: any) => [x.name, x.verdict]),
      [
        ['ok0', 'accepted'],
        ['eat1', 'memory_limit_exceeded'],
        ['ok2', 'accepted'],
        ['eat3', 'memory_limit_exceeded'],
        ['ok4', 'accepted'],
      ],
    );
    t.equal(record.verdict, 'memory_limit_exceeded');
    t.same(await containersLeftBy(record.id), [], 'no container left');
  }
});
