// What web pages may do: CORS only for CORS_ORIGINS (none by default), WebSockets only from
// the API's own pages and those origins, and without API keys no answer to a host name that
// is not loopback (DNS rebinding).
import t from 'tap';
import { sha256Hex } from '../../../src/api/auth.js';
import { hostName, isLoopbackHost } from '../../../src/api/browser-access.js';
import { loadConfig } from '../../../src/config/config.js';
import { buildInertApp } from '../../helpers/inert-app.js';

const preflight = (origin: string) => ({
  method: 'OPTIONS' as const,
  url: '/runs',
  headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
});

t.test('by default no other origin is allowed: no CORS headers at all', async (t) => {
  const { app } = await buildInertApp();
  t.teardown(() => app.close());
  const reply = await app.inject(preflight('https://app.example.org'));
  t.equal(reply.headers['access-control-allow-origin'], undefined);
  const get = await app.inject({ url: '/healthz', headers: { origin: 'https://app.example.org' } });
  t.equal(get.headers['access-control-allow-origin'], undefined);
});

t.test('CORS_ORIGINS: those origins may call, with the headers a client needs; others get nothing', async (t) => {
  const { app } = await buildInertApp({
    config: loadConfig({ RATE_LIMIT_PER_MINUTE: '0', CORS_ORIGINS: 'https://app.example.org, http://localhost:3000' }),
  });
  t.teardown(() => app.close());
  const allowed = await app.inject(preflight('https://app.example.org'));
  t.equal(allowed.statusCode, 204);
  t.equal(allowed.headers['access-control-allow-origin'], 'https://app.example.org');
  t.match(allowed.headers['access-control-allow-headers'], /authorization/);
  t.match(allowed.headers['access-control-allow-methods'], /POST/);
  t.equal(allowed.headers['access-control-allow-credentials'], undefined, 'no cookies: keys go in a header');
  const get = await app.inject({ url: '/healthz', headers: { origin: 'http://localhost:3000' } });
  t.equal(get.headers['access-control-allow-origin'], 'http://localhost:3000');
  t.match(get.headers['access-control-expose-headers'], /x-request-id/);
  const other = await app.inject(preflight('https://evil.example'));
  t.equal(other.headers['access-control-allow-origin'], undefined, 'another origin is not allowed');
});

t.test('CORS_ORIGINS takes exact origins only', async (t) => {
  for (const bad of ['*', 'https://app.example.org/', 'app.example.org', 'https://app.example.org/path', 'ftp://x.example'])
    t.throws(() => loadConfig({ CORS_ORIGINS: bad }), { name: 'ConfigError' }, bad);
});

t.test("a WebSocket is refused to another origin's page; the API's own pages and CORS_ORIGINS pass", async (t) => {
  const { app } = await buildInertApp({ config: loadConfig({ RATE_LIMIT_PER_MINUTE: '0', CORS_ORIGINS: 'https://app.example.org' }) });
  t.teardown(() => app.close());
  const upgrade = (origin?: string) =>
    app.inject({
      url: '/runs/abc/stream',
      headers: { host: 'localhost:8080', upgrade: 'websocket', connection: 'upgrade', ...(origin ? { origin } : {}) },
    });
  const foreign = await upgrade('https://evil.example');
  t.equal(foreign.statusCode, 403);
  t.match(foreign.json(), { code: 'forbidden', message: /https:\/\/evil\.example/ });
  for (const origin of [undefined, 'http://localhost:8080', 'https://app.example.org']) {
    t.not((await upgrade(origin)).statusCode, 403, `${origin ?? 'no Origin (not a browser)'} passes`);
  }
});

t.test('without API keys only loopback host names are answered (DNS rebinding)', async (t) => {
  const { app } = await buildInertApp();
  t.teardown(() => app.close());
  for (const host of ['localhost:8080', '127.0.0.1:8080', '[::1]:8080', 'runbox.localhost', '127.0.0.1'])
    t.equal((await app.inject({ url: '/healthz', headers: { host } })).statusCode, 200, host);
  for (const host of ['attacker.example:8080', '127.0.0.1.nip.io', 'localhost.attacker.example', '10.0.0.5:8080']) {
    const reply = await app.inject({ url: '/healthz', headers: { host } });
    t.equal(reply.statusCode, 403, host);
    t.equal(reply.json().code, 'forbidden');
  }
  const keyed = await buildInertApp({ config: loadConfig({ RATE_LIMIT_PER_MINUTE: '0', API_KEYS: `a:read:${sha256Hex('k')}` }) });
  t.teardown(() => keyed.app.close());
  t.equal((await keyed.app.inject({ url: '/healthz', headers: { host: 'runbox.example.org' } })).statusCode, 200, 'with keys any name');
});

t.test('host names are read without their port', async (t) => {
  t.equal(hostName('localhost:8080'), 'localhost');
  t.equal(hostName('[::1]:80'), '[::1]');
  t.equal(hostName('example.org'), 'example.org');
  t.equal(hostName(undefined), '');
  t.notOk(isLoopbackHost('127.0.0.1.evil.example'));
});
