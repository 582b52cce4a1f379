// The worker's output frames: coalesced briefly, order kept, and the stream capped.
import type { Redis } from 'ioredis';
import t from 'tap';
import { createEventPublisher } from '../../../src/store/event-stream.js';
import { createKeys } from '../../../src/store/keys.js';

function fakeRedis() {
  const entries: { id: string; fields: Record<string, string> }[] = [];
  const redis = {
    async xadd(_key: string, id: string, ...pairs: (string | Buffer)[]) {
      const fields: Record<string, string> = {};
      for (let i = 0; i + 1 < pairs.length; i += 2) fields[pairs[i].toString()] = pairs[i + 1].toString();
      entries.push({ id, fields });
      return id;
    },
  } as unknown as Redis;
  return { redis, entries };
}

const keys = createKeys('test');
const options = { coalesceMs: 10, frameBytes: 8, maxFrames: 3 };

t.test('output arriving together becomes one frame; seq ids rise by one', async (t) => {
  const { redis, entries } = fakeRedis();
  const events = createEventPublisher(redis, keys, 'r', { ...options, maxFrames: 100 });
  for (const c of ['a', 'b', 'c']) events.output('stdout', Buffer.from(c), 'run');
  await new Promise((r) => setTimeout(r, 30));
  events.output('stdout', Buffer.from('d'), 'run');
  await events.flush();
  t.same(
    entries.map((e) => [e.id, e.fields.d]),
    [
      ['1-0', 'abc'],
      ['2-0', 'd'],
    ],
  );
  t.equal(events.lastSeq, 2);
});

t.test('a change of stream, phase or test writes what is held first, so order is kept', async (t) => {
  const { redis, entries } = fakeRedis();
  const events = createEventPublisher(redis, keys, 'r', { ...options, maxFrames: 100 });
  events.output('stdout', Buffer.from('1'), 'run');
  events.output('stderr', Buffer.from('2'), 'run');
  events.output('stdout', Buffer.from('3'), 'test', 0);
  events.output('stdout', Buffer.from('4'), 'test', 1);
  await events.flush();
  t.same(
    entries.map((e) => [e.fields.t, e.fields.d, e.fields.p, e.fields.i]),
    [
      ['stdout', '1', undefined, undefined],
      ['stderr', '2', undefined, undefined],
      ['stdout', '3', 'test', '0'],
      ['stdout', '4', 'test', '1'],
    ],
  );
});

t.test('a frame is written as soon as it is full', async (t) => {
  const { redis, entries } = fakeRedis();
  const events = createEventPublisher(redis, keys, 'r', { ...options, maxFrames: 100 });
  events.output('stdout', Buffer.from('0123456789'), 'run');
  t.equal(entries.length, 1, 'written at once, before any timer');
  await events.flush();
});

t.test('past the cap, output is written only in full frames and at the end, never lost', async (t) => {
  const { redis, entries } = fakeRedis();
  const events = createEventPublisher(redis, keys, 'r', options);
  for (let i = 0; i < 200; i++) events.output(i % 2 ? 'stderr' : 'stdout', Buffer.from('x'), 'run');
  await events.flush();
  t.ok(entries.length <= options.maxFrames + 200 / options.frameBytes + 2, `${entries.length} frames for 200 alternating writes`);
  const bytes = (s: string) => entries.filter((e) => e.fields.t === s).reduce((n, e) => n + e.fields.d.length, 0);
  t.equal(bytes('stdout'), 100);
  t.equal(bytes('stderr'), 100);
});
