// The CLI's pure parts: exit codes, the verdict line, the spinner (only on a terminal).
import { Writable } from 'node:stream';
import t from 'tap';
import { exitCodeOf, verdictLine } from '../../../src/client/cli.js';
import { createSpinner } from '../../../src/client/spinner.js';
import type { RunRecord } from '../../../src/client/types.js';

const record = {
  id: 'r',
  status: 'completed',
  verdict: 'ok',
  exitCode: 0,
  signal: null,
  timeMs: 12,
  memoryBytes: 3 * 1024 * 1024,
} as RunRecord;

t.test('exit codes: the program, 128+N for a signal, 1 for what did not run or a failed judge', async (t) => {
  t.equal(exitCodeOf(record), 0);
  t.equal(exitCodeOf({ ...record, verdict: 'runtime_error', exitCode: 3 }), 3);
  t.equal(exitCodeOf({ ...record, verdict: 'runtime_error', exitCode: null, signal: 'SIGSEGV' }), 139);
  t.equal(exitCodeOf({ ...record, verdict: 'time_limit_exceeded', exitCode: null, signal: 'SIGKILL' }), 137);
  t.equal(exitCodeOf({ ...record, verdict: 'compilation_error', exitCode: null }), 1);
  t.equal(exitCodeOf({ ...record, status: 'failed', verdict: null, exitCode: null }), 1);
  t.equal(exitCodeOf({ ...record, verdict: 'accepted', tests: [] }), 0);
  t.equal(exitCodeOf({ ...record, verdict: 'wrong_answer', tests: [] }), 1);
});

t.test('the verdict line says what happened, the exit, time and memory', async (t) => {
  t.equal(verdictLine(record), 'runbox: ok · exit 0 · 12 ms · 3.0 MiB');
  t.equal(
    verdictLine({ ...record, verdict: 'runtime_error', exitCode: null, signal: 'SIGSEGV' }),
    'runbox: runtime_error · killed by SIGSEGV · 12 ms · 3.0 MiB',
  );
  t.equal(
    verdictLine({ ...record, status: 'failed', verdict: null, exitCode: null, timeMs: null, memoryBytes: null, error: 'lost' }),
    'runbox: failed · lost',
  );
});

t.test('the spinner draws on a terminal and clears its line; elsewhere it writes nothing', async (t) => {
  const written: string[] = [];
  const sink = Object.assign(new Writable({ write: (chunk, _e, done) => (written.push(chunk.toString()), done()) }), { isTTY: true });
  const spinner = createSpinner(sink, 5);
  spinner.start('queued');
  await new Promise((resolve) => setTimeout(resolve, 30));
  spinner.stop();
  t.match(written[0], /^\r. queued \d\.\ds/);
  t.ok(written.length > 2, 'redrawn while waiting');
  t.equal(written.at(-1), '\r\x1b[K', 'the line is cleared');
  const plain: string[] = [];
  const pipe = new Writable({ write: (chunk, _e, done) => (plain.push(chunk.toString()), done()) });
  const quiet = createSpinner(pipe, 5);
  quiet.start('queued');
  quiet.stop();
  t.same(plain, []);
});
