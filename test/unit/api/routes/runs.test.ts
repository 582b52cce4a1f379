// POST /runs, GET /runs/{id} and DELETE /runs/{id} through app.inject(), with in-memory
// stand-ins for the store and the queue that record every call. No Redis, no port.
import { inertDependencies } from '../../../helpers/inert-app.js';
import t, { type Test } from 'tap';
import { buildApp } from '../../../../src/app.js';
import { loadConfig } from '../../../../src/config/config.js';
import type { RunRecord } from '../../../../src/domain/run-record.js';
import type { RunSpec } from '../../../../src/domain/run-spec.js';
import type { CancelOutcome, RunStore } from '../../../../src/store/run-store.js';

interface Fakes {
  created: { record: RunRecord; request: RunSpec }[];
  enqueued: string[];
  /** The request id each job was queued with. */
  requestIds: (string | undefined)[];
  removed: string[];
  records: Map<string, RunRecord>;
  cancelOutcome: CancelOutcome;
}

/** One app per configuration, shared by the tests that use it (building one takes most of a test); the stand-ins start empty for each test. */
const apps = new Map<string, ReturnType<typeof buildWith>>();
t.teardown(async () => {
  for (const built of apps.values()) await (await built).app.close();
});

async function buildWith(env: Record<string, string>) {
  const fakes: Fakes = { created: [], enqueued: [], requestIds: [], removed: [], records: new Map(), cancelOutcome: 'missing' };
  const store = {
    async create(record: RunRecord, request: RunSpec) {
      fakes.created.push({ record, request });
      fakes.records.set(record.id, record);
      return { admitted: true as const };
    },
    async getOwned(id: string) {
      const record = fakes.records.get(id);
      return record ? { record, owner: 'anonymous' } : undefined;
    },
    async cancel() {
      return fakes.cancelOutcome;
    },
  };
  const deps = inertDependencies({
    config: loadConfig({ RATE_LIMIT_PER_MINUTE: '0', ...env }),
    store: store as unknown as RunStore,
    queue: {
      enqueue: async (id, requestId) => {
        fakes.enqueued.push(id);
        fakes.requestIds.push(requestId);
      },
      remove: async (id) => void fakes.removed.push(id),
      counts: async () => ({}),
    },
    newId: () => 'run-1',
  });
  return { app: await buildApp(deps, { docs: false }), fakes, metrics: deps.metrics };
}

async function setup(_t: Test, env: Record<string, string> = {}) {
  const key = JSON.stringify(env);
  if (!apps.has(key)) apps.set(key, buildWith(env));
  const { app, fakes, metrics } = await apps.get(key)!;
  Object.assign(fakes, { created: [], enqueued: [], requestIds: [], removed: [], records: new Map(), cancelOutcome: 'missing' });
  const post = (payload: unknown) => app.inject({ method: 'POST', url: '/runs', payload: payload as object });
  return { app, fakes, post, metrics };
}

/** Asserts the documented error shape and that nothing reached the store or the queue. */
function refused(t: Test, fakes: Fakes, res: { statusCode: number; json(): unknown }, statusCode: number, code: string, error: string) {
  t.equal(res.statusCode, statusCode);
  const body = res.json() as Record<string, unknown>;
  t.same(Object.keys(body).sort(), ['code', 'error', 'message', 'statusCode']);
  t.match(body, { statusCode, error, code, message: /\S/ });
  t.same(fakes.enqueued, [], 'nothing enqueued');
  t.same(fakes.created, [], 'no record written');
}

const valid = { language: 'python', source: 'print("hi")' };

t.test('POST /runs answers 202 with the queued record and Location, and enqueues it once', async (t) => {
  const { fakes, post } = await setup(t);
  const res = await post(valid);
  t.equal(res.statusCode, 202);
  t.equal(res.headers.location, '/runs/run-1');
  t.match(res.json(), {
    id: 'run-1',
    language: 'python',
    status: 'queued',
    verdict: null,
    stdout: '',
    limits: { timeMs: 10000, cpuTimeMs: 5000, memoryMb: 256 },
  });
  t.same(fakes.enqueued, ['run-1']);
  t.same(fakes.requestIds, [res.headers['x-request-id']], "the job carries the request's id, for the worker's logs");
  t.equal(fakes.created.length, 1);
  t.equal(fakes.created[0].record.id, 'run-1');
  t.same(fakes.created[0].request.files, [{ name: 'main.py', content: Buffer.from('print("hi")').toString('base64') }]);
});

