// Builds the playground into dist/playground (npm run build runs it after tsc): the page,
// one bundled script with CodeMirror (xterm.js in a chunk loaded only for the terminal tab),
// and one stylesheet. No CDN: everything the page loads is served by the API.
// The starter program of each language is the language suite's hello program
// (test/fixtures/languages/<language>/hello.*), so each one is known to run.
import { copyFile, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'dist/playground');
const languages = join(root, 'test/fixtures/languages');

/** `virtual:samples`: language -> its hello program. */
const samples: Plugin = {
  name: 'samples',
  setup(builder) {
    builder.onResolve({ filter: /^virtual:samples$/ }, () => ({ path: 'samples', namespace: 'samples' }));
    builder.onLoad({ filter: /.*/, namespace: 'samples' }, async () => {
      const table: Record<string, string> = {};
      for (const language of await readdir(languages)) {
        const hello = (await readdir(join(languages, language))).find((name) => name.startsWith('hello.'));
        if (hello) table[language] = await readFile(join(languages, language, hello), 'utf8');
      }
      return { contents: JSON.stringify(table), loader: 'json', watchFiles: [languages] };
    });
  },
};

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { playground: 'web/playground/main.ts', 'playground-style': 'web/playground/style.css' },
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  chunkNames: 'chunk-[hash]',
  plugins: [samples],
  logLevel: 'warning',
  metafile: true,
});
// One stylesheet, named as the page links it.
await rename(join(out, 'playground-style.css'), join(out, 'playground.css'));
await rm(join(out, 'playground-style.js'), { force: true });
await copyFile(join(root, 'web/playground/index.html'), join(out, 'index.html'));
const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
console.log(`playground built into dist/playground (${Math.round(bytes / 1024)} KiB)`);
