// A run's input stream (interactive stdin, eof, cancel) on a real Redis: stdin frames are
// capped per run at STDIN_MAX_BYTES, all API processes together; frames for a run that has
// ended are dropped; the stream is deleted when the run ends.
import t from 'tap';
import WebSocket from 'ws';
import { Redis } from 'ioredis';
import type { RunRecord } from '../../src/domain/run-record.js';
import { createKeys } from '../../src/store/keys.js';
import { sendInput } from '../../src/store/run-input.js';
import { request } from '../helpers/client.js';
import { startService } from '../helpers/service.js';
import { bashSpec, queuedRecord, startTestStore } from '../helpers/stored-runs.js';

const keys = createKeys('runbox');
const runRequest = bashSpec;
const interactiveRun = (id: string) => queuedRecord(id, { interactive: true });
const options = { maxStdinBytes: 1000, retentionSeconds: 3600 };
const stdin = (bytes: number) => ({ kind: 'stdin' as const, data: Buffer.alloc(bytes, 'a') });

/** The bytes of stdin frames in a run's input stream. */
async function stdinBytes(redis: Redis, id: string): Promise<number> {
  const entries = await redis.xrangeBuffer(keys.input(id), '-', '+');
  return entries.filter(([, fields]) => fields[1].toString() === 'stdin').reduce((sum, [, fields]) => sum + fields[3].length, 0);
}

t.test('input streams in the store', async (t) => {
  const { server, redis, store: storeWith } = await startTestStore(t);
  const store = storeWith();

  t.test('stdin frames are kept up to the cap; the frame that would pass it is dropped, eof still goes', async (t) => {
    await store.create(interactiveRun('c1'), runRequest, 'alice');
    t.equal(await sendInput(redis, keys, 'c1', stdin(600), options), 'sent');
    t.equal(await sendInput(redis, keys, 'c1', stdin(400), options), 'sent', 'exactly at the cap');
    t.equal(await sendInput(redis, keys, 'c1', stdin(1), options), 'limit', 'one byte more');
    t.equal(await stdinBytes(redis, 'c1'), 1000);
    t.equal(await sendInput(redis, keys, 'c1', { kind: 'eof' }, options), 'sent');
    t.notOk('stdinbytes' in ((await store.get('c1')) ?? {}), 'the running total is not part of the record');
  });

  t.test('several connections (API processes) share one cap', async (t) => {
    await store.create(interactiveRun('c2'), runRequest, 'alice');
    const connections = Array.from({ length: 4 }, () => new Redis(server.url));
    t.teardown(() => connections.forEach((c) => c.disconnect()));
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, i) => sendInput(connections[i % 4], keys, 'c2', stdin(100), options)),
    );
    t.equal(outcomes.filter((o) => o === 'sent').length, 10, 'ten frames of 100 bytes fit');
    t.equal(await stdinBytes(redis, 'c2'), 1000);
  });

  t.test('a run that ends loses its input stream; frames for it afterwards are dropped, not stored', async (t) => {
    await store.create(interactiveRun('c3'), runRequest, 'alice');
    await sendInput(redis, keys, 'c3', stdin(10), options);
    t.equal(await redis.exists(keys.input('c3')), 1);
    await store.cancel('c3', new Date().toISOString());
    t.equal(await redis.exists(keys.input('c3')), 0, 'deleted when the run ended');
    t.equal(await sendInput(redis, keys, 'c3', stdin(10), options), 'ended');
    t.equal(await sendInput(redis, keys, 'c3', { kind: 'eof' }, options), 'ended');
    t.equal(await redis.exists(keys.input('c3')), 0, 'nothing stored for an ended run');
    t.equal(await sendInput(redis, keys, 'no-such-run', stdin(10), options), 'ended', 'nor for a run that does not exist');
    t.equal(await redis.exists(keys.input('no-such-run')), 0);
  });

  t.test('a finished run loses its input stream too', async (t) => {
    await store.create(interactiveRun('c4'), runRequest, 'alice');
    await sendInput(redis, keys, 'c4', stdin(10), options);
    await store.markRunning('c4', new Date().toISOString());
    await store.finish('c4', { status: 'completed', verdict: 'ok' } as Partial<RunRecord>, 0);
    t.equal(await redis.exists(keys.input('c4')), 0);
  });
});

/** Opens a run's stream and sends `frames` as soon as it opens; resolves with the close code and reason. */
function sendFrames(wsUrl: string, runId: string, frames: object[]): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${wsUrl}/runs/${runId}/stream`);
    ws.on('open', () => frames.forEach((frame) => ws.send(JSON.stringify(frame))));
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    ws.on('error', reject);
    // The run stays queued (no worker): the server never ends this stream on its own.
    setTimeout(() => ws.close(1000), 2000).unref();
  });
}

t.test('over the WebSocket', async (t) => {
  const { url, wsUrl, redis } = await startService(t, { worker: false, env: { STDIN_MAX_BYTES: '1000' } });
  const submit = async () =>
    (await request(url, 'POST', '/runs', { language: 'bash', source: 'cat', interactive: true })).body.id as string;

  t.test('stdin frames past STDIN_MAX_BYTES close the socket with 4413; what came before is kept, nothing after', async (t) => {
    const id = await submit();
    const frames = [...Array.from({ length: 4 }, () => ({ type: 'stdin', data: 'x'.repeat(300) })), { type: 'eof' }];
    t.same(await sendFrames(wsUrl, id, frames), { code: 4413, reason: 'stdin limit reached' });
    t.equal(await stdinBytes(redis, id), 900, 'three frames of 300 bytes');
    const types = (await redis.xrange(keys.input(id), '-', '+')).map(([, fields]) => fields[1]);
    t.same(types, ['stdin', 'stdin', 'stdin'], 'not the eof sent after the refused frame');
  });

  t.test('the cap holds across sockets: a second socket gets 4413 for what the first used up', async (t) => {
    const id = await submit();
    t.equal((await sendFrames(wsUrl, id, [{ type: 'stdin', data: 'x'.repeat(1000) }])).code, 1000, 'the first uses all of it');
    t.same(await sendFrames(wsUrl, id, [{ type: 'stdin', data: 'y' }]), { code: 4413, reason: 'stdin limit reached' });
    t.equal(await stdinBytes(redis, id), 1000);
  });

  t.test('stdin for a run that has ended is dropped, not stored', async (t) => {
    const id = await submit();
    // Ended as a worker would end it, while this socket is open and before it sees the end.
    await redis.hset(keys.run(id), 'status', 'completed');
    t.equal(
      (await sendFrames(wsUrl, id, [{ type: 'stdin', data: 'late' }, { type: 'eof' }])).code,
      1000,
      'the socket is not closed for it',
    );
    t.equal(await redis.exists(keys.input(id)), 0);
  });
});