t.test('POST /runs writes the record before it enqueues the job', async (t) => {
  const { fakes, post } = await setup(t);
  const order: string[] = [];
  const { created, enqueued } = fakes;
  created.push = (...items) => (order.push('create'), Array.prototype.push.apply(created, items));
  enqueued.push = (...items) => (order.push('enqueue'), Array.prototype.push.apply(enqueued, items));
  await post(valid);
  t.same(order, ['create', 'enqueue']);
});

t.test('POST /runs resolves an alias to the runtime id', async (t) => {
  const { post } = await setup(t);
  t.equal((await post({ language: 'py', source: '' })).json().language, 'python');
});

t.test('POST /runs accepts files in sub-folders, base64 or utf8', async (t) => {
  const { fakes, post } = await setup(t);
  const res = await post({
    language: 'python',
    files: [
      { name: 'main.py', content: 'import pkg.m' },
      { name: 'pkg/m.py', content: 'eA==', encoding: 'base64' },
    ],
  });
  t.equal(res.statusCode, 202);
  t.same(
    fakes.created[0].request.files.map((f) => [f.name, Buffer.from(f.content, 'base64').toString()]),
    [
      ['main.py', 'import pkg.m'],
      ['pkg/m.py', 'x'],
    ],
  );
});

const schemaErrors: [why: string, body: unknown][] = [
  ['language is missing', { source: 'x' }],
  ['language is empty', { language: '', source: 'x' }],
  ['a field is unknown', { ...valid, image: 'alpine' }],
  ['a limit is unknown', { ...valid, limits: { swapMb: 1 } }],
  ['limits.memoryMb is a word', { ...valid, limits: { memoryMb: 'lots' } }],
  ['limits.memoryMb is a fraction', { ...valid, limits: { memoryMb: 1.5 } }],
  ['limits.memoryMb is below the schema minimum', { ...valid, limits: { memoryMb: 1 } }],
  ['limits.cpus is zero', { ...valid, limits: { cpus: 0 } }],
  ['files is empty', { language: 'python', files: [] }],
  ['a file has an unknown encoding', { language: 'python', files: [{ name: 'a.py', content: '', encoding: 'hex' }] }],
  ['an env name is not a variable name', { ...valid, env: { 'A-B': 'x' } }],
  ['an env name holds =', { ...valid, env: { 'PATH=/tmp:': 'x' } }],
  ['an env entry with a bad name has a number value', { ...valid, env: { 'A-B': 5 } }],
  ['an env name starts with a digit', { ...valid, env: { '1ABC': 'x' } }],
  ['an env name is empty', { ...valid, env: { '': 'x' } }],
  ['an env value is not a string', { ...valid, env: { A: 5 } }],
  ['the body is an array', [valid]],
];
t.test('POST /runs returns 400 invalid_file_name when a file has an empty name', async (t) => {
  const { fakes, post } = await setup(t);
  const res = await post({ language: 'python', files: [{ name: '', content: '' }] });
  t.equal(res.statusCode, 400);
  t.equal(res.json().code, 'invalid_file_name');
  t.same(fakes.enqueued, []);
});

for (const [why, body] of schemaErrors) {
  t.test(`POST /runs returns 400 invalid_request when ${why}`, async (t) => {
    const { fakes, post } = await setup(t);
    refused(t, fakes, await post(body), 400, 'invalid_request', 'Bad Request');
  });
}

