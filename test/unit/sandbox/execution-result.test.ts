import t from 'tap';
import { createExecutionCollector, type HostFacts } from '../../../src/sandbox/execution-result.js';

const report = {
  exitCode: 0,
  signal: 0,
  timeMs: 40,
  cpuTimeMs: 30,
  memoryBytes: 4096,
  oomKilled: false,
  timedOut: false,
  cpuExceeded: false,
  outputExceeded: null,
};
const host = (over: Partial<HostFacts> = {}): HostFacts => ({
  timedOut: false,
  cancelled: false,
  oomKilled: false,
  elapsedMs: 55,
  limits: { timeMs: 1000, cpuTimeMs: 1000 },
  ...over,
});

t.test("with a report: the report's figures, the output as it came", async (t) => {
  const c = createExecutionCollector(100);
  c.outputs.stdout.push(Buffer.from('hi'));
  const r = c.result(report, host());
  t.match(r, { exitCode: 0, signal: null, timeMs: 40, cpuTimeMs: 30, memoryBytes: 4096, timedOut: false, stdout: Buffer.from('hi') });
  t.match(c.result({ ...report, exitCode: -1, signal: 11 }, host()), { exitCode: null, signal: 'SIGSEGV' });
});

t.test('a report whose own times are past the limits is held to them, whatever its flags say', async (t) => {
  const c = createExecutionCollector(100);
  t.equal(c.result({ ...report, timeMs: 1500 }, host()).timedOut, true);
  t.equal(c.result({ ...report, cpuTimeMs: 1001 }, host()).timedOut, true);
  t.equal(c.result(report, host()).timedOut, false);
});

t.test("without a report: the engine's exit status, the host's own time and kills", async (t) => {
  const c = createExecutionCollector(100);
  t.match(c.result(undefined, host({ exitStatus: 137, oomKilled: true })), {
    exitCode: null,
    signal: 'SIGKILL',
    oomKilled: true,
    timeMs: 55,
    cpuTimeMs: null,
  });
  t.match(c.result(undefined, host({ exitStatus: 2 })), { exitCode: 2, signal: null });
  t.match(c.result(undefined, host({ timedOut: true, exitStatus: 137 })), { timedOut: true });
});

t.test("output past the cap is cut and flagged; runbox's notes go after the program's stderr, outside its cap", async (t) => {
  const c = createExecutionCollector(4);
  t.equal(c.outputs.stderr.push(Buffer.from('123456')).toString(), '1234');
  c.note('the sandbox was stopped');
  const r = c.result(report, host());
  t.equal(r.stderr.toString(), '1234\nrunbox: the sandbox was stopped\n');
  t.match(r, { stderrTruncated: true, outputExceeded: true });
});
