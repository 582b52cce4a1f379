// A session worker's command stream on a real Redis: the backlog cap holds even when many
// senders append at once (the check and the append are one step), and a file's bytes travel
// beside their command unchanged.
import t from 'tap';
import { createKeys } from '../../src/store/keys.js';
import { COMMANDS_BACKLOG_MAX, createSessionChannel } from '../../src/store/session-channel.js';
import { startTestStore } from '../helpers/stored-runs.js';

const keys = createKeys('runbox');

t.test('session command stream', async (t) => {
  const { redis } = await startTestStore(t);
  const channel = createSessionChannel(redis, keys);
  const envelope = (n: number) => ({ replyTo: `reply-${n}`, command: { kind: 'keepalive' as const, sessionId: `s-${n}` } });

  t.test('senders at once never pass the backlog cap', async (t) => {
    const worker = `w-${Math.random().toString(36).slice(2)}`;
    const sent = await Promise.all(Array.from({ length: COMMANDS_BACKLOG_MAX * 2 }, (_, n) => channel.send(worker, envelope(n))));
    t.equal(sent.filter(Boolean).length, COMMANDS_BACKLOG_MAX, `${COMMANDS_BACKLOG_MAX} taken, the rest refused`);
    t.equal(await redis.xlen(keys.workerCommands(worker)), COMMANDS_BACKLOG_MAX, 'and no more wait in Redis');
    t.ok((await redis.ttl(keys.workerCommands(worker))) > 3000, 'the stream expires if its worker is gone');
    t.equal(await channel.send(worker, envelope(99)), false, 'a full backlog refuses the next one');
    const [first] = await redis.xrange(keys.workerCommands(worker), '-', '+', 'COUNT', 1);
    await redis.xdel(keys.workerCommands(worker), first[0]);
    t.equal(await channel.send(worker, envelope(100)), true, 'one taken by the worker makes room for one');
  });

  t.test("a file's bytes travel beside their command", async (t) => {
    const worker = `w-${Math.random().toString(36).slice(2)}`;
    const bytes = Buffer.from([0, 255, 10, 13, 0xc3, 0x28]);
    t.equal(await channel.send(worker, envelope(1), bytes), true);
    const [[, fields]] = await redis.xrangeBuffer(keys.workerCommands(worker), '-', '+');
    t.same(
      fields.map((f) => f.toString('latin1')).filter((_, i) => i % 2 === 0),
      ['j', 'd'],
    );
    t.same(fields[3], bytes, 'binary data unchanged');
    t.same(JSON.parse(fields[1].toString()), envelope(1));
  });
});
