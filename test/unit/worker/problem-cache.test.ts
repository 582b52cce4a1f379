// A worker's problem cache on a real (temporary) folder, over a stand-in store: one fetch per
// bundle however many runs ask at once, a bundle kept only when its hash matches its name,
// the least recently used removed past the cache's size.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import t, { type Test } from 'tap';
import { encodeBundle } from '../../../src/lib/problem-bundle.js';
import { createProblemCache, ProblemGoneError } from '../../../src/worker/problem-cache.js';
import { removeDir } from '../../helpers/service.js';

const bundle = (text: string) =>
  encodeBundle([
    { path: 'tests/1.in', data: Buffer.from(text) },
    { path: 'checker/c.py', data: Buffer.from('x') },
  ]);

function setup(t: Test, maxBytes = 1 << 20, stored = new Map<string, Buffer>()) {
  const dir = mkdtempSync(join(tmpdir(), 'runbox-cache-'));
  t.teardown(() => removeDir(dir));
  const reads: string[] = [];
  const cache = createProblemCache({
    dir,
    maxBytes,
    log: pino({ level: 'silent' }),
    async readBlob(hash, onChunk) {
      reads.push(hash);
      const blob = stored.get(hash);
      if (!blob) return false;
      for (let at = 0; at < blob.length; at += 7) await onChunk(blob.subarray(at, at + 7));
      return true;
    },
  });
  return { cache, reads, dir, stored };
}

t.test('runs asking at once share one fetch; later ones read the disk', async (t) => {
  const { blob, hash } = bundle('1 2');
  const { cache, reads } = setup(t, 1 << 20, new Map([[hash, blob]]));
  const opened = await Promise.all([cache.open(hash), cache.open(hash), cache.open(hash)]);
  t.same(reads, [hash]);
  t.equal((await opened[1].read('tests/1.in')).toString(), '1 2');
  t.same(opened[0].namesIn('checker'), ['c.py']);
  t.equal(opened[0].has('tests/2.in'), false);
  for (const b of opened) b.release();
  await cache.open(hash);
  t.same(reads, [hash], 'no second fetch');
});

t.test('a bundle that does not hash to its name, or is gone, is never kept', async (t) => {
  const { blob, hash } = bundle('1 2');
  const other = 'f'.repeat(64);
  const { cache, dir } = setup(t, 1 << 20, new Map([[other, blob]]));
  await t.rejects(cache.open(other), { name: 'ProblemGoneError', message: /changed while they were read/ });
  await t.rejects(cache.open(hash), ProblemGoneError);
  t.same(readdirSync(dir), [], 'nothing left on disk, not even a part');
  await t.rejects(cache.open('../../etc/passwd'), /not a bundle hash/);
});

t.test('past its size the least recently used bundles no run holds are removed', async (t) => {
  const a = bundle('a'.repeat(300));
  const b = bundle('b'.repeat(300));
  const c = bundle('c'.repeat(300));
  const { cache, reads, dir } = setup(t, 800, new Map([a, b, c].map((x) => [x.hash, x.blob])));
  const held = await cache.open(a.hash);
  (await cache.open(b.hash)).release();
  (await cache.open(c.hash)).release();
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.same(readdirSync(dir).sort(), [a.hash, c.hash].sort(), 'b went; a is held by a run, c is newest');
  held.release();
  await cache.open(b.hash);
  t.same(reads, [a.hash, b.hash, c.hash, b.hash]);
});
