// API keys on a real app with stand-in services: which requests get in, with which
// principal, and what a refusal says; and the scope and ownership rules on their own.
import t from 'tap';
import Fastify from 'fastify';
import { authPlugin, canSee, hasScope, sha256Hex, ANONYMOUS, type Principal } from '../../../src/api/auth.js';
import { errorHandler } from '../../../src/api/error-handler.js';
import type { AuthFailureCounter } from '../../../src/store/auth-failures.js';

const reader: Principal = { name: 'reader', scopes: ['read'] };
const admin: Principal = { name: 'root', scopes: ['admin'] };

t.test('admin includes read and runs; read and runs are apart', async (t) => {
  t.equal(hasScope(reader, 'read'), true);
  t.equal(hasScope(reader, 'runs'), false);
  for (const scope of ['read', 'runs', 'admin'] as const) t.equal(hasScope(admin, scope), true, scope);
});

t.test('a key sees its own runs; admin sees every run; nobody sees a run without an owner but admin', async (t) => {
  t.equal(canSee(reader, 'reader'), true);
  t.equal(canSee(reader, 'someone-else'), false);
  t.equal(canSee(reader, undefined), false);
  t.equal(canSee(admin, 'someone-else'), true);
});

async function appWith(keys: { name: string; key: string; scopes: Principal['scopes'] }[], failures?: AuthFailureCounter) {
  const app = Fastify();
  app.setErrorHandler(errorHandler);
  await app.register(authPlugin, { keys: keys.map((k) => ({ name: k.name, sha256: sha256Hex(k.key), scopes: [...k.scopes] })), failures });
  app.get('/read', { config: { scope: 'read' } }, async (request) => request.principal);
  app.post('/runs', { config: { scope: 'runs' } }, async (request) => request.principal);
  app.get('/open', async () => 'open');
  await app.ready();
  t.teardown(() => app.close());
  return app;
}

t.test('without keys everyone is the anonymous admin', async (t) => {
  const app = await appWith([]);
  t.same((await app.inject({ url: '/read' })).json(), ANONYMOUS);
});

t.test('with keys: Bearer or ?access_token; a wrong or missing key is 401, a missing scope 403, open routes stay open', async (t) => {
  const app = await appWith([
    { name: 'alice', key: 'alice-secret', scopes: ['read', 'runs'] },
    { name: 'watcher', key: 'watcher-secret', scopes: ['read'] },
  ]);
  t.same((await app.inject({ url: '/read', headers: { authorization: 'Bearer alice-secret' } })).json(), {
    name: 'alice',
    scopes: ['read', 'runs'],
  });
  t.equal(
    (await app.inject({ url: '/read?access_token=watcher-secret' })).json().name,
    'watcher',
    'a WebSocket sends its key in the query',
  );
  const missing = await app.inject({ url: '/read' });
  t.match(missing.json(), { statusCode: 401, code: 'unauthorized', message: /Authorization: Bearer/ });
  const wrong = await app.inject({ url: '/read', headers: { authorization: 'Bearer nope' } });
  t.match(wrong.json(), { statusCode: 401, code: 'unauthorized', message: 'the API key is not valid' });
  t.notMatch(wrong.body, /nope/, 'the key presented is never echoed');
  const scope = await app.inject({ method: 'POST', url: '/runs', headers: { authorization: 'Bearer watcher-secret' } });
  t.match(scope.json(), { statusCode: 403, code: 'forbidden', message: 'this key lacks the runs scope' });
  t.equal((await app.inject({ url: '/open' })).body, 'open');
});

t.test('failed authentications are counted per address, and an address past its limit is refused before its key is read', async (t) => {
  const recorded: string[] = [];
  let blockedMs = 0;
  const failures = {
    record: async (address: string) => void recorded.push(address),
    blockedForMs: async () => blockedMs,
  } as unknown as AuthFailureCounter;
  const app = await appWith([{ name: 'alice', key: 'alice-secret', scopes: ['read'] }], failures);
  await app.inject({ url: '/read', headers: { authorization: 'Bearer wrong' } });
  await app.inject({ url: '/read', headers: { authorization: 'Bearer alice-secret' } });
  t.same(recorded, ['127.0.0.1'], 'only the failure counts');
  blockedMs = 30_500;
  const refused = await app.inject({ url: '/read', headers: { authorization: 'Bearer alice-secret' } });
  t.match(refused.json(), { statusCode: 429, code: 'rate_limited', message: /retry in 31 s/ });
  t.equal(refused.headers['retry-after'], '31');
});
