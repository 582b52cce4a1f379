// The shared readers of a real Redis: one input reader for every run a worker has under way
// (instead of a connection per run), and one end watcher for every waiting request of an API
// process (instead of a connection and a blocking read per request).
import { Redis } from 'ioredis';
import t from 'tap';
import { loadConfig } from '../../src/config/config.js';
import { createKeys } from '../../src/store/keys.js';
import { createEndWatcher } from '../../src/store/run-ends.js';
import { createInputReader, sendInput, type InputFrame } from '../../src/store/run-input.js';
import { startTestStore, storeQueuedRun } from '../helpers/stored-runs.js';

const keys = createKeys('runbox');
const config = loadConfig({});
const options = { maxStdinBytes: 1000, retentionSeconds: 3600 };

t.test('the input reader', async (t) => {
  const { server, redis, store: storeWith } = await startTestStore(t);
  const store = storeWith();
  const connections: Redis[] = [];
  const connect = () => {
    const c = new Redis(server.url);
    connections.push(c);
    return c;
  };
  const reader = createInputReader(connect, redis, keys);
  t.teardown(() => reader.close());

  const follow = (id: string) => {
    const frames: InputFrame[] = [];
    const stop = reader.follow(id, (frame) => frames.push(frame));
    return { frames, stop };
  };
  const settle = (ms = 100) => new Promise((r) => setTimeout(r, ms));

  t.test('passes each run its own frames, in order, from its first, over one connection', async (t) => {
    await storeQueuedRun(store, config, 'a');
    await storeQueuedRun(store, config, 'b');
    await sendInput(redis, keys, 'a', { kind: 'stdin', data: Buffer.from('early') }, options);
    const a = follow('a');
    const b = follow('b');
    await sendInput(redis, keys, 'b', { kind: 'stdin', data: Buffer.from('one') }, options);
    await sendInput(redis, keys, 'a', { kind: 'eof' }, options);
    await sendInput(redis, keys, 'b', { kind: 'stdin', data: Buffer.from('two') }, options);
    await settle();
    t.same(a.frames, [{ kind: 'stdin', data: Buffer.from('early') }, { kind: 'eof' }], 'a frame sent before the run was followed too');
    t.same(b.frames, [
      { kind: 'stdin', data: Buffer.from('one') },
      { kind: 'stdin', data: Buffer.from('two') },
    ]);
    t.equal(connections.length, 1, 'one connection for every run');
    a.stop();
    b.stop();
  });

  t.test('a run followed while the read blocks is read at once, not at the end of the block', async (t) => {
    await storeQueuedRun(store, config, 'blocking');
    const other = follow('blocking');
    await settle(); // the read now blocks on one stream
    await storeQueuedRun(store, config, 'late');
    const late = follow('late');
    const started = Date.now();
    await redis.xadd(keys.input('late'), '*', 't', 'cancel');
    while (late.frames.length === 0 && Date.now() - started < 5000) await settle(10);
    t.same(late.frames, [{ kind: 'cancel' }]);
    t.ok(Date.now() - started < 1000, `read after ${Date.now() - started} ms`);
    other.stop();
    late.stop();
  });
});

t.test('the end watcher', async (t) => {
  const { server, redis, store: storeWith } = await startTestStore(t);
  const store = storeWith();
  const watcher = createEndWatcher({ subscriber: new Redis(server.url), redis, keys });
  t.teardown(() => watcher.close());
  const finish = (id: string) => store.finish(id, { status: 'completed', verdict: 'ok', finishedAt: new Date().toISOString() }, 0);

  t.test('resolves true when the run ends, promptly', async (t) => {
    await storeQueuedRun(store, config, 'w1');
    await store.markRunning('w1', new Date().toISOString());
    const started = Date.now();
    const waiting = watcher.waitForEnd('w1', 10_000);
    setTimeout(() => void finish('w1'), 50);
    t.equal(await waiting, true);
    t.ok(Date.now() - started < 1000, `${Date.now() - started} ms`);
  });

  t.test('resolves true at once for a run that has already ended, and for one that does not exist', async (t) => {
    await storeQueuedRun(store, config, 'w2');
    await store.markRunning('w2', new Date().toISOString());
    await finish('w2');
    t.equal(await watcher.waitForEnd('w2', 10_000), true);
    t.equal(await watcher.waitForEnd('no-such-run', 10_000), true);
  });

  t.test('resolves false at its timeout, and at once when stopped', async (t) => {
    await storeQueuedRun(store, config, 'w3');
    t.equal(await watcher.waitForEnd('w3', 200), false);
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 50);
    const started = Date.now();
    t.equal(await watcher.waitForEnd('w3', 10_000, stop.signal), false);
    t.ok(Date.now() - started < 1000);
  });

  t.test('an end published while the subscription was away is seen by the status check', async (t) => {
    // A subscriber that never reaches Redis: only the status checks can tell.
    const nowhere = new Redis('redis://127.0.0.1:1', { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    nowhere.on('error', () => undefined);
    const deaf = createEndWatcher({ subscriber: nowhere, redis, keys });
    t.teardown(() => deaf.close());
    await storeQueuedRun(store, config, 'w4');
    await store.markRunning('w4', new Date().toISOString());
    const waiting = deaf.waitForEnd('w4', 10_000);
    setTimeout(() => void finish('w4'), 100);
    t.equal(await Promise.race([waiting, new Promise((r) => setTimeout(() => r('stuck'), 5000))]), true);
  });
});
