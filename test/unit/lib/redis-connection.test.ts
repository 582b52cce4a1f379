// A connection that cannot reach Redis says so in the log, once per interval, instead of
// ioredis's stack trace on stderr at every attempt. A real ioredis client against a loopback
// port nothing listens on: no Redis needed.
import t from 'tap';
import { freePort } from '../../../src/lib/free-port.js';
import { createRedisFactory, logConnectionErrors } from '../../../src/lib/redis-connection.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function recorder() {
  const lines: { obj: Record<string, unknown>; msg: string }[] = [];
  return { lines, warn: (obj: object, msg: string) => lines.push({ obj: obj as Record<string, unknown>, msg }) };
}

t.test("the factory's connections log their failed attempts, one line per connection per interval", async (t) => {
  const log = recorder();
  const factory = createRedisFactory(`redis://127.0.0.1:${await freePort()}`, log);
  const connections = [factory.commands(), factory.durable()];
  t.teardown(() => connections.forEach((redis) => redis.disconnect()));
  // ioredis tries again after 50, 100, 150 ... ms: several attempts fail within the second.
  await sleep(1000);
  t.same(
    log.lines.map((line) => line.obj.role).sort(),
    ['commands', 'durable'],
    'one line each, naming the connection, though each failed several times',
  );
  t.match(log.lines[0], { msg: 'cannot reach Redis; trying again', obj: { error: /ECONNREFUSED/ } });
});

t.test('after the interval a connection that still fails says so again', async (t) => {
  const log = recorder();
  const { Redis } = await import('ioredis');
  const redis = logConnectionErrors(
    new Redis({ port: await freePort(), host: '127.0.0.1', retryStrategy: () => 20 }),
    'commands',
    log,
    200,
  );
  t.teardown(() => redis.disconnect());
  await sleep(700);
  t.ok(log.lines.length >= 2 && log.lines.length <= 4, `${log.lines.length} lines in 700 ms at one per 200 ms (attempts every 20 ms)`);
});
