// The archive readers behind PUT /problems/{id}: zip, tar and tar.gz read into their files,
// and every limit (entries, sizes, expansion, time) and refusal (links, .., lies) held.
import t from 'tap';
import { readArchive } from '../../../src/lib/archive-reader.js';
import type { ArchiveLimits } from '../../../src/lib/archive-budget.js';
import { tar, tarGz, zip } from '../../helpers/archives.js';

const limits: ArchiveLimits = { maxEntries: 100, maxFileBytes: 1 << 20, maxTotalBytes: 2 << 20, maxRatio: 100, timeMs: 10_000 };
const read = (archive: Buffer, over: Partial<ArchiveLimits> = {}) => readArchive(archive, { ...limits, ...over });
const files = async (archive: Buffer) => (await read(archive)).map((f) => [f.path, f.data.toString()]);

t.test('reads the files of a zip (stored and deflated), a tar and a tar.gz; folders are skipped', async (t) => {
  const expected = [
    ['tests/1.in', '1 2\n'],
    ['tests/1.ans', '3\n'],
  ];
  t.same(
    await files(
      zip([
        { path: 'tests/', data: '' },
        { path: 'tests/1.in', data: '1 2\n', store: true },
        { path: 'tests/1.ans', data: '3\n' },
      ]),
    ),
    expected,
  );
  const entries = [
    { path: 'tests/', type: '5' },
    { path: './tests/1.in', data: '1 2\n' },
    { path: 'tests/1.ans', data: '3\n' },
  ];
  t.same(await files(tar(entries)), expected, 'a leading ./ is dropped');
  t.same(await files(tarGz(entries)), expected);
});

t.test('links, special files and paths that climb out are refused', async (t) => {
  await t.rejects(read(tar([{ path: 'tests/1.in', type: '2', linkTo: '/etc/passwd' }])), {
    name: 'ArchiveError',
    message: /symbolic link/,
  });
  await t.rejects(read(tar([{ path: 'tests/1.in', type: '1', linkTo: 'checker/x' }])), { message: /hard link/ });
  await t.rejects(read(tar([{ path: 'dev', type: '3' }])), { message: /tar type "3"/ });
  await t.rejects(read(zip([{ path: 'tests/1.in', data: '/etc/passwd', mode: 0o120777 }])), { message: /symbolic link/ });
  await t.rejects(read(tar([{ path: '../outside', data: 'x' }])), { message: /a path with \.\./ });
  await t.rejects(read(zip([{ path: 'tests/../../x', data: 'x' }])), { message: /a path with \.\./ });
  await t.rejects(read(zip([{ path: '/etc/cron.d/x', data: 'x' }])), { message: /an absolute path/ });
  await t.rejects(read(zip([{ path: 'a\\..\\b', data: 'x' }])), { message: /backslash/ });
  await t.rejects(
    read(
      zip([
        { path: 'x', data: '1' },
        { path: 'x', data: '2' },
      ]),
    ),
    { message: /twice/ },
  );
});

t.test('too many entries, a file or a total too large: refused as too large before they are read', async (t) => {
  const many = Array.from({ length: 101 }, (_, i) => ({ path: `f${i}`, data: 'x' }));
  await t.rejects(read(zip(many)), { message: /more than 100 entries/, tooLarge: true });
  await t.rejects(read(tar(many)), { message: /more than 100 entries/, tooLarge: true });
  const big = 'x'.repeat((1 << 20) + 1);
  await t.rejects(read(zip([{ path: 'big', data: big, store: true }])), { message: /big is 1048577 bytes/, tooLarge: true });
  await t.rejects(read(tar([{ path: 'big', data: big }])), { message: /above the maximum/, tooLarge: true });
  const third = 'x'.repeat(800 * 1024);
  await t.rejects(read(tar([1, 2, 3].map((i) => ({ path: `f${i}`, data: third })))), {
    message: /add up to more than 2097152/,
    tooLarge: true,
  });
});

t.test('an archive that expands past its ratio is refused (a zip bomb), unless it stays under 1 MiB', async (t) => {
  const zeros = Buffer.alloc(900 * 1024);
  t.equal((await read(zip([{ path: 'small', data: zeros }]))).length, 1, 'under 1 MiB expanded: taken');
  const bomb = zip([{ path: 'bomb', data: Buffer.alloc(2 << 20) }]);
  t.ok(bomb.length < 4096, `the bomb is ${bomb.length} bytes`);
  await t.rejects(read(bomb, { maxFileBytes: 4 << 20, maxTotalBytes: 4 << 20 }), { message: /times its size/, tooLarge: true });
  await t.rejects(read(tarGz([{ path: 'bomb', data: Buffer.alloc(2 << 20) }]), { maxFileBytes: 4 << 20, maxTotalBytes: 4 << 20 }), {
    message: /times its size/,
  });
  await t.rejects(read(tarGz([{ path: 'bomb', data: Buffer.alloc(3 << 20) }])), { name: 'ArchiveError', tooLarge: true });
});

t.test('sizes that lie are refused: a zip entry that inflates past what it declares, a tar cut short', async (t) => {
  await t.rejects(read(zip([{ path: 'liar', data: 'x'.repeat(5000), declaredSize: 10 }])), {
    message: /inflates to more than the 10 bytes/,
  });
  await t.rejects(read(zip([{ path: 'short', data: 'x'.repeat(50), declaredSize: 100 }])), { message: /holds 50 bytes, not the 100/ });
  const cut = tar([{ path: 'f', data: 'x'.repeat(2000) }]).subarray(0, 1024);
  await t.rejects(read(cut), { message: /ends inside a file/ });
  await t.rejects(read(Buffer.from('not an archive at all, just text'.repeat(40))), { message: /not a zip, tar or tar.gz/ });
});

t.test('reading stops when it takes longer than its time', async (t) => {
  await t.rejects(
    read(
      tar([
        { path: 'a', data: 'x' },
        { path: 'b', data: 'y' },
      ]),
      { timeMs: -1 },
    ),
    { message: /took longer than/ },
  );
});
