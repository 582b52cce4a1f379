// What buildApp does for every route: the error shape and codes of the error handler, the
// body limit, unknown routes, and 5xx answers that never carry the internal message.
import { inertDependencies } from '../helpers/inert-app.js';
import { Writable } from 'node:stream';
import pino from 'pino';
import t, { type Test } from 'tap';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import type { RunStore } from '../../src/store/run-store.js';

async function setup(
  t: Test,
  options: { env?: Record<string, string>; create?: () => Promise<void>; enqueue?: () => Promise<void>; get?: () => Promise<unknown> } = {},
) {
  const calls: string[] = [];
  const logLines: Record<string, unknown>[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const store = {
    async create() {
      calls.push('store.create');
      await options.create?.();
      return { admitted: true as const };
    },
    async discard() {
      calls.push('store.discard');
    },
    async getOwned() {
      calls.push('store.get');
      const record = await options.get?.();
      return record ? { record, owner: 'anonymous' } : undefined;
    },
  };
  const deps = inertDependencies({
    config: loadConfig({ RATE_LIMIT_PER_MINUTE: '0', ...options.env }),
    log: pino({ level: 'info' }, logStream),
    store: store as unknown as RunStore,
    queue: {
      enqueue: async () => {
        calls.push('queue.enqueue');
        await options.enqueue?.();
      },
      remove: async () => void calls.push('queue.remove'),
      counts: async () => ({}),
    },
    readiness: {},
    newId: () => 'run-1',
  });
  const app = await buildApp(deps, { docs: false });
  t.teardown(() => app.close());
  return { app, calls, logLines };
}

function errorShape(t: Test, res: { statusCode: number; json(): unknown }, statusCode: number, error: string, code: string) {
  t.equal(res.statusCode, statusCode);
  const body = res.json() as Record<string, unknown>;
  t.same(Object.keys(body).sort(), ['code', 'error', 'message', 'statusCode'], 'exactly the documented fields');
  t.match(body, { statusCode, error, code, message: /\S/ });
  t.notMatch(JSON.stringify(body), /\bat \S+ \(|node_modules|\/src\//, 'no stack trace');
}

t.test('returns 400 invalid_request in the documented shape for malformed JSON', async (t) => {
  const { app, calls } = await setup(t);
  const res = await app.inject({
    method: 'POST',
    url: '/runs',
    headers: { 'content-type': 'application/json' },
    payload: '{"language": "python", ',
  });
  errorShape(t, res, 400, 'Bad Request', 'invalid_request');
  t.same(calls, [], 'nothing stored or enqueued');
});

t.test('returns 400 invalid_request for a CPU quota the kernel would refuse', async (t) => {
  const { app, calls } = await setup(t);
  const res = await app.inject({
    method: 'POST',
    url: '/runs',
    payload: { language: 'python', source: 'print(1)', limits: { cpus: 0.001 } },
  });
  errorShape(t, res, 400, 'Bad Request', 'invalid_request');
  t.match(res.json(), { message: /cpus/ });
  t.same(calls, [], 'nothing stored or enqueued');
});

t.test('returns 400 invalid_request for an empty JSON body', async (t) => {
  const { app, calls } = await setup(t);
  const res = await app.inject({ method: 'POST', url: '/runs', headers: { 'content-type': 'application/json' }, payload: '' });
  errorShape(t, res, 400, 'Bad Request', 'invalid_request');
  t.same(calls, []);
});

t.test('returns 400 invalid_request for a body that is not JSON', async (t) => {
  const { app, calls } = await setup(t);
  for (const contentType of ['text/plain', 'application/xml']) {
    const res = await app.inject({ method: 'POST', url: '/runs', headers: { 'content-type': contentType }, payload: 'print(1)' });
    errorShape(t, res, 400, 'Bad Request', 'invalid_request');
  }
  t.same(calls, []);
});

t.test('returns 413 payload_too_large for a body above BODY_LIMIT_BYTES', async (t) => {
  const { app, calls } = await setup(t, { env: { BODY_LIMIT_BYTES: '2048' } });
  const payload = JSON.stringify({ language: 'python', source: 'x'.repeat(2048) });
  const res = await app.inject({ method: 'POST', url: '/runs', headers: { 'content-type': 'application/json' }, payload });
  errorShape(t, res, 413, 'Payload Too Large', 'payload_too_large');
  t.same(calls, [], 'nothing stored or enqueued');
});

t.test('accepts a body just under BODY_LIMIT_BYTES', async (t) => {
  const { app, calls } = await setup(t, { env: { BODY_LIMIT_BYTES: '2048' } });
  const payload = JSON.stringify({ language: 'python', source: 'x'.repeat(1900) });
  const res = await app.inject({ method: 'POST', url: '/runs', headers: { 'content-type': 'application/json' }, payload });
  t.equal(res.statusCode, 202);
  t.same(calls, ['store.create', 'queue.enqueue']);
});

t.test('returns 404 not_found in the documented shape for an unknown route', async (t) => {
  const { app, calls } = await setup(t);
  for (const [method, url] of [
    ['GET', '/nope'],
    ['POST', '/run'],
    ['PUT', '/runs'],
    ['GET', '/runs/a/b/c'],
  ] as const) {
    const res = await app.inject({ method, url });
    errorShape(t, res, 404, 'Not Found', 'not_found');
  }
  t.same(calls, []);
});

t.test('a run that cannot be queued is removed again, so no record waits for a job that does not exist', async (t) => {
  const { app, calls } = await setup(t, {
    enqueue: async () => {
      throw new Error('queue down');
    },
  });
  const res = await app.inject({ method: 'POST', url: '/runs', payload: { language: 'python', source: 'print(1)' } });
  errorShape(t, res, 500, 'Internal Server Error', 'internal_error');
  t.same(calls, ['store.create', 'queue.enqueue', 'store.discard']);
});

t.test('a batch answers each run for itself when a fault refuses one: the runs already queued stand', async (t) => {
  let enqueued = 0;
  const { app } = await setup(t, {
    enqueue: async () => {
      if (++enqueued === 2) throw new Error('queue hiccup');
    },
  });
  const run = { language: 'python', source: 'print(1)' };
  const res = await app.inject({ method: 'POST', url: '/runs/batch', payload: { runs: [run, run, run] } });
  t.equal(res.statusCode, 202);
  const items = res.json() as Record<string, any>[];
  t.match(items, [{ status: 'queued' }, { error: { statusCode: 500, code: 'internal_error' } }, { status: 'queued' }]);
  t.notMatch(res.body, /queue hiccup/, 'the fault itself is not shown');
});

t.test('answers 500 internal_error without the internal message when a dependency throws', async (t) => {
  const { app, calls, logLines } = await setup(t, {
    create: async () => {
      throw new Error('secret detail');
    },
  });
  const res = await app.inject({ method: 'POST', url: '/runs', payload: { language: 'python', source: 'print(1)' } });
  errorShape(t, res, 500, 'Internal Server Error', 'internal_error');
  t.notMatch(res.body, /secret detail/);
  t.same(calls, ['store.create'], 'the job is not enqueued when the record could not be written');
  t.equal(
    logLines.some((line) => JSON.stringify(line).includes('secret detail')),
    true,
    'the fault is logged for the operator',
  );
});

t.test('answers 500 internal_error without the internal message on a GET as well', async (t) => {
  const { app } = await setup(t, {
    get: async () => {
      throw Object.assign(new Error('secret detail: redis://:password@host'), { code: 'ECONNREFUSED' });
    },
  });
  const res = await app.inject({ method: 'GET', url: '/runs/run-1' });
  errorShape(t, res, 500, 'Internal Server Error', 'internal_error');
  t.notMatch(res.body, /secret|password|ECONNREFUSED/);
});

t.test('answers 500 internal_error for a thrown value that is not an Error', async (t) => {
  const { app } = await setup(t, {
    get: async () => {
      throw 'secret detail';
    },
  });
  const res = await app.inject({ method: 'GET', url: '/runs/run-1' });
  t.equal(res.statusCode, 500);
  t.equal(res.json().code, 'internal_error');
  t.notMatch(res.body, /secret detail/);
});
