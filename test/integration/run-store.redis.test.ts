// The run store's scripts on a real Redis: a run is written whole or not at all, a run that
// could not be queued is undone, and every way a run ends drops its request and its input
// stream and keeps its record and events for the retention.
import t, { type Test } from 'tap';
import type { RunRecord } from '../../src/domain/run-record.js';
import { createKeys } from '../../src/store/keys.js';
import { bashSpec, queuedRecord, startTestStore } from '../helpers/stored-runs.js';

const keys = createKeys('runbox');
const request = bashSpec;
const record = (id: string) => queuedRecord(id);

t.test('run store', async (t) => {
  const { redis, store: storeWith } = await startTestStore(t);
  const store = storeWith();

  t.test('admission and the write are one step; discard undoes both', async (t) => {
    t.same(await store.create(record('a1'), request, 'alice', 1), { admitted: true });
    t.same(await store.create(record('a2'), request, 'alice', 1), { admitted: false, refusal: 'in_flight' }, 'over the in-flight cap');
    t.equal(await redis.exists(keys.run('a2'), keys.events('a2'), keys.request('a2')), 0, 'nothing of a refused run is written');
    t.match(await store.getRequest('a1'), request);
    t.notOk('request' in ((await store.get('a1')) ?? {}), 'the request is not part of the record');
    await store.discard('a1');
    t.equal(await redis.exists(keys.run('a1'), keys.events('a1'), keys.request('a1')), 0, 'record, events and request gone');
    t.same(await store.create(record('a3'), request, 'alice', 1), { admitted: true }, 'its in-flight place is free again');
  });

  t.test('a record is a hash of plain fields that Lua and redis-cli read as they are; reads are checked', async (t) => {
    await store.create(record('p1'), request, 'alice');
    t.same(await redis.hmget(keys.run('p1'), 'status', 'interactive', 'owner'), ['queued', 'false', 'alice'], 'no JSON quotes');
    t.equal(await redis.hexists(keys.run('p1'), 'startedAt'), 0, 'null is an absent field');
    const startedAt = new Date().toISOString();
    t.equal(await store.markRunning('p1', startedAt), true);
    t.same(await redis.hmget(keys.run('p1'), 'status', 'startedAt'), ['running', startedAt]);
    t.equal(await store.markQueuedAgain('p1'), true);
    t.equal(await redis.hexists(keys.run('p1'), 'startedAt'), 0, 'back to queued: startedAt null again');
    t.match(await store.get('p1'), { status: 'queued', startedAt: null });
    await redis.hset(keys.run('p1'), 'status', '"queued"');
    await t.rejects(
      store.get('p1'),
      { name: 'StoredRecordError', message: /status/ },
      'a field that is not the schema is an error, not a value',
    );
    await redis.set(keys.request('p1'), '{"files":"all of them"}');
    await t.rejects(store.getRequest('p1'), { name: 'StoredRecordError', message: /RunSpec/ });
  });

  const ended = async (t: Test, id: string) => {
    t.equal(await redis.exists(keys.request(id)), 0, 'the request is dropped');
    t.equal(await redis.exists(keys.input(id)), 0, 'so is the input stream');
    for (const key of [keys.run(id), keys.events(id)]) t.ok((await redis.ttl(key)) > 3000, `${key} kept for the retention`);
    const frames = await redis.xrange(keys.events(id), '-', '+');
    t.same(frames.at(-1)?.[1], ['t', 'end'], 'the stream ends');
    t.equal(await redis.zscore(keys.inFlight('bob'), id), null, 'out of the in-flight set');
  };

  t.test('cancelled while queued', async (t) => {
    await store.create(record('b1'), request, 'bob');
    await redis.persist(keys.run('b1'));
    t.equal(await store.cancel('b1', new Date().toISOString()), 'cancelled');
    await ended(t, 'b1');
  });

  t.test('lost while running', async (t) => {
    await store.create(record('b2'), request, 'bob');
    t.equal(await store.markRunning('b2', new Date().toISOString()), true);
    t.equal(await store.failLost('b2', 'worker lost', new Date().toISOString()), true);
    t.match(await store.get('b2'), { status: 'failed', error: 'worker lost' });
    t.equal(await store.markQueuedAgain('b2'), false, 'a retry does not bring an ended run back to queued');
    t.match(await store.get('b2'), { status: 'failed' });
    await ended(t, 'b2');
  });

  t.test('given up by the queue while queued', async (t) => {
    await store.create(record('b6'), request, 'bob');
    t.equal(await store.failLost('b6', 'lost', new Date().toISOString()), false, 'a queued run is not a lost one');
    t.match(await store.get('b6'), { status: 'queued' });
    t.equal(await store.failLost('b6', 'given up', new Date().toISOString(), { queuedToo: true }), true);
    t.match(await store.get('b6'), { status: 'failed', error: 'given up' });
    t.equal(await store.markRunning('b6', new Date().toISOString()), false, 'an ended run is never started');
    await ended(t, 'b6');
  });

  t.test('finished', async (t) => {
    await store.create(record('b3'), request, 'bob');
    await store.markRunning('b3', new Date().toISOString());
    t.equal(await store.markQueuedAgain('b3'), true, 'a running run goes back to queued for a retry');
    t.equal(await store.markRunning('b3', new Date().toISOString()), true);
    t.equal(await store.finish('b3', { status: 'completed', verdict: 'ok' } as Partial<RunRecord>, 0), true);
    t.equal(await store.finish('b3', { status: 'failed' } as Partial<RunRecord>, 0), false, 'a run ends once');
    t.match(await store.get('b3'), { status: 'completed', verdict: 'ok' });
    await ended(t, 'b3');
  });
});