// Bodies are validated without type coercion (query strings are coerced).
const coerced: [why: string, body: unknown][] = [
  ['limits.memoryMb is a numeric string', { ...valid, limits: { memoryMb: '512' } }],
  ['source is a number', { language: 'python', source: 123 }],
  ['args is a string, not an array', { ...valid, args: 'x' }],
];
for (const [why, body] of coerced) {
  t.test(`POST /runs returns 400 invalid_request when ${why}`, async (t) => {
    const { fakes, post } = await setup(t);
    const res = await post(body);
    t.equal(res.statusCode, 400, 'status 400');
    t.equal(fakes.enqueued.length, 0, 'nothing enqueued');
  });
}

// The rules between fields live in the schema and say what is wrong in their own words.
const ruleBreaks: [body: unknown, message: string][] = [
  [{ ...valid, files: [{ name: 'a.py', content: '' }] }, 'body: give exactly one of source and files'],
  [{ language: 'python' }, 'body: give exactly one of source and files'],
  [
    { ...valid, compare: 'exact' },
    'body: compare, floatTolerance, stopOnFailure, stopOnFirstFailure, isolateTests, checker, interactor, groups need tests',
  ],
  [
    { ...valid, checker: { language: 'python', source: '' } },
    'body: compare, floatTolerance, stopOnFailure, stopOnFirstFailure, isolateTests, checker, interactor, groups need tests',
  ],
  [{ ...valid, tests: [{ stdin: '1' }] }, 'body: every test needs expected unless a checker or an interactor decides'],
  [{ ...valid, tests: [{ expected: '' }], checker: { language: 'python' } }, 'body: give exactly one of checker.source and checker.files'],
  [
    { ...valid, problem: 'sum', tests: [{ expected: '' }] },
    'body: tests, compare, floatTolerance, checker, interactor, groups come from the problem; a run against one may not give them',
  ],
  [{ ...valid, problem: 'sum', interactive: true }, 'body: a run with tests cannot be interactive'],
  [{ ...valid, problem: 'sum', stdin: 'x' }, 'body: give each test its stdin instead of stdin'],
  [{ ...valid, tests: [{ expected: '' }], interactive: true }, 'body: a run with tests cannot be interactive'],
  [{ ...valid, tests: [{ expected: '' }], stdin: 'x' }, 'body: give each test its stdin instead of stdin'],
  [{ ...valid, args: ['a\0b'] }, 'body: args and env values may not contain NUL'],
  [{ ...valid, env: { X: 'a\0' } }, 'body: args and env values may not contain NUL'],
];
for (const [body, message] of ruleBreaks) {
  t.test(`POST /runs returns 400 invalid_request: ${message}`, async (t) => {
    const { fakes, post } = await setup(t);
    const res = await post(body);
    refused(t, fakes, res, 400, 'invalid_request', 'Bad Request');
    t.equal((res.json() as { message: string }).message, message);
  });
}

t.test('POST /runs accepts what the rules allow: tests with an empty stdin, interactive false', async (t) => {
  const { post } = await setup(t);
  t.equal((await post({ ...valid, tests: [{ expected: '' }], stdin: '', interactive: false, compare: 'exact' })).statusCode, 202);
});

t.test('POST /runs returns 400 unknown_language for a language no runtime has', async (t) => {
  const { fakes, post } = await setup(t);
  const res = await post({ language: 'cobol', source: '' });
  refused(t, fakes, res, 400, 'unknown_language', 'Bad Request');
  t.match(res.json().message, /cobol/);
});

t.test('POST /runs returns 400 limit_exceeded when memoryMb is above the maximum', async (t) => {
  const { fakes, post } = await setup(t, { RUN_MEMORY_MAX_MB: '1024' });
  const res = await post({ ...valid, limits: { memoryMb: 1025 } });
  refused(t, fakes, res, 400, 'limit_exceeded', 'Bad Request');
  t.match(res.json().message, /memoryMb.*1025.*1024/);
});

t.test('POST /runs returns 400 limit_exceeded when timeMs is above the maximum', async (t) => {
  const { fakes, post } = await setup(t);
  refused(t, fakes, await post({ ...valid, limits: { timeMs: 60_001 } }), 400, 'limit_exceeded', 'Bad Request');
});

