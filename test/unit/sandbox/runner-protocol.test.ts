// The protocol table in TypeScript against runbox-run's protocol.h, and the frame codecs.
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import t from 'tap';
import {
  CHUNK_BYTES,
  createHostEncoder,
  createRunnerDecoder,
  encodeExec,
  ExecField,
  HostFrame,
  KEY_BYTES,
  keyFrame,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  ProtocolError,
  RunnerFrame,
  TAG_BYTES,
} from '../../../src/sandbox/runner-protocol.js';

const header = readFileSync(new URL('../../../deploy/runtimes/runner/protocol.h', import.meta.url), 'utf8');

/** `#define NAME value` lines of protocol.h. */
function defines(): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of header.matchAll(/^#define (\w+) (.+?)(?:\s*\/\*.*)?$/gm)) found.set(match[1], match[2].trim());
  return found;
}

const snake = (camel: string) => camel.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();

t.test('protocol.h and runner-protocol.ts name the same frames, fields and sizes', async (t) => {
  const h = defines();
  const letter = (name: string) => h.get(name)?.replace(/^'(.)'$/, '$1');
  const hostNames: Record<string, string> = { stdinEnd: 'STDIN_END' };
  for (const [name, value] of Object.entries(HostFrame))
    t.equal(letter(`FRAME_${hostNames[name] ?? snake(name)}`), value, `host frame ${name}`);
  for (const [name, value] of Object.entries(RunnerFrame)) {
    // A collect's file and data frames are the host's, sent back.
    if (name === 'file' || name === 'data') continue;
    t.equal(letter(`FRAME_${snake(name)}`), value, `runner frame ${name}`);
  }
  for (const [name, value] of Object.entries(ExecField)) t.equal(letter(`FIELD_${snake(name)}`), value, `exec field ${name}`);
  const defined = [...h.keys()].filter((k) => k.startsWith('FRAME_') || k.startsWith('FIELD_'));
  const ours = new Set(
    [...Object.keys(HostFrame), ...Object.keys(RunnerFrame), ...Object.keys(ExecField)].flatMap((n) => [
      `FRAME_${hostNames[n] ?? snake(n)}`,
      `FIELD_${snake(n)}`,
    ]),
  );
  t.same(
    defined.filter((d) => !ours.has(d)),
    [],
    'protocol.h defines nothing the table lacks',
  );
  t.equal(Number(h.get('PROTOCOL_VERSION')), PROTOCOL_VERSION);
  t.equal(Number(h.get('TAG_BYTES')), TAG_BYTES);
  t.equal(Number(h.get('KEY_BYTES')), KEY_BYTES);
  t.equal(Number(h.get('CHUNK_BYTES')), CHUNK_BYTES);
  t.equal(h.get('MAX_FRAME_BYTES'), '(2 * 1024 * 1024)');
  t.equal(MAX_FRAME_BYTES, 2 * 1024 * 1024);
});

const key = randomBytes(KEY_BYTES);
const tag = (direction: string, seq: number, type: string, payload: Buffer, k = key) => {
  const head = Buffer.alloc(14);
  head[0] = direction.charCodeAt(0);
  head.writeBigUInt64BE(BigInt(seq), 1);
  head[9] = type.charCodeAt(0);
  head.writeUInt32BE(payload.length, 10);
  return createHmac('sha256', k).update(head).update(payload).digest().subarray(0, TAG_BYTES);
};

/** A frame as runbox-run writes it. */
const runnerFrame = (seq: number, type: string, payload: Buffer | string, direction = 'R', k = key) => {
  const body = Buffer.from(payload);
  const head = Buffer.alloc(5);
  head[0] = type.charCodeAt(0);
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body, tag(direction, seq, type, body, k)]);
};

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

t.test('the key frame is the only one without a tag', async (t) => {
  t.same(keyFrame(key), Buffer.concat([Buffer.from([0x4b, 0, 0, 0, 32]), key]));
  t.throws(() => keyFrame(Buffer.alloc(16)));
});

t.test('host frames carry their type, length, payload and a tag over the direction and a count', async (t) => {
  const encoder = createHostEncoder(key);
  const first = encoder.frame(HostFrame.stdin, Buffer.from('abc'));
  const second = encoder.frame(HostFrame.stdin, Buffer.from('abc'));
  t.same(first.subarray(0, 8), Buffer.from([0x49, 0, 0, 0, 3, 0x61, 0x62, 0x63]));
  t.same(first.subarray(8), tag('H', 0, 'I', Buffer.from('abc')));
  t.same(second.subarray(8), tag('H', 1, 'I', Buffer.from('abc')), 'the same frame again has another tag');
  t.throws(() => encoder.frame(HostFrame.exec, Buffer.alloc(MAX_FRAME_BYTES + 1)), /over the limit/);
});

