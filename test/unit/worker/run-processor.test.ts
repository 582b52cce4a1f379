// The life of one run on a worker over stand-ins (store, sandbox, frames): what it runs, what
// it writes at the end, when it gives the job back to the queue and when a fault ends the run.
import pino from 'pino';
import t from 'tap';
import type { RunRecord } from '../../../src/domain/run-record.js';
import type { RunSpec } from '../../../src/domain/run-spec.js';
import { findRuntime, runtimeCatalogue } from '../../../src/domain/runtimes.js';
import { createMetrics } from '../../../src/lib/metrics.js';
import { SandboxFault } from '../../../src/sandbox/container-lifecycle.js';
import type { ExecutionResult } from '../../../src/sandbox/execution-result.js';
import type { EventPublisher } from '../../../src/store/event-stream.js';
import type { InputReader } from '../../../src/store/run-input.js';
import type { RunStore } from '../../../src/store/run-store.js';
import { createRunProcessor } from '../../../src/worker/run-processor.js';
import type { SandboxPort, SessionPort } from '../../../src/worker/sandbox-port.js';
import { executionResult } from '../../helpers/execution-results.js';
import { queuedRecord } from '../../helpers/stored-runs.js';

const spec: RunSpec = {
  files: [{ name: 'main.sh', content: Buffer.from('echo hi').toString('base64') }],
  stdin: 'typed',
  args: ['a1'],
  env: { MINE: '1' },
  network: false,
};

interface World {
  record?: RunRecord;
  markRunning?: boolean;
  requeue?: boolean;
  finishes?: boolean;
  /** Reading the record and finishing it each fail this many times first, as with Redis away (a failover). */
  redisAway?: number;
  /** The run's finish lands, and the connection drops before its answer: the retry finds the run ended. */
  finishAnswerLost?: boolean;
  /** What the sandbox does: answer with a result, or throw. */
  sandbox: () => ExecutionResult | Error;
}

function setup(world: World) {
  const calls: string[] = [];
  const finished: Partial<RunRecord>[] = [];
  const webhooks: string[] = [];
  let answerLost = false;
  const executions: { command: readonly string[]; env: Record<string, string>; stdin: string }[] = [];
  const away = { get: world.redisAway ?? 0, finish: world.redisAway ?? 0 };
  const unavailable = (step: 'get' | 'finish') => {
    if (away[step] <= 0) return;
    away[step]--;
    calls.push(`${step}: Connection is closed.`);
    throw new Error('Connection is closed.');
  };
  const store = {
    get: async () => (unavailable('get'), world.record),
    getRequest: async () => (world.record ? spec : undefined),
    markRunning: async () => (calls.push('markRunning'), world.markRunning ?? true),
    markQueuedAgain: async () => (calls.push('markQueuedAgain'), world.requeue ?? true),
    failLost: async (_id: string, error: string, _at: string, { queuedToo = false } = {}) => {
      calls.push(`failLost${queuedToo ? ' (queued too)' : ''}: ${error}`);
      return world.record?.status === 'running' || (queuedToo && world.record?.status === 'queued');
    },
    finish: async (_id: string, final: Partial<RunRecord>) => {
      unavailable('finish');
      if (world.finishAnswerLost) {
        if (answerLost) return false;
        answerLost = true;
        finished.push(final);
        world.record = { ...world.record, ...final } as RunRecord;
        calls.push('finish: landed, Connection is closed.');
        throw new Error('Connection is closed.');
      }
      finished.push(final);
      return world.finishes ?? true;
    },
  } as unknown as RunStore;
  const sandbox: SandboxPort = {
    async open() {
      calls.push('open');
      const answer = world.sandbox();
      if (answer instanceof Error) throw answer;
      const session: SessionPort = {
        usable: true,
        putFiles: async () => void calls.push('putFiles'),
        snapshot: async () => undefined,
        restore: async () => undefined,
        async execute(request) {
          executions.push({ command: request.command, env: { ...request.env }, stdin: String(request.stdin) });
          request.onOutput?.('stdout', answer.stdout);
          return answer;
        },
        collect: async () => {
          throw new Error('no compile step here');
        },
        close: () => void calls.push('close'),
      };
      return session;
    },
  };
  const frames: string[] = [];
  // As the real publisher does, empty output makes no frame.
  const publisher = {
    output: (stream: string, data: Buffer) => data.length > 0 && frames.push(`${stream}:${data}`),
    lastSeq: 0,
    flush: async () => undefined,
  };
  const processor = createRunProcessor({
    store,
    sandbox,
    publisherFor: () => publisher as unknown as EventPublisher,
    runtimes: { resolve: async (language) => findRuntime(runtimeCatalogue, language) },
    imagePrefix: 'runbox',
    sandboxRuntime: 'runc',
    compileLimits: { timeMs: 1000, memoryMb: 256, outputBytes: 1000 },
    testOutputBytes: 1000,
    killGraceMs: 100,
    log: pino({ level: 'silent' }),
    metrics: createMetrics(),
    webhooks: { enqueue: async (id) => void webhooks.push(id) },
    inputReader: { follow: () => () => undefined } as unknown as InputReader,
    comparer: { compare: async () => true },
    artifacts: { store: { write: async () => undefined, remove: async () => undefined }, limits: { maxFiles: 1, maxBytes: 1 } },
  });
  return { processor, calls, finished, webhooks, executions, frames };
}

