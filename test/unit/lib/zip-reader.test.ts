// The bounded zip reader on its own (Judge0's additional_files reads a zip through it; problem
// archives through archive-reader.ts): UTF-8 names, every file counted once against the
// entries, and the hostile shapes the other tests do not make (a damaged entry, a declared
// size past the total, a stored entry whose sizes differ) refused before memory grows.
import t from 'tap';
import { createArchiveBudget, type ArchiveLimits } from '../../../src/lib/archive-budget.js';
import { readZip } from '../../../src/lib/zip-reader.js';
import { zip } from '../../helpers/archives.js';

const limits: ArchiveLimits = { maxEntries: 10, maxFileBytes: 1 << 20, maxTotalBytes: 1 << 20, maxRatio: 200, timeMs: 2000 };
const read = (archive: Buffer, over: Partial<ArchiveLimits> = {}) => {
  const all = { ...limits, ...over };
  return readZip(archive, createArchiveBudget(all, archive.length));
};

t.test('reads deflated and stored files, in folders, with UTF-8 names', async (t) => {
  const files = await read(
    zip([
      { path: 'main.py', data: 'print(1)\n' },
      { path: 'lib/ü.txt', data: 'stored', store: true },
      { path: 'bin/blob', data: Buffer.from([0, 255, 1]) },
    ]),
  );
  t.same(
    files.map((f) => [f.path, f.data.toString('hex')]),
    [
      ['main.py', Buffer.from('print(1)\n').toString('hex')],
      ['lib/ü.txt', Buffer.from('stored').toString('hex')],
      ['bin/blob', '00ff01'],
    ],
  );
});

t.test('each file counts once against maxEntries (as many files as entries allowed are read)', async (t) => {
  const ten = Array.from({ length: 10 }, (_, i) => ({ path: `f${i}`, data: 'x' }));
  t.equal((await read(zip(ten))).length, 10);
  await t.rejects(read(zip([...ten, { path: 'f10', data: 'x' }])), { message: /more than 10 entries/, tooLarge: true });
});

t.test('a declared size past the total is refused before anything is inflated', async (t) => {
  await t.rejects(read(zip([{ path: 'big', data: 'x', declaredSize: 2 << 20 }])), { message: /big is 2097152 bytes/, tooLarge: true });
});

t.test('a damaged entry fails its CRC or its inflate, never returns garbage', async (t) => {
  const stored = zip([{ path: 'a.txt', data: 'hello hello hello hello', store: true }]);
  stored[30 + 'a.txt'.length + 2] ^= 0xff;
  await t.rejects(read(stored), { name: 'ArchiveError', message: /fails its CRC-32 check/ });
  const deflated = zip([{ path: 'a.txt', data: 'hello hello hello hello' }]);
  deflated[30 + 'a.txt'.length] ^= 0xff;
  await t.rejects(read(deflated), { name: 'ArchiveError' });
});

t.test('a stored file whose sizes differ is refused', async (t) => {
  await t.rejects(read(zip([{ path: 's', data: 'abc', store: true, declaredSize: 2 }])), { message: /holds 3 bytes, not the 2/ });
});
