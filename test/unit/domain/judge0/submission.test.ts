// A run record seen as a Judge0 submission: statuses by verdict and signal, units, nulls,
// Ruby's base64, fields.
import t from 'tap';
import type { RunRecord } from '../../../../src/domain/run-record.js';
import { judge0StatusOf } from '../../../../src/domain/judge0/statuses.js';
import {
  judge0Fields,
  judge0Seconds,
  parseJudge0Fields,
  renderJudge0Submission,
  rubyBase64,
} from '../../../../src/domain/judge0/submission.js';
import { judge0IdOf, judge0LanguageById, judge0LanguageName } from '../../../../src/domain/judge0/languages.js';

const record: RunRecord = {
  id: 'tok',
  language: 'python',
  status: 'completed',
  verdict: 'ok',
  createdAt: '2030-01-01T00:00:00.000Z',
  startedAt: '2030-01-01T00:00:01.000Z',
  finishedAt: '2030-01-01T00:00:02.000Z',
  exitCode: 0,
  signal: null,
  timeMs: 25,
  cpuTimeMs: 20,
  memoryBytes: 8 * 1024 * 1024,
  stdout: 'hi\n',
  stderr: '',
  stdoutTruncated: false,
  stderrTruncated: false,
  compile: null,
  limits: { timeMs: 10_000, cpuTimeMs: 5000, memoryMb: 256, cpus: 1, pids: 64, outputBytes: 1024 * 1024, diskMb: 64 },
  interactive: false,
};

t.test('statuses: every runbox outcome has its Judge0 id', async (t) => {
  const cases: [Partial<RunRecord>, number][] = [
    [{ status: 'queued', verdict: null }, 1],
    [{ status: 'running', verdict: null }, 2],
    [{ verdict: 'ok' }, 3],
    [{ verdict: 'accepted' }, 3],
    [{ verdict: 'wrong_answer' }, 4],
    [{ verdict: 'presentation_error' }, 4],
    [{ verdict: 'partially_accepted' }, 4],
    [{ verdict: 'time_limit_exceeded' }, 5],
    [{ verdict: 'compilation_error' }, 6],
    [{ verdict: 'runtime_error', signal: 'SIGSEGV' }, 7],
    [{ verdict: 'runtime_error', signal: 'SIGXFSZ' }, 8],
    [{ verdict: 'runtime_error', signal: 'SIGFPE' }, 9],
    [{ verdict: 'runtime_error', signal: 'SIGABRT' }, 10],
    [{ verdict: 'runtime_error', exitCode: 1 }, 11],
    [{ verdict: 'runtime_error', signal: 'SIGBUS' }, 12],
    [{ verdict: 'memory_limit_exceeded' }, 12],
    [{ verdict: 'output_limit_exceeded' }, 8],
    [{ status: 'cancelled', verdict: null }, 13],
    [{ status: 'failed', verdict: null }, 13],
  ];
  for (const [change, id] of cases) t.equal(judge0StatusOf({ ...record, ...change }).id, id, JSON.stringify(change));
});

t.test('Ruby base64: a line break every 60 characters and at the end', async (t) => {
  t.equal(rubyBase64('hello, Judge0\n'), 'aGVsbG8sIEp1ZGdlMAo=\n');
  const long = rubyBase64('x'.repeat(100));
  t.same(
    long.split('\n').map((l) => l.length),
    [60, 60, 16, 0],
  );
  t.equal(Buffer.from(long, 'base64').toString(), 'x'.repeat(100));
});

t.test('seconds as decimal strings', async (t) => {
  t.same([judge0Seconds(23), judge0Seconds(5000), judge0Seconds(1500), judge0Seconds(null)], ['0.023', '5.0', '1.5', null]);
});

t.test('fields: default, *, a list, unknown names', async (t) => {
  t.same(parseJudge0Fields(undefined), { fields: ['token', 'time', 'memory', 'stdout', 'stderr', 'compile_output', 'message', 'status'] });
  t.same(parseJudge0Fields('stdout,status_id'), { fields: ['stdout', 'status_id'] });
  t.equal((parseJudge0Fields('*') as { fields: string[] }).fields.length, 42);
  t.same(parseJudge0Fields('stdout,bogus,*'), { invalid: ['bogus'] });
});

t.test('renders a finished run in Judge0 units, empty output as null', async (t) => {
  const out = renderJudge0Submission(record, undefined, { fields: judge0Fields, base64: false });
  t.match(out, {
    token: 'tok',
    language_id: 71,
    stdout: 'hi\n',
    stderr: null,
    compile_output: null,
    time: '0.02',
    wall_time: '0.025',
    memory: 8192,
    exit_code: 0,
    exit_signal: null,
    message: null,
    cpu_time_limit: '5.0',
    wall_time_limit: '10.0',
    memory_limit: 256 * 1024,
    max_file_size: 1024,
    max_processes_and_or_threads: 64,
    status: { id: 3, description: 'Accepted' },
    source_code: null,
  });
  const killed = renderJudge0Submission({ ...record, verdict: 'runtime_error', exitCode: null, signal: 'SIGSEGV' }, undefined, {
    fields: ['exit_code', 'exit_signal', 'message'],
    base64: true,
  });
  t.same(killed, { exit_code: 0, exit_signal: 11, message: rubyBase64('Caught fatal signal 11') }, 'as isolate reports a signal death');
  const queued = renderJudge0Submission(
    { ...record, status: 'queued', verdict: null, stdout: '', cpuTimeMs: null, timeMs: null, memoryBytes: null },
    undefined,
    {
      fields: ['stdout', 'time', 'memory', 'status'],
      base64: false,
    },
  );
  t.same(queued, { stdout: null, time: null, memory: null, status: { id: 1, description: 'In Queue' } });
  const judged = renderJudge0Submission(
    { ...record, verdict: 'wrong_answer', stdout: '', tests: [{ ...record, name: 't', verdict: 'wrong_answer', stdout: '4\n' } as never] },
    undefined,
    {
      fields: ['stdout', 'status_id'],
      base64: false,
    },
  );
  t.same(judged, { stdout: '4\n', status_id: 4 }, 'a judged run shows its test output');
});

t.test('languages: 1.13 ids, newer hosted ids, names with runbox versions', async (t) => {
  t.equal(judge0LanguageById(71)?.runtime, 'python');
  t.equal(judge0LanguageById(92)?.runtime, 'python');
  t.equal(judge0LanguageById(105)?.runtime, 'cpp');
  t.equal(judge0LanguageById(70), undefined, 'Python 2 is not offered');
  t.equal(judge0IdOf('cpp'), 54);
  t.equal(judge0LanguageName(judge0LanguageById(50)!, '12.2.0'), 'C (GCC 12.2.0)');
  t.equal(judge0LanguageName(judge0LanguageById(89)!, undefined), 'Multi-file program');
});
