// A Judge0 submission body turned into a run: Judge0's units to runbox's limits, field
// errors in Judge0's shape, compiler options before the sources, the wrappers its options
// need, and the multi-file program's scripts and runtime.
import t from 'tap';
import { planJudge0Submission, projectRuntime } from '../../../../src/api/judge0/submission-request.js';
import { loadConfig } from '../../../../src/config/config.js';
import { runtimeCatalogue } from '../../../../src/domain/runtimes.js';
import { zip as makeZip } from '../../../helpers/archives.js';

const config = loadConfig({ WEBHOOK_SECRET: 's' });
const plan = (body: object, base64 = false) => planJudge0Submission(body, base64, { config, catalogue: runtimeCatalogue });

t.test("Judge0's units become runbox's limits", async (t) => {
  const planned = await plan({
    language_id: 71,
    source_code: 'print(1)',
    cpu_time_limit: 1.5,
    wall_time_limit: '3',
    memory_limit: 100_000,
    max_processes_and_or_threads: 2,
    max_file_size: 10,
  });
  t.ok('plan' in planned);
  if (!('plan' in planned)) return;
  t.same(planned.plan.body.limits, { cpuTimeMs: 1500, timeMs: 3000, memoryMb: 98, pids: 4, outputBytes: 10 * 1024 });
  t.same(planned.plan.body.files, [{ name: 'main.py', content: Buffer.from('print(1)').toString('base64'), encoding: 'base64' }]);
  t.equal(planned.plan.commands, undefined, 'no own commands when no option needs them');
});

t.test('every field error at once, in Rails words', async (t) => {
  const planned = await plan({
    language_id: 71,
    source_code: 'x',
    cpu_time_limit: 'soon',
    wall_time_limit: 0.5,
    memory_limit: 10,
    number_of_runs: 0,
    enable_per_process_and_thread_time_limit: true,
    command_line_arguments: "'open",
  });
  t.same(planned, {
    errors: {
      cpu_time_limit: ['is not a number'],
      wall_time_limit: ['must be greater than or equal to 1'],
      memory_limit: ['must be greater than or equal to 2048'],
      number_of_runs: ['must be greater than 0'],
      enable_per_process_and_thread_time_limit: ['this option cannot be enabled'],
      command_line_arguments: ["has an unterminated ' quote"],
    },
  });
});

t.test('compiler options go before the sources; a stack limit and stderr redirection wrap the program', async (t) => {
  const planned = await plan({
    language_id: 54,
    source_code: 'int main(){}',
    compiler_options: '-O0 -DNAME="a b" ; rm -rf /',
    stack_limit: 65536,
    redirect_stderr_to_stdout: true,
  });
  if (!('plan' in planned)) return t.fail(JSON.stringify(planned));
  t.same(planned.plan.commands, {
    compile: ['g++', '-O2', '-std=gnu++17', '-o', 'main', '-O0', '-DNAME=a b', 'rm', '-rf', '/', '{sources}'],
    run: ['sh', '-c', 'ulimit -s 65536 2>/dev/null; exec "$@" 2>&1', 'sh', './main'],
  });
});

t.test('the multi-file program: its scripts, the runtime its sources need, no source_code', async (t) => {
  const zip = makeZip([
    { path: 'a.go', data: 'package main' },
    { path: 'compile', data: 'go build -o main a.go' },
    { path: 'run', data: './main' },
  ]).toString('base64');
  const planned = await plan({ language_id: 89, additional_files: zip });
  if (!('plan' in planned)) return t.fail(JSON.stringify(planned));
  t.equal(planned.plan.body.language, 'go');
  t.same(planned.plan.commands, { compile: ['bash', 'compile'], run: ['bash', 'run'] });
  t.same((await plan({ language_id: 89, source_code: 'x', additional_files: zip })) as object, {
    errors: { source_code: ['must be blank'] },
  });
  t.same(await plan({ language_id: 89 }), { errors: { additional_files: ["can't be blank"] } });
  const noRun = makeZip([{ path: 'compile', data: 'true' }]).toString('base64');
  t.same(await plan({ language_id: 89, additional_files: noRun }), {
    errors: { additional_files: ['a multi-file program needs a run script at the root of the archive'] },
  });
  t.equal(projectRuntime(['x.txt'], runtimeCatalogue).language, 'bash', 'no sources: bash');
});

t.test(
  "runbox_checker (an extension) decides the one test, with expected_output as its answer; it is checked as POST /runs's checker",
  async (t) => {
    const checker = { language: 'python', source: 'import sys; sys.exit(0)' };
    const planned = await plan({ language_id: 71, source_code: 'print(1)', stdin: '5', expected_output: '1.0', runbox_checker: checker });
    if (!('plan' in planned)) return t.fail(JSON.stringify(planned));
    t.same(planned.plan.body.tests, [{ stdin: '5', expected: '1.0' }]);
    t.same(planned.plan.body.checker, checker);
    t.equal(planned.plan.body.compare, undefined, "the checker decides, not Judge0's comparison");
    const unanswered = await plan({ language_id: 71, source_code: 'print(1)', runbox_checker: checker });
    if (!('plan' in unanswered)) return t.fail(JSON.stringify(unanswered));
    t.same(unanswered.plan.body.tests, [{ stdin: '' }], 'without expected_output the checker gets an empty answer');
    const refusals: [unknown, RegExp][] = [
      ['check.py', /must be \{language, source or files, limits\?\}/],
      [{ language: 'python' }, /exactly one of source and files/],
      [{ language: 'cobol', source: '' }, /no runtime is called "cobol"/],
      [{ language: 'python', files: [{ name: 'answer.txt', content: '' }] }, /may not be called answer.txt/],
      [{ language: 'python', source: '', limits: { timeMs: 10_000_000 } }, /limits.timeMs/],
    ];
    for (const [value, message] of refusals) {
      const refused = await plan({ language_id: 71, source_code: 'print(1)', runbox_checker: value });
      t.match(refused, { errors: { runbox_checker: [message] } }, JSON.stringify(value));
    }
  },
);

t.test('expected_output makes one trim-compared test; base64 inputs are decoded', async (t) => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const planned = await plan({ language_id: 71, source_code: b64('print(input())'), stdin: b64('hi'), expected_output: b64('hi') }, true);
  if (!('plan' in planned)) return t.fail(JSON.stringify(planned));
  t.same(planned.plan.body.tests, [{ stdin: 'hi', expected: 'hi' }]);
  t.equal(planned.plan.body.compare, 'trim');
  t.equal(planned.plan.body.stdin, undefined);
  t.equal(planned.plan.meta.source_code, 'print(input())');
});