/** A queued run (or in `fields`' state) that has a webhook. */
const hooked = (id: string, fields: Partial<RunRecord> = {}) => queuedRecord(id, { webhook: 'https://example.test/h', ...fields });

const firstTry = { attemptsMade: 0, attempts: 3 };
const lastTry = { attemptsMade: 2, attempts: 3 };

t.test('a queued run is taken, run with its files, args, env and stdin, and finished completed with its output', async (t) => {
  const w = setup({ record: hooked('r1'), sandbox: () => executionResult('hi\n') });
  await w.processor.process('r1', firstTry);
  t.same(w.calls, ['markRunning', 'open', 'putFiles', 'close']);
  t.equal(w.executions.length, 1);
  t.same(w.executions[0].command.slice(-1), ['a1'], 'the args follow the runtime command');
  t.equal(w.executions[0].env.MINE, '1');
  t.equal(w.executions[0].stdin, 'typed');
  t.same(w.frames, ['stdout:hi\n'], 'output is published as it comes');
  t.match(w.finished, [{ status: 'completed', verdict: 'ok', exitCode: 0, stdout: 'hi\n', finishedAt: /T/ }]);
  t.same(w.webhooks, ['r1'], 'a run with a webhook hands it on once it has ended');
});

t.test('Redis away while the run is read and finished (a restart, a failover) is waited out, not spent as a try', async (t) => {
  // Thrown, each would cost the job one of its tries in moments; out of tries, BullMQ drops the
  // job and the record would stay queued (seen in a Sentinel failover under load).
  const w = setup({ record: queuedRecord('r9'), redisAway: 2, sandbox: () => executionResult('hi\n') });
  await w.processor.process('r9', firstTry);
  t.same(w.calls, [
    'get: Connection is closed.',
    'get: Connection is closed.',
    'markRunning',
    'open',
    'putFiles',
    'close',
    'finish: Connection is closed.',
    'finish: Connection is closed.',
  ]);
  t.match(w.finished, [{ status: 'completed', verdict: 'ok', stdout: 'hi\n' }], 'the run ends completed once Redis answers');
});

t.test("a finish that landed before its answer was lost is this worker's end, not another's", async (t) => {
  // Retried, the finish finds the run ended; the record's finishedAt says it was this one.
  const w = setup({
    record: hooked('r12'),
    finishAnswerLost: true,
    sandbox: () => executionResult('hi\n'),
  });
  await w.processor.process('r12', firstTry);
  t.ok(w.calls.includes('finish: landed, Connection is closed.'));
  t.match(w.finished, [{ status: 'completed', verdict: 'ok' }], 'finished once');
  t.same(w.webhooks, ['r12'], 'its webhook goes out, as for any run it ended');
});

t.test('a program that fails is a completed run with its verdict, not a failed one', async (t) => {
  const w = setup({ record: queuedRecord('r2'), sandbox: () => executionResult('', { exitCode: 3 }) });
  await w.processor.process('r2', firstTry);
  t.match(w.finished, [{ status: 'completed', verdict: 'runtime_error', exitCode: 3 }]);
  const timed = setup({
    record: queuedRecord('r3'),
    sandbox: () => executionResult('', { exitCode: null, signal: 'SIGKILL', timedOut: true }),
  });
  await timed.processor.process('r3', firstTry);
  t.match(timed.finished, [{ status: 'completed', verdict: 'time_limit_exceeded' }]);
});

