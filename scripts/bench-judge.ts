// Judge-mode figures of a running runbox (make up): one C++ A+B solution against 50 tests
// in one run, beside isolateTests (a container per test) and beside 50 separate runs of the
// same program; then what a checker adds per test, and an interactive problem's cost per
// test (guess the number, both sides in Python). Usage: node --import tsx scripts/bench-judge.ts [base-url]
import { readFileSync } from 'node:fs';

const base = process.argv[2] ?? process.env.RUNBOX_URL ?? 'http://127.0.0.1:8080';
const source = '#include <iostream>\nint main(){long long a,b;std::cin>>a>>b;std::cout<<a+b<<"\\n";}';
const tests = Array.from({ length: 50 }, (_, i) => ({ stdin: `${i} ${i * 3}`, expected: String(i * 4) }));

interface Record {
  verdict: string;
  compile: { timeMs: number } | null;
  tests?: { timeMs: number }[];
}

async function run(body: object): Promise<Record> {
  const response = await fetch(`${base}/runs?wait=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const record = (await response.json()) as Record;
  if (response.status !== 200) throw new Error(`run did not end: ${response.status} ${JSON.stringify(record)}`);
  return record;
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, performance.now() - started];
}

await run({ language: 'cpp', source, tests: tests.slice(0, 1) }); // warm-up

const [judged, judgedMs] = await timed(() => run({ language: 'cpp', source, tests }));
const compileMs = judged.compile?.timeMs ?? 0;
const testsMs = judgedMs - compileMs;
console.log(
  `one run, 50 tests: ${(judgedMs / 1000).toFixed(2)} s end to end (${judged.verdict}); compile ${compileMs} ms; ` +
    `tests ${(testsMs / 1000).toFixed(2)} s = ${(testsMs / 50).toFixed(1)} ms per test (program itself: median ${median(judged.tests!.map((t) => t.timeMs))} ms)`,
);

const [isolated, isolatedMs] = await timed(() => run({ language: 'cpp', source, tests, isolateTests: true }));
console.log(
  `isolateTests, 50 tests: ${(isolatedMs / 1000).toFixed(2)} s end to end (${isolated.verdict}) = ${((isolatedMs - (isolated.compile?.timeMs ?? 0)) / 50).toFixed(1)} ms per test`,
);

const [separate, separateMs] = await timed(() => Promise.all(tests.map((t) => run({ language: 'cpp', source, stdin: t.stdin }))));
const ok = separate.filter((r) => r.verdict === 'ok').length;
console.log(`50 separate runs (each compiles), submitted at once: ${(separateMs / 1000).toFixed(2)} s end to end (${ok}/50 ok)`);
console.log(
  `ratio: separate runs / one judged run = ${(separateMs / judgedMs).toFixed(1)}x; isolateTests / one judged run = ${(isolatedMs / judgedMs).toFixed(1)}x`,
);

// A checker (Python: no compile) deciding each of the same 50 tests.
const checker = {
  language: 'python',
  source: 'import sys\n_, _, out, ans = sys.argv\nsys.exit(0 if open(out).read().split() == open(ans).read().split() else 1)',
};
await run({ language: 'cpp', source, tests: tests.slice(0, 1), checker }); // warm-up
const [checked, checkedMs] = await timed(() => run({ language: 'cpp', source, tests, checker }));
const checkedTestsMs = checkedMs - (checked.compile?.timeMs ?? 0);
console.log(
  `one run, 50 tests, with a checker: ${(checkedMs / 1000).toFixed(2)} s end to end (${checked.verdict}) = ${(checkedTestsMs / 50).toFixed(1)} ms per test, ` +
    `${((checkedTestsMs - testsMs) / 50).toFixed(1)} ms more than comparing`,
);

// Guess the number: 20 tests, about 17 queries each, both sides in Python.
const fixture = (name: string) => readFileSync(new URL(`../test/fixtures/judge/${name}`, import.meta.url), 'utf8');
const interactive = {
  language: 'python',
  source: fixture('guess-right.py'),
  interactor: { language: 'python', source: fixture('guess-interactor.py') },
  tests: Array.from({ length: 20 }, (_, i) => ({ stdin: String(1 + i * 49_999) })),
};
await run({ ...interactive, tests: interactive.tests.slice(0, 1) }); // warm-up
const [talked, talkedMs] = await timed(() => run(interactive));
console.log(
  `interactive, 20 tests of ~17 queries: ${(talkedMs / 1000).toFixed(2)} s end to end (${talked.verdict}) = ${(talkedMs / 20).toFixed(1)} ms per test ` +
    `(the submission's own wall time: median ${median(talked.tests!.map((t) => t.timeMs))} ms)`,
);

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}
