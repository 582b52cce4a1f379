// The bounded zip reader: honest archives come back whole; every hostile shape is a ZipError
// before memory or time grows with it.
import t from 'tap';
import { readZip, ZipError, type ZipLimits } from '../../../src/lib/zip-reader.js';
import { makeZip } from '../../helpers/zip.js';

const limits: ZipLimits = { maxEntries: 10, maxTotalBytes: 1024 * 1024, maxRatio: 200, maxMs: 2000 };

t.test('reads deflated and stored entries, in sub-folders, with UTF-8 names', async (t) => {
  const zip = makeZip([
    { name: 'main.py', content: 'print(1)\n' },
    { name: 'lib/ü.txt', content: 'stored', stored: true },
    { name: 'bin/blob', content: Buffer.from([0, 255, 1]) },
  ]);
  const files = await readZip(zip, limits);
  t.same(
    files.map((f) => [f.name, f.content.toString('hex')]),
    [
      ['main.py', Buffer.from('print(1)\n').toString('hex')],
      ['lib/ü.txt', Buffer.from('stored').toString('hex')],
      ['bin/blob', '00ff01'],
    ],
  );
});

t.test('refuses hostile archives with a ZipError that says why', async (t) => {
  const cases: [string, Buffer, Partial<ZipLimits>, RegExp][] = [
    ['not a zip', Buffer.from('hello'), {}, /not a zip/],
    ['too many entries', makeZip(Array.from({ length: 11 }, (_, i) => ({ name: `f${i}`, content: 'x' }))), {}, /11 entries, more than 10/],
    ['a symbolic link', makeZip([{ name: 'l', content: '/etc/passwd', symlink: true }]), {}, /symbolic link/],
    ['a declared size above the total', makeZip([{ name: 'big', content: 'x', lieSize: 2 * 1024 * 1024 }]), {}, /unpacks to more than/],
    ['a ratio above the bound', makeZip([{ name: 'zeros', content: Buffer.alloc(512 * 1024) }]), {}, /compressed more than 200 to 1/],
    [
      'an entry that inflates past its declared size',
      makeZip([{ name: 'liar', content: Buffer.alloc(100_000, 1), lieSize: 1000 }]),
      { maxRatio: 1e9 },
      /inflates past its declared size/,
    ],
    ['a stored entry whose sizes differ', makeZip([{ name: 's', content: 'abc', stored: true, lieSize: 2 }]), {}, /sizes differ/],
  ];
  for (const [what, zip, extra, message] of cases) {
    await t.rejects(readZip(zip, { ...limits, ...extra }), { name: 'ZipError', message }, what);
  }
});

t.test('a damaged entry fails its CRC or its inflate, never returns garbage', async (t) => {
  const zip = makeZip([{ name: 'a.txt', content: 'hello hello hello hello' }]);
  const data = 30 + 'a.txt'.length;
  zip[data + 2] ^= 0xff;
  await t.rejects(readZip(zip, limits), ZipError);
});

t.test('the time bound stops a long read', async (t) => {
  const zip = makeZip(Array.from({ length: 5 }, (_, i) => ({ name: `f${i}`, content: Buffer.alloc(100_000, i) })));
  await t.rejects(readZip(zip, { ...limits, maxRatio: 1e9, maxMs: -1 }), { message: /took more than -1 ms/ });
});
