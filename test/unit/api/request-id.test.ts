// Every answer carries x-request-id: the client's own when it is short and plain, else a new
// UUID; errors and refusals too, on the API and on a worker's port.
import pino from 'pino';
import t from 'tap';
import { sha256Hex } from '../../../src/api/auth.js';
import { acceptedRequestId } from '../../../src/api/request-id.js';
import { buildWorkerHttp } from '../../../src/api/worker-http.js';
import { loadConfig } from '../../../src/config/config.js';
import { createMetrics } from '../../../src/lib/metrics.js';
import { buildInertApp } from '../../helpers/inert-app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

t.test("a client's id is kept only when it is short and plain", async (t) => {
  for (const id of ['abc', 'trace-7f3a.01:span_2', 'A'.repeat(64)]) t.equal(acceptedRequestId(id), id, id);
  for (const id of ['', 'A'.repeat(65), 'has space', 'new\nline', '-leading', 'quote"', 'ünicode', '{"json":1}'])
    t.equal(acceptedRequestId(id), undefined, JSON.stringify(id));
  t.equal(acceptedRequestId(['a', 'b']), undefined, 'a repeated header');
  t.equal(acceptedRequestId(undefined), undefined);
});

t.test('the API answers with the id it used, on successes and on errors', async (t) => {
  const { app } = await buildInertApp({
    config: loadConfig({ RATE_LIMIT_PER_MINUTE: '0', API_KEYS: `a:read:${sha256Hex('k')}` }),
    authFailures: { blockedForMs: async () => 0, record: async () => undefined },
  });
  t.teardown(() => app.close());
  const kept = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'client-id-1' } });
  t.equal(kept.headers['x-request-id'], 'client-id-1');
  const replaced = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'x'.repeat(200) } });
  t.match(replaced.headers['x-request-id'], UUID, 'a long one is replaced');
  const fresh = await app.inject({ url: '/healthz' });
  t.match(fresh.headers['x-request-id'], UUID, 'none given: a new one');
  t.not(fresh.headers['x-request-id'], replaced.headers['x-request-id']);
  const unauthorized = await app.inject({ url: '/runtimes', headers: { 'x-request-id': 'who-asked' } });
  t.equal(unauthorized.statusCode, 401);
  t.equal(unauthorized.headers['x-request-id'], 'who-asked', 'a refusal carries it');
  const missing = await app.inject({ url: '/nothing-here', headers: { 'x-request-id': 'lost-1' } });
  t.equal(missing.statusCode, 404);
  t.equal(missing.headers['x-request-id'], 'lost-1', 'so does a 404');
});

t.test("a worker's port answers with the id too", async (t) => {
  const { app } = await buildWorkerHttp({
    config: loadConfig({}),
    log: pino({ level: 'silent' }),
    readiness: {},
    metrics: createMetrics(),
  });
  t.teardown(() => app.close());
  t.equal((await app.inject({ url: '/healthz', headers: { 'x-request-id': 'probe-9' } })).headers['x-request-id'], 'probe-9');
});
