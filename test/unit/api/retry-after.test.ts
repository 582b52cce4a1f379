// Every 429 and every 503 carries Retry-After: the error's own figure, the one
// @fastify/rate-limit set, or the error table's; also /readyz and a request that arrives
// while the server closes.
import Fastify from 'fastify';
import t from 'tap';
import { closingPlugin } from '../../../src/api/closing.js';
import { errorHandler } from '../../../src/api/error-handler.js';
import { ApiError, errorCodes, retryAfterOf, type ErrorCode } from '../../../src/api/errors.js';

t.test('every 429 and 503 code in the error table has a Retry-After, and no other code has one', async (t) => {
  for (const [code, { statusCode }] of Object.entries(errorCodes)) {
    const retryAfter = retryAfterOf(code as ErrorCode);
    if (statusCode === 429 || statusCode === 503)
      t.ok(retryAfter !== undefined && retryAfter >= 1, `${code} (${statusCode}): ${retryAfter} s`);
    else t.equal(retryAfter, undefined, `${code} (${statusCode}) has none`);
  }
});

async function appThrowing(error: () => Error, header?: string) {
  const app = Fastify({ return503OnClosing: false });
  app.setErrorHandler(errorHandler);
  app.get('/', async (_request, reply) => {
    if (header) reply.header('retry-after', header);
    throw error();
  });
  return app;
}

const cases: [name: string, error: () => Error, header: string | undefined, status: number, code: string, retryAfter: string | null][] = [
  [
    "too_many_in_flight takes the table's figure",
    () => new ApiError('too_many_in_flight'),
    undefined,
    429,
    'too_many_in_flight',
    String(retryAfterOf('too_many_in_flight')),
  ],
  ["queue_full takes the table's figure", () => new ApiError('queue_full'), undefined, 503, 'queue_full', '5'],
  [
    'an error that knows when says so, rounded up',
    () => new ApiError('rate_limited', 'slow down', 12.2),
    undefined,
    429,
    'rate_limited',
    '13',
  ],
  ['a header the rate limiter set is kept', () => new ApiError('rate_limited'), '37', 429, 'rate_limited', '37'],
  ['Redis away is 503 unavailable', () => new Error('connect ECONNREFUSED 127.0.0.1:6379'), undefined, 503, 'unavailable', '5'],
  ['a 400 has none', () => new ApiError('invalid_request'), undefined, 400, 'invalid_request', null],
];

for (const [name, error, header, status, code, retryAfter] of cases) {
  t.test(name, async (t) => {
    const app = await appThrowing(error, header);
    t.teardown(() => app.close());
    const res = await app.inject({ method: 'GET', url: '/' });
    t.equal(res.statusCode, status);
    t.equal(res.json().code, code);
    t.equal(res.headers['retry-after'] ?? null, retryAfter);
  });
}

t.test('a request that arrives while the server closes is 503 unavailable with Retry-After, and closes its connection', async (t) => {
  const app = Fastify({ return503OnClosing: false });
  app.setErrorHandler(errorHandler);
  await app.register(closingPlugin);
  app.get('/', async () => ({ ok: true }));
  // Holds the close between its start and the moment the server stops listening (as the
  // WebSocket plugin's own preClose does while it says goodbye to its clients).
  let letClose!: () => void;
  const gate = new Promise<void>((resolve) => (letClose = resolve));
  app.addHook('preClose', async () => gate);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  t.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 200, 'before the close');
  const closed = app.close();
  await new Promise((resolve) => setImmediate(resolve));
  const reply = await fetch(`http://127.0.0.1:${port}/`);
  letClose();
  await closed;
  t.equal(reply.status, 503);
  t.equal(reply.headers.get('retry-after'), '5');
  t.equal(reply.headers.get('connection'), 'close');
  t.match(await reply.json(), { code: 'unavailable', message: /shutting down/ });
});
