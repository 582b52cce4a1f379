// The build context archive, read back by the system's tar (GNU tar on Debian).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { tarArchive } from '../../../src/sandbox/tar-archive.js';

t.test('tar lists and extracts every file with its bytes, long names included', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'runbox-tar-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const long = `${'deep/'.repeat(30)}module.py`;
  const files = [
    { name: 'Dockerfile', content: Buffer.from('FROM x\n') },
    { name: 'lib/helper.py', content: Buffer.from('def f(): return 42\n') },
    { name: long, content: Buffer.from(Array.from({ length: 1500 }, (_, i) => i % 256)) },
    { name: 'empty', content: Buffer.alloc(0) },
  ];
  const archive = join(dir, 'context.tar');
  writeFileSync(archive, tarArchive(files));
  t.same(
    execFileSync('tar', ['-tf', archive], { encoding: 'utf8' }).trim().split('\n'),
    files.map((f) => f.name),
  );
  execFileSync('tar', ['-xf', archive, '-C', dir]);
  for (const file of files) t.same(readFileSync(join(dir, file.name)), file.content, file.name.slice(0, 30));
});
