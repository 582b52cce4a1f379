import t from 'tap';
import { Verdict } from '../../../src/domain/run-record.js';
import { verdictOf, type ExecutionOutcome } from '../../../src/domain/verdict.js';

const clean: ExecutionOutcome = { exitCode: 0, signal: null, timedOut: false, oomKilled: false, outputExceeded: false };
const outcome = (o: Partial<ExecutionOutcome>): ExecutionOutcome => ({ ...clean, ...o });

t.test('gives ok for exit code 0 without a signal or a limit', async (t) => {
  t.equal(verdictOf(clean), 'ok');
});

t.test('gives runtime_error for a non-zero exit code', async (t) => {
  t.equal(verdictOf(outcome({ exitCode: 1 })), 'runtime_error');
  t.equal(verdictOf(outcome({ exitCode: 139 })), 'runtime_error');
});

t.test('gives runtime_error for a program killed by a signal', async (t) => {
  t.equal(verdictOf(outcome({ exitCode: null, signal: 'SIGSEGV' })), 'runtime_error');
  t.equal(verdictOf(outcome({ exitCode: null, signal: 'SIGKILL' })), 'runtime_error');
  t.equal(verdictOf(outcome({ exitCode: null, signal: 'SIGABRT' })), 'runtime_error');
});

t.test('gives runtime_error when the exit code is unknown', async (t) => {
  t.equal(verdictOf(outcome({ exitCode: null })), 'runtime_error');
});

t.test('gives time_limit_exceeded when the wall time ran out', async (t) => {
  t.equal(verdictOf(outcome({ timedOut: true, exitCode: null, signal: 'SIGKILL' })), 'time_limit_exceeded');
});

t.test('gives time_limit_exceeded when the CPU limit sent SIGXCPU', async (t) => {
  t.equal(verdictOf(outcome({ exitCode: null, signal: 'SIGXCPU' })), 'time_limit_exceeded');
});

t.test('gives memory_limit_exceeded when the sandbox was OOM-killed', async (t) => {
  t.equal(verdictOf(outcome({ oomKilled: true, exitCode: null, signal: 'SIGKILL' })), 'memory_limit_exceeded');
  t.equal(verdictOf(outcome({ oomKilled: true, exitCode: 0 })), 'memory_limit_exceeded', 'even when the program then exited 0');
});

t.test('gives output_limit_exceeded when output passed its cap', async (t) => {
  t.equal(verdictOf(outcome({ outputExceeded: true, exitCode: null, signal: 'SIGKILL' })), 'output_limit_exceeded');
});

// output > time > memory > SIGXCPU > runtime_error > ok: each row adds the next stronger cause.
const priority: [Partial<ExecutionOutcome>, string][] = [
  [{}, Verdict.ok],
  [{ exitCode: 2 }, Verdict.runtimeError],
  [{ exitCode: null, signal: 'SIGXCPU' }, Verdict.timeLimitExceeded],
  [{ exitCode: null, signal: 'SIGXCPU', oomKilled: true }, Verdict.memoryLimitExceeded],
  [{ exitCode: null, signal: 'SIGKILL', oomKilled: true, timedOut: true }, Verdict.timeLimitExceeded],
  [{ exitCode: null, signal: 'SIGKILL', oomKilled: true, timedOut: true, outputExceeded: true }, Verdict.outputLimitExceeded],
];
for (const [fields, verdict] of priority) {
  t.test(`gives ${verdict} for ${JSON.stringify(fields)}`, async (t) => {
    t.equal(verdictOf(outcome(fields)), verdict);
  });
}

t.test('ranks output over time over memory over SIGXCPU over runtime_error', async (t) => {
  t.equal(verdictOf(outcome({ outputExceeded: true, timedOut: true })), 'output_limit_exceeded');
  t.equal(verdictOf(outcome({ outputExceeded: true, oomKilled: true })), 'output_limit_exceeded');
  t.equal(verdictOf(outcome({ timedOut: true, oomKilled: true })), 'time_limit_exceeded');
  t.equal(verdictOf(outcome({ oomKilled: true, signal: 'SIGXCPU' })), 'memory_limit_exceeded');
  t.equal(verdictOf(outcome({ timedOut: true, exitCode: 1 })), 'time_limit_exceeded');
  t.equal(verdictOf(outcome({ signal: 'SIGXCPU', exitCode: 1 })), 'time_limit_exceeded');
});

t.test('never gives compilation_error for an execution', async (t) => {
  const seen = new Set<string>();
  for (const exitCode of [0, 1, null])
    for (const signal of [null, 'SIGKILL', 'SIGXCPU'])
      for (const timedOut of [false, true])
        for (const oomKilled of [false, true])
          for (const outputExceeded of [false, true]) seen.add(verdictOf({ exitCode, signal, timedOut, oomKilled, outputExceeded }));
  t.same([...seen].sort(), ['memory_limit_exceeded', 'ok', 'output_limit_exceeded', 'runtime_error', 'time_limit_exceeded']);
});

t.test('judge verdicts', async (t) => {
  const { runVerdictOfTests, testVerdictOf } = await import('../../../src/domain/verdict.js');
  const clean = { exitCode: 0, signal: null, timedOut: false, oomKilled: false, outputExceeded: false };
  t.equal(testVerdictOf(clean, true), 'accepted');
  t.equal(testVerdictOf(clean, false), 'wrong_answer');
  t.equal(testVerdictOf({ ...clean, exitCode: 1 }, true), 'runtime_error', 'a crash with the right output is still a crash');
  t.equal(testVerdictOf({ ...clean, timedOut: true }, true), 'time_limit_exceeded');
  t.equal(testVerdictOf({ ...clean, oomKilled: true, signal: 'SIGKILL', exitCode: null }, false), 'memory_limit_exceeded');
  t.equal(testVerdictOf({ ...clean, outputExceeded: true }, false), 'output_limit_exceeded');
  t.equal(runVerdictOfTests(['accepted', 'accepted']), 'accepted');
  t.equal(runVerdictOfTests(['accepted', 'time_limit_exceeded', 'wrong_answer']), 'time_limit_exceeded', 'the first failing test decides');
});
