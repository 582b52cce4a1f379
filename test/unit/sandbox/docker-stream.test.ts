import t from 'tap';
import {
  createDockerStreamParser,
  FrameTooLargeError,
  MAX_DOCKER_FRAME_BYTES,
  type DockerFrame,
} from '../../../src/sandbox/docker-stream.js';

function dockerFrame(stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(payload.length, 4);
  return Buffer.concat([head, payload]);
}

type Frame = { type: number; payload: Buffer };
const show = (frames: (Frame | DockerFrame)[]) =>
  frames.map((f) => ({ type: 'stream' in f ? f.stream : f.type, payload: f.payload.toString('hex') }));

/** Feeds `chunks` to a fresh parser and collects every frame it gives. */
function parseAll(create: () => (chunk: Buffer) => DockerFrame[], chunks: Buffer[]) {
  const parse = create();
  return show(chunks.flatMap((c) => parse(c)));
}

const payloads = [
  Buffer.from('hello\n'),
  Buffer.alloc(0),
  Buffer.from('é€😀 split me'),
  Buffer.from([0xff, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08]),
  Buffer.alloc(300, 0x61), // size needs two bytes of the length field
];

const parsers = [
  {
    name: 'Docker stream parser',
    create: createDockerStreamParser,
    frames: payloads.map((p, i) => ({ type: i % 2 === 0 ? 1 : 2, payload: p })),
    encode: dockerFrame,
  },
];

for (const { name, create, frames, encode } of parsers) {
  const bytes = Buffer.concat(frames.map((f) => encode(f.type, f.payload)));
  const expected = show(frames);

  t.test(`${name}: gives every frame of one whole chunk, in order`, async (t) => {
    t.same(parseAll(create, [bytes]), expected);
  });

  t.test(`${name}: gives the same frames when the input is cut at any byte offset`, async (t) => {
    for (let cut = 0; cut <= bytes.length; cut++) {
      const got = parseAll(create, [bytes.subarray(0, cut), bytes.subarray(cut)]);
      if (JSON.stringify(got) !== JSON.stringify(expected)) {
        t.same(got, expected, `cut at ${cut}`);
        return;
      }
    }
    t.pass(`all ${bytes.length + 1} cuts agree`);
  });

  t.test(`${name}: gives the same frames when cut at any two offsets`, async (t) => {
    const small = Buffer.concat(frames.slice(0, 4).map((f) => encode(f.type, f.payload)));
    const want = show(frames.slice(0, 4));
    let checked = 0;
    for (let a = 0; a <= small.length; a++) {
      for (let b = a; b <= small.length; b++) {
        const got = parseAll(create, [small.subarray(0, a), small.subarray(a, b), small.subarray(b)]);
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          t.same(got, want, `cuts at ${a} and ${b}`);
          return;
        }
        checked++;
      }
    }
    t.equal(checked, ((small.length + 1) * (small.length + 2)) / 2);
  });

  t.test(`${name}: gives the same frames when fed one byte at a time`, async (t) => {
    const oneByOne = [...bytes].map((b) => Buffer.from([b]));
    t.same(parseAll(create, oneByOne), expected);
  });

  t.test(`${name}: gives each frame as soon as its last byte arrives`, async (t) => {
    const parse = create();
    const first = encode(frames[0].type, frames[0].payload);
    t.same(show(parse(first.subarray(0, first.length - 1))), []);
    t.same(show(parse(first.subarray(first.length - 1))), show([frames[0]]));
  });

  t.test(`${name}: holds a header that declares more bytes than have come`, async (t) => {
    const parse = create();
    const frame = encode(frames[0].type, Buffer.from('0123456789'));
    t.same(show(parse(frame.subarray(0, 12))), []);
    t.same(show(parse(Buffer.alloc(0))), [], 'an empty chunk changes nothing');
    t.same(show(parse(frame.subarray(12))), [{ type: frames[0].type, payload: Buffer.from('0123456789').toString('hex') }]);
  });

  t.test(`${name}: keeps the frames of separate parsers apart`, async (t) => {
    const a = create();
    const b = create();
    const frame = encode(frames[0].type, frames[0].payload);
    t.same(show(a(frame.subarray(0, 3))), []);
    t.same(show(b(frame)), show([frames[0]]));
    t.same(show(a(frame.subarray(3))), show([frames[0]]));
  });
}

t.test('Docker stream parser reads the stream type from byte 0 and the size from bytes 4-7', async (t) => {
  const parse = createDockerStreamParser();
  const bytes = Buffer.from([2, 0, 0, 0, 0, 0, 0, 3, 0x61, 0x62, 0x63]);
  t.same(show(parse(bytes)), [{ type: 2, payload: '616263' }]);
});

t.test('Docker stream parser refuses a frame that declares more than Docker ever writes at once', async (t) => {
  const parse = createDockerStreamParser();
  const head = Buffer.alloc(8);
  head[0] = 1;
  head.writeUInt32BE(MAX_DOCKER_FRAME_BYTES + 1, 4);
  t.throws(() => parse(head), FrameTooLargeError);
});
