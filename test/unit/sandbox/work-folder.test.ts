import { existsSync } from 'node:fs';
import t from 'tap';
import { S_IFREG, SPILL_THRESHOLD_BYTES, WorkFolder } from '../../../src/sandbox/work-folder.js';

t.test("a client's files are regular files with their content as one piece", async (t) => {
  const folder = WorkFolder.fromFiles([
    { name: 'main.py', content: Buffer.from('print(1)') },
    { name: 'run', content: Buffer.alloc(0), executable: true },
  ]);
  t.same(
    folder.entries.map((e) => [e.path, e.mode, e.size, e.pieces.length]),
    [
      ['main.py', S_IFREG | 0o644, 8, 1],
      ['run', S_IFREG | 0o755, 0, 0],
    ],
  );
  t.equal(folder.read(folder.entries[0].pieces[0]).toString(), 'print(1)');
  t.equal(folder.dataBytes, 8);
});

t.test('a folder past the threshold keeps its data on disk, reads it back, and removes it when disposed', async (t) => {
  const folder = new WorkFolder();
  folder.addEntry('sparse', S_IFREG | 0o644, 100 * SPILL_THRESHOLD_BYTES);
  const piece = Buffer.alloc(SPILL_THRESHOLD_BYTES / 2, 'a');
  for (let i = 0; i < 3; i++) folder.addData(i * SPILL_THRESHOLD_BYTES * 10, piece);
  t.equal(folder.spilled, true);
  t.equal(folder.dataBytes, 1.5 * SPILL_THRESHOLD_BYTES, 'holes are not data');
  const last = folder.entries[0].pieces[2];
  t.equal(last.offset, 20 * SPILL_THRESHOLD_BYTES);
  t.same(folder.read(last), piece);
  const dir = (folder as unknown as { spill: { dir: string } }).spill.dir;
  t.ok(existsSync(dir));
  folder.dispose();
  t.notOk(existsSync(dir), 'the spill file is gone');
  t.same(folder.entries, []);
});
