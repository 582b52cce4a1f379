import t from 'tap';
import { keptOutputBytes, type TestResult } from '../../../src/domain/run-record.js';

const test = (stdout: string, stdoutTruncated = false): TestResult => ({
  name: 't',
  verdict: 'accepted',
  exitCode: 0,
  signal: null,
  timeMs: 1,
  cpuTimeMs: 1,
  memoryBytes: 1,
  stdout,
  stderr: '',
  stdoutTruncated,
  stderrTruncated: false,
});

t.test('a run keeps its stdout, stderr and compiler output twice: in its record and in its event stream', async (t) => {
  t.equal(keptOutputBytes({ stdout: 'a'.repeat(100), stderr: 'é' }, 1000), 2 * (100 + 2));
  t.equal(keptOutputBytes({ stdout: '', stderr: '', compile: { exitCode: 0, stdout: 'x', stderr: 'warning', timeMs: 1 } }, 1000), 2 * 8);
  t.equal(keptOutputBytes({}, 1000), 0, 'a run that printed nothing keeps nothing');
});

t.test('a test keeps its output twice, but a clipped one counts its cap for the event stream, which is not clipped', async (t) => {
  t.equal(keptOutputBytes({ stdout: '', stderr: '', tests: [test('ok\n'), test('ok\n')] }, 1000), 2 * 2 * 3);
  t.equal(keptOutputBytes({ stdout: '', stderr: '', tests: [test('x'.repeat(64), true)] }, 1000), 64 + 1000);
});
