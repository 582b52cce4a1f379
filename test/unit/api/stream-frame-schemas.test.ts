// The WebSocket frames documented in openapi.yaml (Stream*Frame) are the frames the stream
// route really sends: a run's event stream is replayed through the route on stand-in
// Redis, and every frame must match exactly one documented server frame.
import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import t, { type Test } from 'tap';
import type { Redis } from 'ioredis';
import type { WebSocket } from 'ws';
import { parseClientFrame, streamFrameSchemas } from '../../../src/api/stream-frames.js';
import { createEventReader } from '../../../src/store/event-stream.js';
import { createKeys } from '../../../src/store/keys.js';
import { RunRecordSchema, type RunRecord } from '../../../src/domain/run-record.js';
import type { RunStore } from '../../../src/store/run-store.js';
import { buildInertApp } from '../../helpers/inert-app.js';

const record: RunRecord = {
  id: 'run-1',
  language: 'c',
  status: 'completed',
  verdict: 'ok',
  createdAt: '2024-01-01T00:00:00.000Z',
  startedAt: '2024-01-01T00:00:00.100Z',
  finishedAt: '2024-01-01T00:00:01.000Z',
  exitCode: 0,
  signal: null,
  timeMs: 12,
  cpuTimeMs: 3,
  memoryBytes: 1048576,
  stdout: 'hi\n',
  stderr: '',
  stdoutTruncated: false,
  stderrTruncated: false,
  compile: { exitCode: 0, stdout: '', stderr: 'warning\n', timeMs: 300 },
  limits: { timeMs: 10000, cpuTimeMs: 5000, memoryMb: 256, cpus: 1, pids: 64, outputBytes: 1048576, diskMb: 64 },
  interactive: false,
};

/** Stream entries as the worker and the store write them: [id, fields]. */
const entries: [string, string[]][] = [
  ['0-1', ['t', 'status', 's', 'queued']],
  ['0-2', ['t', 'status', 's', 'running']],
  ['1-0', ['t', 'stderr', 'd', 'warning\n', 'p', 'compile']],
  ['2-0', ['t', 'stdout', 'd', 'hi\n']],
  ['2-1', ['t', 'status', 's', 'completed']],
  ['2-2', ['t', 'end']],
];

function fakeRedis(): Redis {
  return {
    async xreadBuffer() {
      return [[Buffer.from('events'), entries.map(([id, fields]) => [Buffer.from(id), fields.map((f) => Buffer.from(f))])]];
    },
    disconnect() {},
  } as unknown as Redis;
}

function fakeStore(known: RunRecord | undefined): RunStore {
  return { getOwned: async (id: string) => (id === known?.id ? { record: known, owner: 'anonymous' } : undefined) } as unknown as RunStore;
}

type InertApp = Awaited<ReturnType<typeof buildInertApp>>['app'];

/** app.close(), after ending the server side of injected sockets, which would otherwise wait 30 s for a TCP close that never comes. */
async function closeApp(app: InertApp) {
  for (const socket of app.websocketServer.clients) socket.terminate();
  await app.close();
}

async function readAll(app: InertApp, path: string) {
  const frames: unknown[] = [];
  let closed!: (code: number) => void;
  const closeCode = new Promise<number>((resolve) => (closed = resolve));
  await app.injectWS(
    path,
    {},
    {
      onInit(ws: WebSocket) {
        ws.on('message', (data) => frames.push(JSON.parse(data.toString())));
        ws.on('close', (code) => closed(code));
      },
    },
  );
  return { frames, closeCode: await closeCode };
}

// TypeBox checks formats only when told how; Fastify's Ajv knows date-time already.
FormatRegistry.Set('date-time', (value) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value));

/** The app on a store that knows `known` and a Redis that replays `entries`, closed at the end of the test. */
async function streamApp(t: Test, known: RunRecord | undefined) {
  const { app } = await buildInertApp(
    { store: fakeStore(known), events: createEventReader({ connect: fakeRedis, keys: createKeys('runbox') }) },
    { docs: false },
  );
  t.teardown(() => closeApp(app));
  return app;
}

const serverSchemas = [streamFrameSchemas.StreamStatusFrame, streamFrameSchemas.StreamOutputFrame, streamFrameSchemas.StreamEndFrame];
const matches = (frame: unknown) => serverSchemas.filter((schema) => Value.Check(schema, [RunRecordSchema], frame)).length;

t.test('every frame of a replayed run matches exactly one documented server frame', async (t) => {
  const app = await streamApp(t, record);
  const { frames, closeCode } = await readAll(app, '/runs/run-1/stream');
  t.equal(closeCode, 1000);
  t.same(
    frames.map((f) => (f as { type: string }).type),
    ['status', 'status', 'stderr', 'stdout', 'status', 'end'],
  );
  for (const frame of frames) t.equal(matches(frame), 1, JSON.stringify(frame).slice(0, 80));
});

t.test('frames sent with ?encoding=base64 match the documented frames too', async (t) => {
  const app = await streamApp(t, record);
  const { frames } = await readAll(app, '/runs/run-1/stream?encoding=base64');
  t.match(frames[3], { type: 'stdout', seq: 2, data: Buffer.from('hi\n').toString('base64') });
  for (const frame of frames) t.equal(matches(frame), 1, JSON.stringify(frame).slice(0, 80));
});

t.test('closes with the documented 4404 for an unknown run', async (t) => {
  const app = await streamApp(t, undefined);
  const { frames, closeCode } = await readAll(app, '/runs/nope/stream');
  t.equal(closeCode, 4404);
  t.same(frames, []);
});

t.test('client frames are parsed by their documented schemas: anything else is refused', async (t) => {
  t.same(parseClientFrame('{"type":"stdin","data":"1 2\\n"}'), { type: 'stdin', data: '1 2\n' });
  t.same(parseClientFrame('{"type":"eof"}'), { type: 'eof' });
  t.same(parseClientFrame('{"type":"cancel"}'), { type: 'cancel' });
  for (const bad of [
    'not json',
    '{"type":"stdin"}',
    '{"type":"stdin","data":5}',
    '{"type":"eof","extra":1}',
    '{"type":"kill"}',
    'null',
    '[]',
  ]) {
    t.equal(parseClientFrame(bad), undefined, bad);
  }
});
