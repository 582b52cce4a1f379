// The output comparer: small texts inline, large ones in a worker thread started on first
// use and reused; the thread's script is found both as TypeScript (here, under tsx) and as
// the compiled JavaScript of dist/.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import ts from 'typescript';
import { compareThreadStart, compareThreadUrl, createOutputComparer } from '../../../src/worker/output-comparer.js';

const KiB = 1024;
const big = ' '.repeat(100 * KiB) + 'x';

t.test('texts below the threshold are compared inline, without a thread', async (t) => {
  const comparer = createOutputComparer({ thresholdBytes: 64 * KiB });
  t.teardown(() => comparer.close());
  t.equal(await comparer.compare('1 2\n', '1 2', 'trim', 1e-6), true);
  t.equal(await comparer.compare('1 2\n', '1 3', 'trim', 1e-6), false);
  t.equal(await comparer.compare('0.31', '0.3', 'float', 0.05), true, 'the tolerance is passed on');
  t.equal(comparer.threads, 0);
});

t.test('texts above the threshold are compared in one thread, started on first use and reused', async (t) => {
  const comparer = createOutputComparer({ thresholdBytes: 64 * KiB });
  t.teardown(() => comparer.close());
  t.equal(comparer.threads, 0, 'no thread before the first large comparison');
  for (const mode of ['exact', 'trim', 'tokens', 'float'] as const) {
    t.equal(await comparer.compare(big, big, mode, 1e-6), true, `${mode}: equal`);
    t.equal(await comparer.compare(big, big + 'y', mode, 1e-6), false, `${mode}: different`);
  }
  t.equal(await comparer.compare(big + ' 0.31', big + ' 0.3', 'float', 0.05), true, 'the tolerance is passed on');
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) => comparer.compare(big, i % 2 ? big : 'x', 'tokens', 1e-6)));
  t.same(results, [true, true, true, true, true, true, true, true], 'concurrent comparisons each get their own answer');
  t.equal(comparer.threads, 1, 'one thread, reused');
});

t.test('a large comparison leaves the event loop free while it runs', async (t) => {
  const comparer = createOutputComparer({ thresholdBytes: 64 * KiB });
  t.teardown(() => comparer.close());
  let turned = false;
  setImmediate(() => (turned = true));
  t.equal(await comparer.compare(big, big, 'trim', 1e-6), true);
  t.equal(turned, true, 'the event loop turned before the answer came');
});

t.test('close() ends the threads; a large comparison after it is refused', async (t) => {
  const comparer = createOutputComparer({ thresholdBytes: 64 * KiB });
  await comparer.compare(big, big, 'exact', 1e-6);
  t.equal(comparer.threads, 1);
  await comparer.close();
  t.equal(comparer.threads, 0);
  await t.rejects(comparer.compare(big, big, 'exact', 1e-6), /closed/);
  t.equal(await comparer.compare('a', 'a', 'exact', 1e-6), true, 'small texts are still compared inline');
});

t.test('the thread script sits beside the module: .ts under tsx, .js when compiled', async (t) => {
  t.equal(compareThreadUrl('file:///app/src/worker/output-comparer.ts').href, 'file:///app/src/worker/compare-thread.ts');
  t.equal(compareThreadUrl('file:///app/dist/worker/output-comparer.js').href, 'file:///app/dist/worker/compare-thread.js');
});

t.test(
  'started from TypeScript, the thread registers tsx itself; compiled, it is the .js file with the flags but --input-type',
  async (t) => {
    const ts = compareThreadStart('file:///app/src/worker/output-comparer.ts', []);
    t.equal(ts.options.eval, true);
    t.match(String(ts.script), /register\(\).*file:\/\/\/app\/src\/worker\/compare-thread\.ts/);
    const js = compareThreadStart('file:///app/dist/worker/output-comparer.js', ['--input-type=module', '--max-old-space-size=64']);
    t.equal(String(js.script), 'file:///app/dist/worker/compare-thread.js');
    t.same(js.options, { execArgv: ['--max-old-space-size=64'] });
  },
);

t.test('compiled to JavaScript, as in dist/, the comparer runs its thread in plain node', async (t) => {
  const src = join(dirname(fileURLToPath(import.meta.url)), '../../../src');
  const out = mkdtempSync(join(tmpdir(), 'runbox-comparer-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  writeFileSync(join(out, 'package.json'), '{"type":"module"}');
  for (const file of ['worker/output-comparer.ts', 'worker/compare-thread.ts', 'domain/compare.ts']) {
    const { outputText } = ts.transpileModule(readFileSync(join(src, file), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
    });
    mkdirSync(join(out, dirname(file)), { recursive: true });
    writeFileSync(join(out, file.replace(/\.ts$/, '.js')), outputText);
  }
  const script = `
    import { createOutputComparer } from ${JSON.stringify(join(out, 'worker/output-comparer.js'))};
    const comparer = createOutputComparer({ thresholdBytes: 1024 });
    const big = ' '.repeat(4096) + 'x';
    const results = [await comparer.compare(big, 'x', 'tokens', 1e-6), await comparer.compare(big, 'y', 'tokens', 1e-6), comparer.threads];
    await comparer.close();
    console.log(JSON.stringify(results));`;
  writeFileSync(join(out, 'main.js'), script);
  const { NODE_OPTIONS: _, ...env } = process.env;
  const child = spawnSync(process.execPath, [join(out, 'main.js')], { env, encoding: 'utf8', timeout: 30_000 });
  t.equal(child.stderr, '', 'no error');
  t.equal(child.stdout.trim(), '[true,false,1]', 'compared in a thread of the compiled script');
});
