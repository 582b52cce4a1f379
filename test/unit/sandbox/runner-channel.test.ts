// The worker's side of the conversation over a stand-in attach stream: what it sends, what it
// believes, and what breaks it (the order rules of the integrity issue: anything after a
// report, a second report, files outside a collect, an unfinished last frame).
import { createHmac, randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
import t from 'tap';
import { ChannelClosedError, createRunnerChannel, RunnerCommandError } from '../../../src/sandbox/runner-channel.js';
import { KEY_BYTES, ProtocolError, TAG_BYTES } from '../../../src/sandbox/runner-protocol.js';
import { WorkFolder } from '../../../src/sandbox/work-folder.js';

const report = {
  exitCode: 0,
  signal: 0,
  timeMs: 5,
  cpuTimeMs: 3,
  memoryBytes: 1024,
  oomKilled: false,
  timedOut: false,
  cpuExceeded: false,
  outputExceeded: null,
};
const spec = { argv: ['true'], env: {}, timeMs: 1000, cpuMs: 1000, outputBytes: 1000 };

/** An attach stream with a scripted runbox-run behind it: host frames in (tags checked), runner frames out in Docker's framing. */
function fakeRunner() {
  const key = randomBytes(KEY_BYTES);
  let seq = 0n;
  let inSeq = 0n;
  let pending = Buffer.alloc(0);
  const received: { type: string; payload: Buffer }[] = [];
  const tag = (direction: string, n: bigint, type: string, payload: Buffer) => {
    const head = Buffer.alloc(14);
    head[0] = direction.charCodeAt(0);
    head.writeBigUInt64BE(n, 1);
    head[9] = type.charCodeAt(0);
    head.writeUInt32BE(payload.length, 10);
    return createHmac('sha256', key).update(head).update(payload).digest().subarray(0, TAG_BYTES);
  };
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        if (pending.length < 5) break;
        const type = String.fromCharCode(pending[0]);
        const size = pending.readUInt32BE(1);
        const tagged = type !== 'K';
        const whole = 5 + size + (tagged ? TAG_BYTES : 0);
        if (pending.length < whole) break;
        const payload = pending.subarray(5, 5 + size);
        if (tagged && !tag('H', inSeq++, type, payload).equals(pending.subarray(5 + size, whole)))
          throw new Error('a host frame failed its tag');
        received.push({ type, payload: Buffer.from(payload) });
        pending = pending.subarray(whole);
      }
      done();
    },
  });
  const docker = (bytes: Buffer, streamNo = 1) => {
    const head = Buffer.alloc(8);
    head[0] = streamNo;
    head.writeUInt32BE(bytes.length, 4);
    return Buffer.concat([head, bytes]);
  };
  const frame = (type: string, payload: Buffer | string) => {
    const body = Buffer.from(payload);
    const head = Buffer.alloc(5);
    head[0] = type.charCodeAt(0);
    head.writeUInt32BE(body.length, 1);
    return Buffer.concat([head, body, tag('R', seq++, type, body)]);
  };
  return {
    key,
    stream,
    received,
    /** Sends runner frames. */
    say(...frames: [string, Buffer | string][]) {
      stream.push(docker(Buffer.concat(frames.map(([type, payload]) => frame(type, payload)))));
    },
    sayRaw: (bytes: Buffer, streamNo = 1) => stream.push(docker(bytes, streamNo)),
    end: () => stream.push(null),
    types: () => received.map((r) => r.type).join(''),
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

async function started() {
  const runner = fakeRunner();
  const channel = createRunnerChannel(runner.stream, runner.key);
  const ready = channel.start();
  runner.say(['y', '{"protocol":2,"uid":1000}']);
  await ready;
  return { runner, channel };
}

t.test('sends the key first and waits for ready', async (t) => {
  const runner = fakeRunner();
  const channel = createRunnerChannel(runner.stream, runner.key);
  const ready = channel.start();
  await tick();
  t.same(runner.received, [{ type: 'K', payload: runner.key }]);
  runner.say(['y', '{"protocol":2,"uid":1000}']);
  t.equal(await ready, 1000);
});

t.test('an execution: spec, stdin in pieces, its end; output to the listener; the report checked', async (t) => {
  const { runner, channel } = await started();
  const output: string[] = [];
  const done = channel.execute(spec, Buffer.alloc(70 * 1024, 'a'), (stream, data) => output.push(`${stream}:${data}`));
  await tick();
  t.equal(runner.types(), 'KXIIE', 'the spec, 70 KiB of stdin in two frames, and its end');
  runner.say(['o', 'hi'], ['e', 'oops'], ['r', JSON.stringify(report)]);
  t.same(await done, report);
  t.same(output, ['stdout:hi', 'stderr:oops']);
});

t.test('an interactive program that reports before its stdin ends gets the end once, and nothing after it', async (t) => {
  const { runner, channel } = await started();
  let more!: (chunk: Buffer) => void;
  async function* typing() {
    yield Buffer.from('first');
    yield await new Promise<Buffer>((resolve) => (more = resolve));
  }
  const done = channel.execute(spec, typing(), () => undefined);
  await tick();
  t.equal(runner.types(), 'KXI');
  runner.say(['r', JSON.stringify(report)]);
  await done;
  await tick();
  t.equal(runner.types(), 'KXIE', 'the end sent when the report came');
  more(Buffer.from('late'));
  await tick();
  t.equal(runner.types(), 'KXIE', 'what the client types after is not sent');
});

for (const [what, frames, error] of [
  [
    'a frame after the report',
    [
      ['r', JSON.stringify(report)],
      ['o', 'late'],
    ],
    /an? 'stdout' frame when no answer was due/,
  ],
  [
    'a second report',
    [
      ['r', JSON.stringify(report)],
      ['r', JSON.stringify(report)],
    ],
    /an? 'report' frame when no answer was due/,
  ],
  ['files outside a collect', [['F', Buffer.alloc(13)]], /a 'file' frame while a program ran/],
  ["a report that is not the schema's", [['r', JSON.stringify({ ...report, exitCode: 'zero' })]], /does not match its schema/],
] as const) {
  t.test(`${what} breaks the channel: nothing after it is believed`, async (t) => {
    const { runner, channel } = await started();
    const done = channel.execute(spec, undefined, () => undefined).catch((e: Error) => e);
    runner.say(...(frames as unknown as [string, string][]));
    const outcome = await done;
    await tick();
    const broken = channel.broken;
    t.ok(broken instanceof ProtocolError, `broken: ${broken?.message}`);
    t.match(broken?.message ?? (outcome as Error).message, error);
    await t.rejects(channel.snapshot(), ProtocolError, 'no later command is taken');
  });
}

t.test('a frame that fails its tag breaks the channel', async (t) => {
  const { runner, channel } = await started();
  const done = channel.execute(spec, undefined, () => undefined);
  const forged = Buffer.concat([Buffer.from([0x72, 0, 0, 0, 2]), Buffer.from('{}'), Buffer.alloc(TAG_BYTES)]);
  runner.sayRaw(forged);
  await t.rejects(done, ProtocolError);
  t.match(channel.broken?.message, /failed its tag/);
});

t.test('a stream that ends inside a frame is an unfinished last frame, not a clean end', async (t) => {
  const { runner, channel } = await started();
  const done = channel.execute(spec, undefined, () => undefined);
  runner.sayRaw(Buffer.from([0x6f, 0, 0, 0, 10, 0x61]));
  runner.end();
  await t.rejects(done, /the stream ended inside a frame/);
});

t.test('a stream that ends between frames is a sandbox gone', async (t) => {
  const { runner, channel } = await started();
  const done = channel.execute(spec, undefined, () => undefined);
  runner.say(['o', 'partial output']);
  runner.end();
  await t.rejects(done, ChannelClosedError);
});

t.test("runbox-run's own stderr is kept for the logs, bounded, never as the program's", async (t) => {
  const { runner, channel } = await started();
  runner.sayRaw(Buffer.alloc(10_000, 0x7a), 2);
  await tick();
  t.equal(channel.diagnostics().length, 4096);
  t.equal(channel.broken, undefined);
});

t.test('files go as file and data frames in pieces, then a sync; errors before the ok fail the command', async (t) => {
  const { runner, channel } = await started();
  const folder = WorkFolder.fromFiles([{ name: 'a.txt', content: Buffer.alloc(100 * 1024, 'x') }]);
  const put = channel.putFiles(folder);
  await tick();
  t.equal(runner.types(), 'KFDDY');
  runner.say(['x', '{"error":"cannot write a.txt: No space left on device"}'], ['k', '{}']);
  await t.rejects(put, RunnerCommandError);
  t.equal(channel.broken, undefined, 'a refused command leaves the channel usable');
});

t.test('a collect gathers files until its end, and a collect past its budget breaks the channel', async (t) => {
  const { runner, channel } = await started();
  const collecting = channel.collect(1000);
  const file = Buffer.alloc(12 + 4);
  file.writeUInt32BE(0o100644, 0);
  file.writeBigUInt64BE(5n, 4);
  file.write('main', 12);
  const data = Buffer.concat([Buffer.alloc(8), Buffer.from('hello')]);
  runner.say(['F', file], ['D', data], ['c', '{"files":1,"bytes":517,"exceeded":false}']);
  const { folder, collected } = await collecting;
  t.same(collected, { files: 1, bytes: 517, exceeded: false });
  t.same(
    folder.entries.map((e) => [e.path, e.size]),
    [['main', 5]],
  );
  t.equal(folder.read(folder.entries[0].pieces[0]).toString(), 'hello');
  folder.dispose();

  const flood = channel.collect(10);
  const big = Buffer.concat([Buffer.alloc(8), Buffer.alloc(60_000)]);
  runner.say(['F', file]);
  for (let i = 0; i < 20; i++) runner.say(['D', big]);
  await t.rejects(flood, /more than its budget/);
});