for (const name of ['../escape.py', '/etc/passwd', 'a/../../b', 'a\\b', 'a\u0000b', 'new\nline.py']) {
  t.test(`POST /runs returns 400 invalid_file_name for ${JSON.stringify(name)}`, async (t) => {
    const { fakes, post } = await setup(t);
    refused(t, fakes, await post({ language: 'python', files: [{ name, content: 'x' }] }), 400, 'invalid_file_name', 'Bad Request');
  });
}

t.test('POST /runs returns 400 invalid_file_name for a name given twice', async (t) => {
  const { fakes, post } = await setup(t);
  refused(
    t,
    fakes,
    await post({
      language: 'python',
      files: [
        { name: 'a.py', content: '' },
        { name: 'a.py', content: '' },
      ],
    }),
    400,
    'invalid_file_name',
    'Bad Request',
  );
});

t.test('POST /runs returns 403 forbidden for network: true when the server does not allow it', async (t) => {
  const { fakes, post } = await setup(t);
  refused(t, fakes, await post({ ...valid, network: true }), 403, 'forbidden', 'Forbidden');
});

t.test('POST /runs accepts network: true when NETWORK_ALLOWED is set', async (t) => {
  const { fakes, post } = await setup(t, { NETWORK_ALLOWED: 'true' });
  t.equal((await post({ ...valid, network: true })).statusCode, 202);
  t.equal(fakes.created[0].request.network, true);
});

t.test('POST /runs returns 400 invalid_request for files above FILES_MAX_BYTES', async (t) => {
  const { fakes, post } = await setup(t, { FILES_MAX_BYTES: '16' });
  refused(t, fakes, await post({ language: 'python', source: 'x'.repeat(17) }), 400, 'invalid_request', 'Bad Request');
});

t.test('GET /runs/{id} returns 404 not_found for an unknown run', async (t) => {
  const { app, fakes } = await setup(t);
  const res = await app.inject({ method: 'GET', url: '/runs/nope' });
  refused(t, fakes, res, 404, 'not_found', 'Not Found');
});

t.test('GET /runs/{id} returns the record a POST made', async (t) => {
  const { app, post } = await setup(t);
  const posted = (await post(valid)).json();
  const res = await app.inject({ method: 'GET', url: '/runs/run-1' });
  t.equal(res.statusCode, 200);
  t.same(res.json(), posted);
});

t.test('DELETE /runs/{id} returns 404 not_found for an unknown run', async (t) => {
  const { app, fakes } = await setup(t);
  fakes.cancelOutcome = 'missing';
  const res = await app.inject({ method: 'DELETE', url: '/runs/nope' });
  t.equal(res.statusCode, 404);
  t.equal(res.json().code, 'not_found');
  t.same(fakes.removed, []);
});

t.test('DELETE /runs/{id} returns 409 conflict for a run that has ended', async (t) => {
  const { app, fakes, post } = await setup(t);
  await post(valid);
  fakes.cancelOutcome = 'ended';
  const res = await app.inject({ method: 'DELETE', url: '/runs/run-1' });
  t.equal(res.statusCode, 409);
  t.match(res.json(), { statusCode: 409, error: 'Conflict', code: 'conflict' });
  t.same(fakes.removed, []);
});

t.test('DELETE /runs/{id} of a queued run drops its job, counts it ended, and answers 202 with the record', async (t) => {
  // An app of its own, so that the counters hold only this test's runs.
  const { app, fakes, post, metrics } = await setup(t, { RUN_RETENTION_S: '3601' });
  await post(valid);
  fakes.cancelOutcome = 'cancelled';
  fakes.records.set('run-1', { ...fakes.records.get('run-1')!, status: 'cancelled' });
  const res = await app.inject({ method: 'DELETE', url: '/runs/run-1' });
  t.equal(res.statusCode, 202);
  t.match(res.json(), { id: 'run-1', status: 'cancelled' });
  t.same(fakes.removed, ['run-1']);
  const text = await metrics.render();
  t.match(
    text,
    /^runbox_runs_finished_total\{language="python",status="cancelled",verdict="none"\} 1$/m,
    'counted by the API: no worker sees it',
  );
  t.match(text, /^runbox_run_latency_seconds_count\{language="python",status="cancelled"\} 1$/m);
});
