// Judge mode over a stand-in sandbox: which sandbox each test runs in, when the work folder is
// restored, and what the record says.
import t from 'tap';
import type { SandboxProfile } from '../../../src/sandbox/container-spec.js';
import type { ExecutionResult } from '../../../src/sandbox/execution-result.js';
import { SandboxCommandError, type ExecutionRequest } from '../../../src/sandbox/sandbox-session.js';
import { WorkFolder } from '../../../src/sandbox/work-folder.js';
import type { EventPublisher } from '../../../src/store/event-stream.js';
import type { JudgeSpec } from '../../../src/domain/run-spec.js';
import { outputMatches } from '../../../src/domain/compare.js';
import { judgeTests } from '../../../src/worker/judge.js';
import { executionResult } from '../../helpers/execution-results.js';
import type { SandboxPort, SessionPort } from '../../../src/worker/sandbox-port.js';

const profile: SandboxProfile = {
  image: 'runbox/python:latest',
  runtime: 'runc',
  limits: { memoryMb: 256, cpus: 1, pids: 64, diskMb: 64 },
  network: false,
  root: false,
};
const events = { output: () => undefined, lastSeq: 0, flush: async () => undefined } as unknown as EventPublisher;

const ok = executionResult;

/** A sandbox whose sessions answer each test with `answer(stdin)`; every call is logged as "session:call". */
function fakeSandbox(answer: (stdin: string) => { result: ExecutionResult; dies?: boolean }, options: { restoreFails?: boolean } = {}) {
  const log: string[] = [];
  let sessions = 0;
  const sandbox: SandboxPort = {
    async open() {
      const id = ++sessions;
      let usable = true;
      const session: SessionPort = {
        get usable() {
          return usable;
        },
        async putFiles() {
          log.push(`${id}:files`);
        },
        async snapshot() {
          log.push(`${id}:snapshot`);
        },
        async restore() {
          log.push(`${id}:restore`);
          if (options.restoreFails) throw new SandboxCommandError('cannot empty the work folder');
        },
        async execute(request: ExecutionRequest) {
          const stdin = (request.stdin as Buffer).toString();
          log.push(`${id}:run ${stdin}`);
          const { result, dies } = answer(stdin);
          if (dies) usable = false;
          return result;
        },
        async collect() {
          throw new Error('not in judge mode');
        },
        close() {
          log.push(`${id}:close`);
        },
      };
      return session;
    },
  };
  return { sandbox, log };
}

const judge = (over: Partial<JudgeSpec> = {}): JudgeSpec => ({
  tests: ['1', '2', '3'].map((n) => ({ name: `t${n}`, stdin: n, expected: `${n}` })),
  compare: 'trim',
  floatTolerance: 1e-6,
  stopOnFailure: false,
  isolateTests: false,
  ...over,
});

const run = (sandbox: SandboxPort, j: JudgeSpec, progress = { executions: 0, frames: 0 }) =>
  judgeTests({
    sandbox,
    profile,
    runId: 'run-1',
    folder: new WorkFolder(),
    execution: { command: ['python3', 'main.py'], env: {}, limits: { timeMs: 1000, cpuTimeMs: 1000, outputBytes: 1000 } },
    judge: j,
    events,
    testOutputBytes: 100,
    killGraceMs: 2000,
    progress,
    comparer: { compare: async (...a) => outputMatches(...a) },
  });

t.test('every test in one sandbox: files and a snapshot once, a restore before each test but the first', async (t) => {
  const { sandbox, log } = fakeSandbox((stdin) => ({ result: ok(stdin) }));
  const progress = { executions: 0, frames: 0 };
  const outcome = await run(sandbox, judge(), progress);
  t.same(log, ['1:files', '1:snapshot', '1:run 1', '1:restore', '1:run 2', '1:restore', '1:run 3', '1:close']);
  t.same(
    outcome.tests.map((x) => x.verdict),
    ['accepted', 'accepted', 'accepted'],
  );
  t.equal(outcome.verdict, 'accepted');
  t.equal(progress.executions, 3, 'each test counts as an execution: the run is never run again after one');
});

t.test('a test that takes its sandbox down is judged by what the host saw, and the rest go on in a fresh one', async (t) => {
  const { sandbox, log } = fakeSandbox((stdin) =>
    stdin === '2' ? { result: ok('', { exitCode: null, signal: 'SIGKILL', oomKilled: true }), dies: true } : { result: ok(stdin) },
  );
  const outcome = await run(sandbox, judge());
  t.same(log, ['1:files', '1:snapshot', '1:run 1', '1:restore', '1:run 2', '1:close', '2:files', '2:snapshot', '2:run 3', '2:close']);
  t.same(
    outcome.tests.map((x) => x.verdict),
    ['accepted', 'memory_limit_exceeded', 'accepted'],
  );
  t.equal(outcome.verdict, 'memory_limit_exceeded');
});

t.test('a restore that fails moves the next test to a fresh sandbox instead of running it on what the last one left', async (t) => {
  const { sandbox, log } = fakeSandbox((stdin) => ({ result: ok(stdin) }), { restoreFails: true });
  await run(sandbox, judge({ tests: judge().tests.slice(0, 2) }));
  t.same(log, ['1:files', '1:snapshot', '1:run 1', '1:restore', '1:close', '2:files', '2:snapshot', '2:run 2', '2:close']);
});

t.test('isolateTests gives each test a sandbox of its own, without snapshots', async (t) => {
  const { sandbox, log } = fakeSandbox((stdin) => ({ result: ok(stdin) }));
  await run(sandbox, judge({ isolateTests: true }));
  t.same(log, ['1:files', '1:run 1', '1:close', '2:files', '2:run 2', '2:close', '3:files', '3:run 3', '3:close']);
});

t.test('stopOnFailure stops at the first test that fails; a wrong answer is wrong_answer', async (t) => {
  const { sandbox, log } = fakeSandbox((stdin) => ({ result: ok(stdin === '2' ? 'nope' : stdin) }));
  const outcome = await run(sandbox, judge({ stopOnFailure: true }));
  t.same(
    outcome.tests.map((x) => [x.name, x.verdict]),
    [
      ['t1', 'accepted'],
      ['t2', 'wrong_answer'],
    ],
  );
  t.notOk(log.includes('1:run 3'));
});

t.test('a cancelled test ends the judging as cancelled', async (t) => {
  const { sandbox } = fakeSandbox(() => ({ result: ok('', { cancelled: true, signal: 'SIGKILL', exitCode: null }), dies: true }));
  const outcome = await run(sandbox, judge());
  t.equal(outcome.cancelled, true);
  t.equal(outcome.tests.length, 0);
});
