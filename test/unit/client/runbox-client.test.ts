// The client's stream against a stand-in WebSocket server on loopback: frames in order, a
// dropped connection resumed with ?from=<last seq>, client frames queued until the socket is
// open, and RunboxError for an HTTP refusal.
import { createServer } from 'node:http';
import t from 'tap';
import { WebSocketServer } from 'ws';
import { createRunboxClient, RunboxError } from '../../../src/client/runbox-client.js';

async function standIn(t: { teardown(fn: () => unknown): void }) {
  const urls: string[] = [];
  const received: unknown[] = [];
  const server = createServer((req, res) => {
    res.writeHead(429, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ statusCode: 429, error: 'Too Many Requests', code: 'rate_limited', message: 'slow down' }));
  });
  const wss = new WebSocketServer({ server });
  let connection = 0;
  wss.on('connection', (ws, req) => {
    urls.push(req.url ?? '');
    ws.on('message', (data) => received.push(JSON.parse(data.toString())));
    if (connection++ === 0) {
      ws.send(JSON.stringify({ type: 'status', status: 'running' }));
      ws.send(JSON.stringify({ type: 'stdout', seq: 1, data: 'a' }));
      ws.send(JSON.stringify({ type: 'stdout', seq: 2, data: 'b' }));
      setTimeout(() => ws.close(1001, 'server shutting down'), 50);
    } else {
      ws.send(JSON.stringify({ type: 'stdout', seq: 3, data: 'c' }));
      ws.send(JSON.stringify({ type: 'end', run: { id: 'r1', status: 'completed' } }));
      ws.close(1000);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => (wss.close(), server.close(resolve))));
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, urls, received };
}

t.test('a stream resumes after a 1001 close from the last seq, and ends with the end frame', async (t) => {
  const server = await standIn(t);
  const client = createRunboxClient({ url: server.url, key: 'k' });
  const stream = client.stream('r1');
  stream.stdin('typed early');
  const frames = [];
  for await (const frame of stream) frames.push(frame);
  t.same(
    frames.map((f) => (f.type === 'stdout' ? f.data : f.type)),
    ['status', 'a', 'b', 'c', 'end'],
  );
  t.same(server.urls, ['/runs/r1/stream?from=0', '/runs/r1/stream?from=2']);
  t.same(server.received, [{ type: 'stdin', data: 'typed early' }], 'a frame sent before the socket opened is delivered once it is');
});

t.test('an HTTP refusal is a RunboxError with the status and code', async (t) => {
  const server = await standIn(t);
  const client = createRunboxClient({ url: server.url });
  await t.rejects(client.runtimes(), { name: 'RunboxError', status: 429, code: 'rate_limited', message: 'slow down' });
  const error = await client.submit({ language: 'python', source: '' }).catch((e: unknown) => e);
  t.ok(error instanceof RunboxError);
  t.match(error, { status: 429, body: { code: 'rate_limited' } });
});
