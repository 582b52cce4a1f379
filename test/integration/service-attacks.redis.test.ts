// The attacks on the service (not on the sandbox) that an attack session found, each with
// its asserted outcome: docs/security.md lists them ("Attacks on the service"). Each test
// reproduces the attack as it was made and fails on the code before its fix. Redis only.
import { request as httpRequest } from 'node:http';
import t from 'tap';
import WebSocket from 'ws';
import { sha256Hex } from '../../src/api/auth.js';
import { runStoreSettings } from '../../src/config/config.js';
import { outputMatches } from '../../src/domain/compare.js';
import { createKeys } from '../../src/store/keys.js';
import { createRunStore } from '../../src/store/run-store.js';
import { createOutputComparer } from '../../src/worker/output-comparer.js';
import { request } from '../helpers/client.js';
import { startService } from '../helpers/service.js';
import { storeFinishedRun } from '../helpers/stored-runs.js';

const MiB = 1024 * 1024;
const keys = createKeys('runbox');
const hello = { language: 'bash', source: 'echo hi' };

t.test(
  'finding 4: an expected output of 100,000 spaces and an x (14 s through backtracking regexes): compared right at once, and large texts off the event loop',
  async (t) => {
    const spaces = ' '.repeat(100_000) + 'x';
    t.equal(outputMatches('x', spaces, 'trim'), false, 'trim: leading spaces count');
    t.equal(outputMatches('x', spaces, 'tokens'), true);
    t.equal(outputMatches(spaces + ' '.repeat(100_000), spaces, 'float'), true);
    const comparer = createOutputComparer({ thresholdBytes: 64 * 1024 });
    t.teardown(() => comparer.close());
    let turned = false;
    setImmediate(() => (turned = true));
    t.equal(await comparer.compare(spaces, spaces + '\n\n', 'trim', 1e-6), true);
    t.equal(turned, true, 'the event loop turned while it compared');
  },
);

t.test(
  'finding 5: GET /runs?ids= naming one 16 MiB record twenty times (a 336 MiB answer): answered once, within the output budget, /healthz meanwhile',
  async (t) => {
    const { url, redis, config } = await startService(t, { worker: false });
    const store = createRunStore({ redis, keys, ...runStoreSettings(config) });
    await storeFinishedRun(store, config, 'huge', { stdout: 'h'.repeat(16 * MiB), stderr: '' });
    let listing = true;
    const list = request(url, 'GET', `/runs?ids=${Array(20).fill('huge').join(',')}`).finally(() => (listing = false));
    let slowest = 0;
    while (listing) {
      const started = performance.now();
      await request(url, 'GET', '/healthz');
      slowest = Math.max(slowest, performance.now() - started);
    }
    const { status, body } = await list;
    t.equal(status, 200);
    t.match(body, [{ id: 'huge', stdout: '', outputOmitted: true }], 'one entry, without the output that does not fit');
    t.equal(body.length, 1);
    t.ok(slowest < 1000, `/healthz answered within ${Math.round(slowest)} ms`);
  },
);

