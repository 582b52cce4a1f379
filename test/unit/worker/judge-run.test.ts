// How long one test of a judged run may take, all its parts together: what every sandbox of
// the run must live per test left.
import t from 'tap';
import type { JudgeSpec } from '../../../src/domain/run-spec.js';
import { perTestMs } from '../../../src/worker/judge-run.js';

const limits = (timeMs: number) => ({ timeMs, cpuTimeMs: 1000, memoryMb: 64, cpus: 1, pids: 16, outputBytes: 1024, diskMb: 8 });
const program = (timeMs: number) => ({ language: 'python', entry: 'c.py', limits: limits(timeMs), files: [{ name: 'c.py', content: '' }] });
const judge = (over: Partial<JudgeSpec> = {}): JudgeSpec => ({
  tests: [{ name: 't', stdin: '', expected: '' }],
  compare: 'trim',
  floatTolerance: 0,
  stopOnFailure: false,
  isolateTests: false,
  ...over,
});

t.test('the program alone: its limit and the grace', async (t) => {
  t.equal(perTestMs(judge(), 30_000, 2000), 32_000);
});

t.test("a checker runs after the program: its limit and grace are added, even when the program's is far longer", async (t) => {
  t.equal(perTestMs(judge({ checker: program(5000) }), 60_000, 2000), 60_000 + 2000 + 5000 + 2000);
});

t.test('an interactor runs beside the program and may wait 1 s past it; a checker then reads its output', async (t) => {
  t.equal(perTestMs(judge({ interactor: program(1000) }), 10_000, 2000), 11_000 + 2000);
  t.equal(perTestMs(judge({ interactor: program(20_000) }), 10_000, 2000), 20_000 + 2000);
  t.equal(perTestMs(judge({ interactor: program(1000), checker: program(3000) }), 10_000, 2000), 11_000 + 2000 + 3000 + 2000 + 1000);
});
