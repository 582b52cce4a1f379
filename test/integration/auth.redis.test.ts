// API keys, scopes and ownership; per-key rate limit and in-flight cap; the queue cap.
import { request as httpRequest } from 'node:http';
import t from 'tap';
import WebSocket from 'ws';
import { sha256Hex } from '../../src/api/auth.js';
import { readStream, request } from '../helpers/client.js';
import { startService } from '../helpers/service.js';

const keys = { alice: 'alice-key', bob: 'bob-key', reader: 'reader-key', root: 'root-key' };
const API_KEYS = [
  `alice:runs+read:${sha256Hex(keys.alice)}`,
  `bob:runs+read:${sha256Hex(keys.bob)}`,
  `reader:read:${sha256Hex(keys.reader)}`,
  `root:admin:${sha256Hex(keys.root)}`,
].join(',');
const as = (key: string) => ({ authorization: `Bearer ${key}` });
const hello = { language: 'bash', source: 'echo hi' };

t.test('keys, scopes and ownership', async (t) => {
  const { url, wsUrl } = await startService(t, { worker: false, env: { API_KEYS } });

  t.test('no key or a wrong key is 401 unauthorized; health stays open', async (t) => {
    for (const headers of [{}, as('nope'), { authorization: 'Basic abc' }]) {
      const reply = await request(url, 'POST', '/runs', hello, headers);
      t.equal(reply.status, 401);
      t.equal(reply.body.code, 'unauthorized');
    }
    t.equal((await request(url, 'GET', '/runtimes')).status, 401);
    t.equal((await request(url, 'GET', '/healthz')).status, 200);
    t.equal((await request(url, 'GET', '/readyz')).status, 200);
  });

  t.test('a run belongs to its key: another key gets 404, and 4404 on the stream', async (t) => {
    const { status, body: run } = await request(url, 'POST', '/runs', hello, as(keys.alice));
    t.equal(status, 202);
    t.equal((await request(url, 'GET', `/runs/${run.id}`, undefined, as(keys.alice))).status, 200);
    const foreign = await request(url, 'GET', `/runs/${run.id}`, undefined, as(keys.bob));
    t.equal(foreign.status, 404);
    t.equal(foreign.body.code, 'not_found');
    t.equal((await request(url, 'DELETE', `/runs/${run.id}`, undefined, as(keys.bob))).status, 404);
    t.match((await request(url, 'GET', `/runs?ids=${run.id}`, undefined, as(keys.bob))).body, [
      { id: run.id, error: { code: 'not_found' } },
    ]);
    const stream = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${wsUrl}/runs/${run.id}/stream`, { headers: as(keys.bob) });
      ws.on('close', (code) => resolve(code));
    });
    t.equal(stream, 4404);
    t.equal((await request(url, 'GET', `/runs/${run.id}`, undefined, as(keys.root))).status, 200, 'admin sees every run');
    t.equal((await request(url, 'DELETE', `/runs/${run.id}`, undefined, as(keys.alice))).status, 202, 'the owner cancels it');
    const { frames, closeCode } = await readStream(wsUrl, `/runs/${run.id}/stream?access_token=${keys.alice}`);
    t.equal(closeCode, 1000, 'a browser can pass the key as access_token');
    t.equal(frames.at(-1).run.status, 'cancelled');
  });

  t.test('a read-only key reads but cannot submit; metrics need admin', async (t) => {
    const reply = await request(url, 'POST', '/runs', hello, as(keys.reader));
    t.equal(reply.status, 403);
    t.equal(reply.body.code, 'forbidden');
    t.equal((await request(url, 'GET', '/runtimes', undefined, as(keys.reader))).status, 200);
    t.equal((await request(url, 'GET', '/metrics', undefined, as(keys.alice))).status, 403);
    t.equal((await request(url, 'GET', '/metrics', undefined, as(keys.root))).status, 200);
  });
});

t.test('a key over its rate limit gets 429 rate_limited with RateLimit headers and Retry-After; other keys go on', async (t) => {
  const { url } = await startService(t, { worker: false, env: { API_KEYS, RATE_LIMIT_PER_MINUTE: '3' } });
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await request(url, 'GET', '/runtimes', undefined, as(keys.alice))).status);
  t.same(statuses, [200, 200, 200, 429]);
  const limited = await request(url, 'GET', '/runtimes', undefined, as(keys.alice));
  t.equal(limited.body.code, 'rate_limited');
  t.ok(limited.headers.get('ratelimit-limit') && limited.headers.get('ratelimit-reset'), 'RateLimit-* headers');
  const retryAfter = Number(limited.headers.get('retry-after'));
  t.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After: the seconds left in the window (${retryAfter})`);
  t.equal((await request(url, 'GET', '/runtimes', undefined, as(keys.bob))).status, 200);
});

t.test(
  'runs in flight per key are capped (429 too_many_in_flight with Retry-After), and a full queue answers 503 queue_full with Retry-After',
  async (t) => {
    const { url } = await startService(t, { worker: false, env: { API_KEYS, KEY_MAX_IN_FLIGHT: '2', QUEUE_MAX_WAITING: '3' } });
    const a = [];
    for (let i = 0; i < 3; i++) a.push(await request(url, 'POST', '/runs', hello, as(keys.alice)));
    t.same(
      a.map((r) => r.status),
      [202, 202, 429],
    );
    t.equal(a[2].body.code, 'too_many_in_flight');
    t.equal(a[2].headers.get('retry-after'), '1');
    await request(url, 'DELETE', `/runs/${a[0].body.id}`, undefined, as(keys.alice));
    t.equal((await request(url, 'POST', '/runs', hello, as(keys.alice))).status, 202, 'a cancelled run frees its slot');
    t.equal((await request(url, 'POST', '/runs', hello, as(keys.bob))).status, 202, 'another key has slots of its own');
    const b = await request(url, 'POST', '/runs', hello, as(keys.bob));
    t.equal(b.status, 503, 'three runs wait: the queue is full');
    t.equal(b.body.code, 'queue_full');
    t.equal(b.headers.get('retry-after'), '5');
  },
);

t.test('streams per key are capped (4429 beyond WS_MAX_PER_KEY); a stream the server closed no longer counts', async (t) => {
  const { url, wsUrl } = await startService(t, { worker: false, env: { API_KEYS, WS_MAX_PER_KEY: '2' } });
  const { body: run } = await request(url, 'POST', '/runs', hello, as(keys.alice));
  const { body: bobRun } = await request(url, 'POST', '/runs', hello, as(keys.bob));
  /** Opens a stream and resolves with its first event: the first frame's type, or the close code. */
  const open = (runId: string, key: string) => {
    const ws = new WebSocket(`${wsUrl}/runs/${runId}/stream`, { headers: as(key) });
    const first = new Promise<string | number>((resolve) => {
      ws.once('message', (data) => resolve(JSON.parse(data.toString()).type));
      ws.once('close', (code) => resolve(code));
    });
    return { ws, first };
  };
  // The run stays queued (no worker), so these two streams stay open.
  const held = [open(run.id, keys.alice), open(run.id, keys.alice)];
  t.same(await Promise.all(held.map((s) => s.first)), ['status', 'status'], 'two streams open');
  t.equal(await open(run.id, keys.alice).first, 4429, 'a third stream of the same key is refused');
  const bob = open(bobRun.id, keys.bob);
  t.equal(await bob.first, 'status', 'another key streams on');
  bob.ws.close();

  const closedOne = new Promise((resolve) => held[0].ws.once('close', resolve));
  held[0].ws.close();
  await closedOne;
  const again = open(run.id, keys.alice);
  t.equal(await again.first, 'status', 'a stream closed by its client frees its place');
  for (const s of [held[1], again]) {
    const closed = new Promise((resolve) => s.ws.once('close', resolve));
    s.ws.close();
    await closed;
  }

  // A client that opens the next stream the moment the server closed the last one is not
  // refused: the server stops counting a stream before its close frame goes out.
  const codes: (string | number)[] = [];
  for (let i = 0; i < 20; i++) codes.push(await open('00000000-0000-4000-8000-000000000000', keys.alice).first);
  t.same([...new Set(codes)], [4404], 'twenty unknown runs in a row: 4404 each, never 4429');
});

/** GET from a client address of our choosing (any 127.x.y.z reaches the loopback server). */
function getFrom(
  localAddress: string,
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; retryAfter: string | undefined; code: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { localAddress, headers }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          retryAfter: res.headers['retry-after'] as string | undefined,
          code: body.startsWith('{') ? JSON.parse(body).code : undefined,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

t.test(
  'failed authentications are limited per address: past AUTH_FAILURES_PER_MINUTE the address gets 429 rate_limited with Retry-After, valid key or not; other addresses and health go on',
  async (t) => {
    const { url } = await startService(t, { worker: false, env: { API_KEYS, AUTH_FAILURES_PER_MINUTE: '3' } });
    const attacker = '127.0.0.2';
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await getFrom(attacker, `${url}/runtimes`, as(`guess-${i}`))).status);
    t.same(statuses, [401, 401, 401], 'three wrong keys: 401 each');
    const refused = await getFrom(attacker, `${url}/runtimes`, as('guess-3'));
    t.equal(refused.status, 429, 'the fourth guess is not even checked');
    t.equal(refused.code, 'rate_limited');
    const retryAfter = Number(refused.retryAfter);
    t.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After: the rest of the minute (${retryAfter})`);
    t.equal((await getFrom(attacker, `${url}/runtimes`, as(keys.alice))).status, 429, 'a valid key from that address waits too');
    t.equal((await getFrom(attacker, `${url}/runtimes`)).status, 429, 'so does a request without a key');
    t.equal((await getFrom(attacker, `${url}/healthz`)).status, 200, 'health stays open');
    t.equal((await getFrom('127.0.0.3', `${url}/runtimes`, as(keys.alice))).status, 200, 'another address goes on');
    t.equal((await getFrom('127.0.0.3', `${url}/runtimes`, as('guess'))).status, 401, 'and has failures of its own to spend');
  },
);