t.test(
  'finding 6: one socket sending stdin frames as fast as it can (65 MB in 2 s, kept a day): cut at STDIN_MAX_BYTES with 4413, nothing kept once the run ends',
  async (t) => {
    const { url, wsUrl, redis } = await startService(t, { worker: false, env: { STDIN_MAX_BYTES: String(MiB) } });
    const { body: run } = await request(url, 'POST', '/runs', { language: 'bash', source: 'cat', interactive: true });
    const chunk = JSON.stringify({ type: 'stdin', data: 'x'.repeat(64 * 1024) });
    const closed = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${wsUrl}/runs/${run.id}/stream`);
      ws.on('open', () => {
        for (let i = 0; i < 64; i++) ws.send(chunk); // 4 MiB
      });
      ws.on('close', (code) => resolve(code));
    });
    t.equal(closed, 4413);
    const kept = (await redis.xrange(keys.input(run.id), '-', '+')).reduce((sum, [, fields]) => sum + (fields[3]?.length ?? 0), 0);
    t.equal(kept, MiB, 'exactly STDIN_MAX_BYTES kept for the run');
    t.equal((await request(url, 'DELETE', `/runs/${run.id}`)).status, 202);
    t.equal(await redis.exists(keys.input(run.id)), 0, 'the input stream is gone once the run has ended');
  },
);

t.test(
  'finding 7: runs keeping large outputs (Redis from 49 MB to 450 MB): past its output budget a key is refused with 429 and Retry-After, and large outputs are kept an hour',
  async (t) => {
    const { url, redis, config } = await startService(t, { worker: false, env: { KEY_OUTPUT_BUDGET_BYTES: String(48 * MiB) } });
    const store = createRunStore({ redis, keys, ...runStoreSettings(config) });
    for (const id of ['o1', 'o2']) await storeFinishedRun(store, config, id, { stdout: 'o'.repeat(8 * MiB), stderr: 'e'.repeat(8 * MiB) });
    const refused = await request(url, 'POST', '/runs', hello);
    t.equal(refused.status, 429);
    t.equal(refused.body.code, 'output_budget_exceeded');
    const retryAfter = Number(refused.headers.get('retry-after'));
    t.ok(retryAfter > 3500 && retryAfter <= 3600, `Retry-After: until the first of them expires (${retryAfter} s)`);
    t.ok((await redis.ttl(keys.run('o1'))) <= 3600, 'a large output is kept LARGE_OUTPUT_RETENTION_S, not a day');
  },
);

t.test(
  'finding 12: a key at its in-flight cap (429 without Retry-After, as rate_limited): its own code, too_many_in_flight, and every 429 and 503 says Retry-After',
  async (t) => {
    const { url } = await startService(t, { worker: false, env: { KEY_MAX_IN_FLIGHT: '1', RATE_LIMIT_PER_MINUTE: '5' } });
    t.equal((await request(url, 'POST', '/runs', hello)).status, 202);
    const inFlight = await request(url, 'POST', '/runs', hello);
    t.equal(inFlight.status, 429);
    t.equal(inFlight.body.code, 'too_many_in_flight');
    t.ok(Number(inFlight.headers.get('retry-after')) >= 1, 'Retry-After');
    let limited = await request(url, 'GET', '/runtimes');
    for (let i = 0; i < 10 && limited.status === 200; i++) limited = await request(url, 'GET', '/runtimes');
    t.equal(limited.status, 429);
    t.equal(limited.body.code, 'rate_limited');
    t.ok(Number(limited.headers.get('retry-after')) >= 1, 'a rate-limited request says Retry-After too');
  },
);

/** GET from a client address of our choosing (127.x.y.z reaches the loopback server). */
function statusFrom(localAddress: string, url: string, headers: Record<string, string>): Promise<{ status: number; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { localAddress, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined }));
    })
      .on('error', reject)
      .end();
  });
}

t.test(
  'finding 13: guessing API keys as fast as the server answers (failures never limited): past AUTH_FAILURES_PER_MINUTE the address gets 429 with Retry-After, a valid key too',
  async (t) => {
    const { url } = await startService(t, {
      worker: false,
      env: { API_KEYS: `alice:runs+read:${sha256Hex('the-key')}`, AUTH_FAILURES_PER_MINUTE: '5' },
    });
    const statuses = [];
    for (let i = 0; i < 8; i++)
      statuses.push((await statusFrom('127.0.0.5', `${url}/runtimes`, { authorization: `Bearer guess-${i}` })).status);
    t.same(statuses, [401, 401, 401, 401, 401, 429, 429, 429]);
    const valid = await statusFrom('127.0.0.5', `${url}/runtimes`, { authorization: 'Bearer the-key' });
    t.equal(valid.status, 429, 'the address waits, whatever key it sends');
    t.ok(Number(valid.retryAfter) >= 1, 'Retry-After');
    t.equal((await statusFrom('127.0.0.6', `${url}/runtimes`, { authorization: 'Bearer the-key' })).status, 200, 'another address goes on');
  },
);

t.test(
  'finding 14: webhooks to loopback, private and link-local addresses in IPv6 forms the old list missed: 400 invalid_request at submission',
  async (t) => {
    const { url } = await startService(t, { worker: false, env: { WEBHOOK_SECRET: 'secret' } });
    const hosts = [
      '[::7f00:1]',
      '[::ffff:7f00:1]',
      '[::ffff:0:7f00:1]',
      '[64:ff9b::a9fe:a9fe]',
      '[64:ff9b:1::a00:1]',
      '[2002:7f00:1::1]',
      '[2001:0:4136:e378:8000:63bf:80ff:fffe]',
      '[fec0::1]',
      '[100::1]',
    ];
    for (const host of hosts) {
      const reply = await request(url, 'POST', '/runs', { ...hello, webhook: `http://${host}/hook` });
      t.equal(reply.status, 400, host);
      t.match(reply.body, { code: 'invalid_request', message: /private address/ }, host);
    }
    t.equal(
      (await request(url, 'POST', '/runs', { ...hello, webhook: 'http://[2606:4700:4700::1111]/hook' })).status,
      202,
      'a public address is allowed',
    );
  },
);
