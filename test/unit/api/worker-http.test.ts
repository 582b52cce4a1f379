import t from 'tap';
import pino from 'pino';
import { sha256Hex } from '../../../src/api/auth.js';
import { loadConfig } from '../../../src/config/config.js';
import { createMetrics } from '../../../src/lib/metrics.js';
import { buildWorkerHttp } from '../../../src/api/worker-http.js';

const silent = pino({ level: 'silent' });

t.test("a standalone worker's port: health open to all, metrics only for an admin key", async (t) => {
  const config = loadConfig({ API_KEYS: `ops:admin:${sha256Hex('ops-key')},app:runs+read:${sha256Hex('app-key')}` });
  const { app } = await buildWorkerHttp({
    config,
    log: silent,
    readiness: { docker: async () => undefined },
    metrics: createMetrics(),
  });
  t.teardown(() => app.close());
  t.equal((await app.inject('/healthz')).statusCode, 200);
  t.equal((await app.inject('/readyz')).statusCode, 200);
  const anonymous = await app.inject('/metrics');
  t.equal(anonymous.statusCode, 401);
  t.equal(anonymous.json().code, 'unauthorized');
  t.equal((await app.inject({ url: '/metrics', headers: { authorization: 'Bearer app-key' } })).statusCode, 403);
  const admin = await app.inject({ url: '/metrics', headers: { authorization: 'Bearer ops-key' } });
  t.equal(admin.statusCode, 200);
  t.match(admin.body, /runbox_/);
  t.equal((await app.inject('/nothing')).json().code, 'not_found');
});

t.test('a readiness check that fails makes /readyz 503 and says which', async (t) => {
  const { app } = await buildWorkerHttp({
    config: loadConfig({}),
    log: silent,
    readiness: { docker: async () => Promise.reject(new Error('no engine')) },
    metrics: createMetrics(),
  });
  t.teardown(() => app.close());
  const reply = await app.inject('/readyz');
  t.equal(reply.statusCode, 503);
  t.match(reply.json(), { status: 'unavailable', checks: { docker: 'unavailable: no engine' } });
});
