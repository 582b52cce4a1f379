// What an operator's logs hold: requests, but never an API key, a run's source, files, stdin
// or env; and a server without API keys serves loopback only and says so.
import { Writable } from 'node:stream';
import t, { type Test } from 'tap';
import WebSocket from 'ws';
import { createApiService } from '../../src/api-service.js';
import { sha256Hex } from '../../src/api/auth.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/lib/logger.js';
import { createRedisFactory } from '../../src/lib/redis-connection.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { request } from '../helpers/client.js';
import { startTestRedis } from '../helpers/service.js';

/** An API on a random port whose log lines (level info and up) are kept in memory. */
async function startLoggedApi(t: Test, env: Record<string, string>) {
  const redis = await startTestRedis(t);
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(...chunk.toString().split('\n').filter(Boolean)), done()) });
  const config = loadConfig({ REDIS_URL: redis.url, PORT: '0', LOG_LEVEL: 'info', ...env });
  const api = await createApiService({
    config,
    redis: createRedisFactory(redis.url, createLogger('silent', 'runbox-api')),
    log: createLogger('info', 'runbox-api', sink),
    metrics: createMetrics(),
  });
  t.teardown(() => api.close());
  await api.listen();
  return { api, lines };
}

t.test('keys, sources, files, stdin and env never reach the logs; requests do', async (t) => {
  const key = 'key-S3CRET-abcdef';
  const { api, lines } = await startLoggedApi(t, { API_KEYS: `alice:runs+read:${sha256Hex(key)}` });
  const address = api.app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const auth = { authorization: `Bearer ${key}` };
  const secret = (what: string) => `MARK-${what}-7f3a`;
  const run = {
    language: 'bash',
    files: [{ name: 'main.sh', content: `echo ${secret('file')}` }],
    stdin: secret('stdin'),
    env: { TOKEN: secret('env') },
  };
  const accepted = await request(url, 'POST', '/runs', run, auth);
  t.equal(accepted.status, 202);
  t.equal(
    (await request(url, 'POST', '/runs', { language: 'bash', source: `echo ${secret('source')}`, limits: { timeMs: -1 } }, auth)).status,
    400,
    'a refused body',
  );
  t.equal(
    (
      await request(
        url,
        'POST',
        '/runs',
        { language: 'bash', source: `echo ${secret('unauthorized')}` },
        { authorization: `Bearer ${secret('wrong-key')}` },
      )
    ).status,
    401,
  );
  await new Promise<void>((resolve) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/runs/${accepted.body.id}/stream?access_token=${key}`);
    ws.once('message', () => ws.close());
    ws.once('close', () => resolve());
  });
  await new Promise((r) => setTimeout(r, 200));

  const text = lines.join('\n');
  t.match(text, /"url":"\/runs"/, 'requests are logged');
  t.match(text, /access_token=\[redacted\]/, 'the stream request is logged with its token masked');
  for (const what of ['file', 'stdin', 'env', 'source', 'unauthorized', 'wrong-key'])
    t.notMatch(text, secret(what), `no ${what} in the logs`);
  t.notMatch(text, key, 'no API key in the logs');
});

t.test('without API keys the server serves loopback only, whatever HOST says, and warns', async (t) => {
  const { api, lines } = await startLoggedApi(t, { HOST: '0.0.0.0' });
  const address = api.app.server.address();
  t.equal(typeof address === 'object' && address ? address.address : undefined, '127.0.0.1');
  t.match(lines.join('\n'), /no API_KEYS configured: no authentication, serving on loopback only/);
});

t.test('each failed authentication is a warning naming the client address and the route, never the key', async (t) => {
  const { api, lines } = await startLoggedApi(t, { API_KEYS: `alice:runs+read:${sha256Hex('the-real-key')}` });
  const address = api.app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const guess = 'GUESSED-KEY-91c2';
  t.equal((await request(url, 'GET', '/runs/some-run', undefined, { authorization: `Bearer ${guess}` })).status, 401);
  t.equal((await request(url, 'DELETE', `/runs/some-run?access_token=${guess}`)).status, 401);
  t.equal((await request(url, 'GET', '/runtimes')).status, 401);
  const failures = lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'authentication failed');
  t.match(failures, [
    { level: 40, address: '127.0.0.1', route: 'GET /runs/:id', reason: 'the API key is not valid' },
    { level: 40, address: '127.0.0.1', route: 'DELETE /runs/:id', reason: 'the API key is not valid' },
    { level: 40, address: '127.0.0.1', route: 'GET /runtimes', reason: 'send Authorization: Bearer <API key>' },
  ]);
  t.equal(failures.length, 3);
  t.notMatch(lines.join('\n'), guess, 'the guessed key is not logged');
});
