import t from 'tap';
import { createUtf8Chunker, incompleteTail } from '../../../src/lib/utf8-chunks.js';

const strict = new TextDecoder('utf-8', { fatal: true });

/** Pushes `chunks` through a fresh chunker; returns what each push and the final flush gave. */
function run(chunks: Buffer[]): Buffer[] {
  const chunker = createUtf8Chunker();
  return [...chunks.map((c) => chunker.push(c)), chunker.flush()];
}

const samples: [name: string, text: string][] = [
  ['2-byte characters', 'é ü ß ñ'],
  ['3-byte characters', '€ 日本語 ₿'],
  ['4-byte characters', '𝄞 𐍈 𠜎'],
  ['emoji with a skin tone and a ZWJ sequence', 'a😀b👍🏽c👩‍👩‍👧d'],
  ['mixed ASCII and every width', 'x=é€😀\n'],
];

for (const [name, text] of samples) {
  const bytes = Buffer.from(text, 'utf8');

  t.test(`never ends a frame inside a character: ${name} cut at every offset`, async (t) => {
    for (let cut = 0; cut <= bytes.length; cut++) {
      const out = run([bytes.subarray(0, cut), bytes.subarray(cut)]);
      for (const [i, frame] of out.entries()) {
        try {
          strict.decode(frame);
        } catch {
          t.fail(`cut at ${cut}: frame ${i} (${frame.toString('hex')}) is not whole UTF-8`);
          return;
        }
      }
      if (!Buffer.concat(out).equals(bytes)) {
        t.same(Buffer.concat(out).toString('hex'), bytes.toString('hex'), `cut at ${cut}: bytes lost or reordered`);
        return;
      }
    }
    t.pass(`all ${bytes.length + 1} cuts give whole characters`);
  });

  t.test(`never ends a frame inside a character: ${name} one byte at a time`, async (t) => {
    const out = run([...bytes].map((b) => Buffer.from([b])));
    t.same(out.map((f) => strict.decode(f)).join(''), text);
    t.equal(out.at(-1)!.length, 0, 'nothing is left for flush');
  });
}

t.test('gives a complete character at once, holding nothing back', async (t) => {
  const chunker = createUtf8Chunker();
  t.equal(chunker.push(Buffer.from('a€')).toString(), 'a€');
  t.equal(chunker.flush().length, 0);
});

t.test('holds the start of a character until the rest arrives', async (t) => {
  const euro = Buffer.from('€'); // e2 82 ac
  const chunker = createUtf8Chunker();
  t.equal(chunker.push(Buffer.concat([Buffer.from('ab'), euro.subarray(0, 2)])).toString(), 'ab');
  t.equal(chunker.push(euro.subarray(2, 3)).toString(), '€');
});

t.test('passes bytes that are not UTF-8 through unchanged and at once', async (t) => {
  for (const bytes of [[0xff], [0x41, 0xfe], [0x80], [0x41, 0x80, 0x80, 0x80, 0x80], [0xc0], [0xc1], [0xf5], [0xf8], [0x00, 0xff, 0x00]]) {
    const input = Buffer.from(bytes);
    const chunker = createUtf8Chunker();
    t.equal(chunker.push(input).toString('hex'), input.toString('hex'), input.toString('hex'));
    t.equal(chunker.flush().length, 0, `${input.toString('hex')}: nothing held`);
  }
});

t.test('lets a started character that never completes through with what follows', async (t) => {
  const chunker = createUtf8Chunker();
  t.equal(chunker.push(Buffer.from([0x61, 0xe2, 0x82])).toString('hex'), '61');
  t.equal(chunker.push(Buffer.from('b')).toString('hex'), 'e28262');
});

t.test('flush returns the held tail once, then nothing', async (t) => {
  const chunker = createUtf8Chunker();
  t.equal(chunker.push(Buffer.from([0x68, 0x69, 0xf0, 0x9f, 0x98])).toString('hex'), '6869');
  t.equal(chunker.flush().toString('hex'), 'f09f98');
  t.equal(chunker.flush().length, 0);
  t.equal(chunker.push(Buffer.from('ok')).toString(), 'ok', 'a flushed tail is not prepended again');
});

t.test('gives an empty chunk for an empty push', async (t) => {
  const chunker = createUtf8Chunker();
  t.equal(chunker.push(Buffer.alloc(0)).length, 0);
  t.equal(chunker.flush().length, 0);
});

t.test('does not change a chunk it returns when more is pushed', async (t) => {
  const chunker = createUtf8Chunker();
  const first = chunker.push(Buffer.from([0x61, 0x62, 0xe2]));
  chunker.push(Buffer.from([0x82, 0xac, 0x63]));
  t.equal(first.toString('hex'), '6162');
});

const tails: [bytes: number[], tail: number][] = [
  [[], 0],
  [[0x41], 0],
  [[0xc3], 1],
  [[0xc3, 0xa9], 0],
  [[0xe2], 1],
  [[0xe2, 0x82], 2],
  [[0xe2, 0x82, 0xac], 0],
  [[0xf0], 1],
  [[0xf0, 0x9f], 2],
  [[0xf0, 0x9f, 0x98], 3],
  [[0xf0, 0x9f, 0x98, 0x80], 0],
  [[0x80, 0x80, 0x80], 0],
  [[0xff], 0],
  [[0xf8, 0x80], 0],
];
for (const [bytes, tail] of tails) {
  t.test(`incompleteTail of [${bytes.map((b) => b.toString(16)).join(' ')}] is ${tail}`, async (t) => {
    t.equal(incompleteTail(Buffer.from(bytes)), tail);
  });
}
