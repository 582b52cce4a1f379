// Webhooks: the final record POSTed to a local receiver with a valid signature, retried
// after a 500; private addresses refused unless the operator allows them.
import { createServer, type IncomingMessage } from 'node:http';
import t from 'tap';
import { verifySignature } from '../../src/lib/signature.js';
import { request } from '../helpers/client.js';
import { startService } from '../helpers/service.js';

const SECRET = 'test-secret';

interface Delivery {
  headers: IncomingMessage['headers'];
  body: string;
}

async function startReceiver(t: { teardown(fn: () => unknown): void }, statuses: number[]) {
  const deliveries: Delivery[] = [];
  let notify: (() => void) | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.statusCode = statuses.shift() ?? 200;
      res.end();
      notify?.();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const waitFor = async (count: number, timeoutMs = 15_000) => {
    const until = Date.now() + timeoutMs;
    while (deliveries.length < count && Date.now() < until) await new Promise<void>((r) => ((notify = r), setTimeout(r, 200)));
    return deliveries;
  };
  return { url: `http://127.0.0.1:${port}/hook`, deliveries, waitFor };
}

t.test('the final record reaches the webhook, signed, after one retry of a 500', async (t) => {
  const receiver = await startReceiver(t, [500, 200]);
  const { url } = await startService(t, { env: { WEBHOOK_SECRET: SECRET, WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_BACKOFF_MS: '200' } });
  const { body: run } = await request(url, 'POST', '/runs', { language: 'bash', source: 'echo hooked', webhook: receiver.url });
  const deliveries = await receiver.waitFor(2);
  t.equal(deliveries.length, 2, 'delivered twice: a 500, then a 200');
  for (const delivery of deliveries) {
    t.ok(verifySignature(SECRET, delivery.body, delivery.headers['x-runbox-signature'] as string), 'signature is valid');
    t.equal(delivery.headers['x-runbox-run-id'], run.id);
    t.match(JSON.parse(delivery.body), { id: run.id, status: 'completed', verdict: 'ok', stdout: 'hooked\n', webhook: receiver.url });
  }
  t.notOk(
    verifySignature('other-secret', deliveries[0].body, deliveries[0].headers['x-runbox-signature'] as string),
    'another key does not verify',
  );
  await new Promise((r) => setTimeout(r, 1000));
  t.equal(receiver.deliveries.length, 2, 'no delivery after the 200');
});

t.test('webhooks to loopback are refused unless WEBHOOK_ALLOW_PRIVATE, and need a secret', async (t) => {
  const receiver = await startReceiver(t, []);
  const strict = await startService(t, { worker: false, env: { WEBHOOK_SECRET: SECRET } });
  for (const hook of [receiver.url, 'http://localhost:1/x', 'http://[::1]/x', 'http://10.1.2.3/x', 'http://169.254.169.254/latest']) {
    const reply = await request(strict.url, 'POST', '/runs', { language: 'bash', source: 'true', webhook: hook });
    t.equal(reply.status, 400, `${hook} refused`);
    t.equal(reply.body.code, 'invalid_request');
  }
  const ftp = await request(strict.url, 'POST', '/runs', { language: 'bash', source: 'true', webhook: 'ftp://example.org/x' });
  t.equal(ftp.status, 400);
  const noSecret = await startService(t, { worker: false });
  const reply = await request(noSecret.url, 'POST', '/runs', { language: 'bash', source: 'true', webhook: 'https://example.org/hook' });
  t.equal(reply.status, 403);
  t.equal(reply.body.code, 'forbidden');
});