t.test('an exec spec is a list of tagged fields: argv in order, env as NAME=value, numbers as u64', async (t) => {
  const spec = encodeExec({
    argv: ['python3', 'main.py'],
    env: { A: 'b=c' },
    cwd: 'sub',
    timeMs: 1000,
    cpuMs: 500,
    outputBytes: 65536,
    cgroupPeak: true,
  });
  const fields: [string, Buffer][] = [];
  for (let at = 0; at < spec.length;) {
    const n = spec.readUInt32BE(at + 1);
    fields.push([String.fromCharCode(spec[at]), spec.subarray(at + 5, at + 5 + n)]);
    at += 5 + n;
  }
  t.same(
    fields.map(([k, v]) => [k, k === 't' || k === 'c' || k === 'o' ? Number(v.readBigUInt64BE()) : v.toString()]),
    [
      ['a', 'python3'],
      ['a', 'main.py'],
      ['e', 'A=b=c'],
      ['w', 'sub'],
      ['t', 1000],
      ['c', 500],
      ['o', 65536],
      ['p', ''],
    ],
  );
});

t.test('the decoder gives checked messages for chunks cut anywhere', async (t) => {
  const bytes = Buffer.concat([
    runnerFrame(0, 'y', JSON.stringify({ protocol: PROTOCOL_VERSION, uid: 1000 })),
    runnerFrame(1, 'o', 'out'),
    runnerFrame(2, 'e', 'err'),
    runnerFrame(3, 'r', JSON.stringify(report)),
  ]);
  const expected = [
    { type: 'ready', uid: 1000 },
    { type: 'stdout', data: Buffer.from('out') },
    { type: 'stderr', data: Buffer.from('err') },
    { type: 'report', report },
  ];
  for (let cut = 0; cut <= bytes.length; cut++) {
    const decoder = createRunnerDecoder(key);
    const got = [...decoder.push(bytes.subarray(0, cut)), ...decoder.push(bytes.subarray(cut))];
    if (JSON.stringify(got) !== JSON.stringify(expected)) {
      t.same(got, expected, `cut at ${cut}`);
      return;
    }
  }
  t.pass(`all ${bytes.length + 1} cuts agree`);
});

t.test('the decoder refuses what runbox-run did not write, and believes nothing after', async (t) => {
  const good = runnerFrame(0, 'o', 'x');
  const cases: [string, Buffer, RegExp][] = [
    ['a tag made with another key', runnerFrame(0, 'o', 'x', 'R', randomBytes(KEY_BYTES)), /failed its tag/],
    ["the host's direction", runnerFrame(0, 'o', 'x', 'H'), /failed its tag/],
    ['a frame out of its place (replayed)', Buffer.concat([good, good]), /frame 1 failed its tag/],
    ['a frame skipped', runnerFrame(1, 'o', 'x'), /frame 0 failed its tag/],
    ['a changed payload', Buffer.concat([good.subarray(0, 5), Buffer.from('y'), good.subarray(6)]), /failed its tag/],
    ['an unknown type', runnerFrame(0, 'Z', 'x'), /unknown frame type/],
    [
      'a report off its schema (an extra field)',
      runnerFrame(0, 'r', JSON.stringify({ ...report, verdict: 'accepted' })),
      /does not match its schema/,
    ],
    [
      'a report off its schema (a string exit code)',
      runnerFrame(0, 'r', JSON.stringify({ ...report, exitCode: '0' })),
      /does not match its schema/,
    ],
    ['a report that is not JSON', runnerFrame(0, 'r', '{"exitCode":0'), /not JSON/],
    ['an oversized frame', Buffer.from([0x6f, 0xff, 0xff, 0xff, 0xff]), /over the limit/],
  ];
  for (const [what, bytes, error] of cases) {
    const decoder = createRunnerDecoder(key);
    t.throws(() => decoder.push(bytes), error, what);
    t.throws(() => decoder.push(runnerFrame(0, 'o', 'more')), ProtocolError, `${what}: nothing after is read`);
  }
});

t.test('the decoder tells a frame left unfinished', async (t) => {
  const decoder = createRunnerDecoder(key);
  const frame = runnerFrame(0, 'o', 'hello');
  t.same(decoder.push(frame.subarray(0, 7)), []);
  t.equal(decoder.partialBytes, 7);
  t.equal(decoder.push(frame.subarray(7)).length, 1);
  t.equal(decoder.partialBytes, 0);
});
