import t from 'tap';
import { BUNDLE_HEAD_BYTES, decodeIndex, encodeBundle, indexLengthOf, sha256Hex } from '../../../src/lib/problem-bundle.js';

t.test('a bundle holds its files at the offsets its index gives, and is named by its hash', async (t) => {
  const { blob, hash } = encodeBundle([
    { path: 'tests/1.in', data: Buffer.from('1 2') },
    { path: 'tests/1.ans', data: Buffer.from('3') },
  ]);
  t.equal(hash, sha256Hex(blob));
  const index = blob.subarray(BUNDLE_HEAD_BYTES, BUNDLE_HEAD_BYTES + indexLengthOf(blob));
  const entries = decodeIndex(index, blob.length);
  t.same(
    entries.map((e) => [e.path, blob.subarray(e.offset, e.offset + e.length).toString()]),
    [
      ['tests/1.in', '1 2'],
      ['tests/1.ans', '3'],
    ],
  );
  t.throws(() => decodeIndex(index, blob.length + 1), /does not match its size/);
  t.throws(() => indexLengthOf(Buffer.from('something else entirely')), /not a problem bundle/);
});
