// Judge-mode figures of a running runbox (make up): one C++ A+B solution against 50 tests
// in one run, beside isolateTests (a container per test) and beside 50 separate runs of the
// same program. Usage: node --import tsx scripts/bench-judge.ts [base-url]
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

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}