t.test('a run that is gone, cancelled or taken by another worker is not run', async (t) => {
  const gone = setup({ sandbox: () => executionResult('') });
  await gone.processor.process('x', firstTry);
  t.same(gone.calls, [], 'no record: the job is dropped');
  const cancelled = setup({ record: queuedRecord('r4'), markRunning: false, sandbox: () => executionResult('') });
  await cancelled.processor.process('r4', firstTry);
  t.same(cancelled.calls, ['markRunning'], 'not queued any more: never opened a sandbox');
  t.same(cancelled.finished, []);
});

t.test('a job handed out again for a run left running is recorded lost, never run twice', async (t) => {
  const w = setup({
    record: hooked('r5', { status: 'running' }),
    sandbox: () => executionResult(''),
  });
  await w.processor.process('r5', firstTry);
  t.match(w.calls, [/^failLost: the worker running this run was lost/]);
  t.notOk(w.calls.includes('open'));
  t.same(w.webhooks, ['r5']);
});

t.test('a sandbox that could not start before anything ran goes back to the queue while tries are left', async (t) => {
  const w = setup({ record: queuedRecord('r6'), sandbox: () => new SandboxFault('engine busy', 'create', 503) });
  await t.rejects(w.processor.process('r6', firstTry), { name: 'SandboxFault' }, 'thrown so BullMQ retries the job');
  t.same(w.calls, ['markRunning', 'open', 'markQueuedAgain']);
  t.same(w.finished, [], 'the run is not ended');

  const last = setup({ record: queuedRecord('r7'), sandbox: () => new SandboxFault('engine busy', 'create', 503) });
  await last.processor.process('r7', lastTry);
  t.match(last.finished, [{ status: 'failed', error: 'engine busy (after 3 tries)' }], 'the last try ends it failed, saying why');

  const refused = setup({ record: queuedRecord('r8'), sandbox: () => new SandboxFault('no such image', 'create', 404) });
  await refused.processor.process('r8', firstTry);
  t.match(refused.finished, [{ status: 'failed', error: 'no such image' }], 'the engine refusing (4xx) is not retried');

  const ended = setup({ record: queuedRecord('r9'), requeue: false, sandbox: () => new SandboxFault('engine busy', 'create', 503) });
  await ended.processor.process('r9', firstTry);
  t.same(ended.finished, [], 'a run that ended meanwhile is neither retried nor finished again');
});

t.test('a fault after the program started ends the run failed at once: it is never run again', async (t) => {
  const w = setup({ record: queuedRecord('r10'), sandbox: () => new SandboxFault('the sandbox died', 'running') });
  await w.processor.process('r10', firstTry);
  t.notOk(w.calls.includes('markQueuedAgain'));
  t.match(w.finished, [{ status: 'failed', error: 'the sandbox died' }]);
});

t.test('a run another worker already ended keeps that end: no webhook for this one', async (t) => {
  const w = setup({
    record: hooked('r11'),
    finishes: false,
    sandbox: () => executionResult(''),
  });
  await w.processor.process('r11', firstTry);
  t.equal(w.finished.length, 1);
  t.same(w.webhooks, []);
});

t.test('a job the queue gave up on ends its run failed if still queued or running, saying why', async (t) => {
  for (const status of ['queued', 'running'] as const) {
    const w = setup({
      record: hooked(`g-${status}`, { status }),
      sandbox: () => executionResult(''),
    });
    await w.processor.recordGivenUp(`g-${status}`, 'Connection is closed.');
    t.same(w.calls, ['failLost (queued too): the service gave up on this run: Connection is closed.'], status);
    t.same(w.webhooks, [`g-${status}`], `${status}: its webhook is sent`);
  }
  const done = setup({
    record: hooked('g-done', { status: 'completed' }),
    sandbox: () => executionResult(''),
  });
  await done.processor.recordGivenUp('g-done', 'Connection is closed.');
  t.same(done.calls, [], 'an ended run keeps its end');
  t.same(done.webhooks, []);
  const gone = setup({ sandbox: () => executionResult('') });
  await gone.processor.recordGivenUp('g-gone', 'Connection is closed.');
  t.same(gone.calls, [], 'a run that expired is left alone');
  const long = setup({ record: queuedRecord('g-long'), sandbox: () => executionResult('') });
  await long.processor.recordGivenUp('g-long', 'x'.repeat(100_000));
  t.ok(long.calls[0].length < 600, 'a long error is cut to a line in the record');
});
