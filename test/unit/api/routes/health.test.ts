// GET /healthz and GET /readyz through app.inject(), with readiness checks as stand-ins.
import { inertDependencies } from '../../../helpers/inert-app.js';
import t, { type Test } from 'tap';
import type { AppDependencies } from '../../../../src/api/deps.js';
import { buildApp } from '../../../../src/app.js';

async function setup(t: Test, readiness: AppDependencies['readiness']) {
  const app = await buildApp(inertDependencies({ readiness }), { docs: false });
  t.teardown(() => app.close());
  return app;
}

t.test('GET /healthz answers 200 ok without asking any backing service', async (t) => {
  let asked = 0;
  const app = await setup(t, {
    redis: async () => {
      asked++;
      throw new Error('down');
    },
  });
  const res = await app.inject({ method: 'GET', url: '/healthz' });
  t.equal(res.statusCode, 200);
  t.same(res.json(), { status: 'ok' });
  t.equal(asked, 0);
});

t.test('GET /readyz answers 200 with every check ok when all answer', async (t) => {
  const app = await setup(t, { redis: async () => 'PONG', docker: async () => 'OK' });
  const res = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(res.statusCode, 200);
  t.same(res.json(), { status: 'ok', checks: { redis: 'ok', docker: 'ok' } });
});

t.test('GET /readyz answers 503 naming the check that failed', async (t) => {
  const app = await setup(t, {
    redis: async () => {
      throw new Error('connect ECONNREFUSED');
    },
    docker: async () => 'OK',
  });
  const res = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(res.statusCode, 503);
  t.match(res.json(), { status: 'unavailable', checks: { redis: /^unavailable/, docker: 'ok' } });
  t.equal(res.headers['retry-after'], '5', 'says when to ask again');
});

t.test('GET /readyz answers 503 when a check never answers', async (t) => {
  const app = await setup(t, { redis: () => new Promise(() => undefined) });
  // The check's own timer is unref'd (it must not hold a server open); a listening socket
  // keeps a real process alive meanwhile, this interval does so here.
  const keepAlive = setInterval(() => undefined, 500);
  t.teardown(() => clearInterval(keepAlive));
  const res = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(res.statusCode, 503);
  t.match(res.json(), { status: 'unavailable', checks: { redis: /timed out/ } });
});
