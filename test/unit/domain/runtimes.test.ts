// The runtime catalogue as data: names clients can rely on, an image and fixtures for every
// entry, limits a default server accepts, and the argv templates expanded as the worker does.
import { existsSync } from 'node:fs';
import t from 'tap';
import { limitsFromConfig, loadConfig } from '../../../src/config/config.js';
import { limitNames } from '../../../src/domain/limits.js';
import { expandCommand, findRuntime, runtimeCatalogue } from '../../../src/domain/runtimes.js';

const root = new URL('../../../', import.meta.url);

t.test('has at least 16 languages, each id a lowercase image name', async (t) => {
  t.ok(runtimeCatalogue.length >= 16, `${runtimeCatalogue.length} languages`);
  for (const runtime of runtimeCatalogue) t.match(runtime.language, /^[a-z][a-z0-9]*$/, runtime.language);
});

t.test('no id or alias names two runtimes, and aliases are lowercase', async (t) => {
  const seen = new Map<string, string>();
  for (const runtime of runtimeCatalogue) {
    for (const name of [runtime.language, ...runtime.aliases]) {
      t.equal(name, name.toLowerCase(), `${name} is lowercase (lookups lowercase the request)`);
      t.notOk(seen.has(name), `${name} (${runtime.language}) is not also ${seen.get(name)}`);
      seen.set(name, runtime.language);
    }
  }
});

t.test('finds a runtime by id or alias in any case', async (t) => {
  t.equal(findRuntime(runtimeCatalogue, 'TypeScript')?.language, 'typescript');
  t.equal(findRuntime(runtimeCatalogue, 'C#')?.language, 'csharp');
  t.equal(findRuntime(runtimeCatalogue, 'golang')?.language, 'go');
  t.equal(findRuntime(runtimeCatalogue, 'cobol'), undefined);
});

t.test('every entry: file name with its extension, templates that name the files', async (t) => {
  for (const runtime of runtimeCatalogue) {
    t.ok(
      runtime.fileName.endsWith(runtime.sourceExtension),
      `${runtime.language}: ${runtime.fileName} ends with ${runtime.sourceExtension}`,
    );
    if (runtime.compile) {
      t.ok(
        runtime.compile.some((part) => part.includes('{entry}') || part === '{sources}'),
        `${runtime.language} compiles {entry} or {sources}`,
      );
    }
    if (!runtime.compile)
      t.ok(
        runtime.run.some((part) => part.includes('{entry}')),
        `${runtime.language} runs {entry}`,
      );
  }
});

t.test('every entry has its Dockerfile and its fixtures', async (t) => {
  for (const runtime of runtimeCatalogue) {
    t.ok(existsSync(new URL(`deploy/runtimes/${runtime.language}/Dockerfile`, root)), `${runtime.language} Dockerfile`);
    const names = ['hello', 'runtime-error', 'sum', ...(runtime.compile ? ['compile-error'] : [])];
    for (const name of names) {
      const path = `test/fixtures/languages/${runtime.language}/${name}${runtime.sourceExtension}`;
      t.ok(existsSync(new URL(path, root)), path);
    }
  }
});

t.test("per-runtime limits are within a default server's maxima", async (t) => {
  const { maxima } = limitsFromConfig(loadConfig({}));
  for (const runtime of runtimeCatalogue) {
    for (const name of limitNames) {
      const value = runtime.limits?.[name];
      if (value !== undefined) t.ok(value <= maxima[name], `${runtime.language} limits.${name} ${value} <= ${maxima[name]}`);
    }
  }
});

t.test('expands the entry inside a shell wrapper and the sources as separate arguments', async (t) => {
  const typescript = findRuntime(runtimeCatalogue, 'typescript')!;
  t.same(expandCommand(typescript.run, 'src/app.ts', []).slice(-1), ['src/app.ts']);
  t.same(expandCommand(typescript.compile!, 'main.ts', ['main.ts', 'lib.ts']).slice(-2), ['main.ts', 'lib.ts']);
  const java = findRuntime(runtimeCatalogue, 'java')!;
  t.equal(java.fileName, 'Main.java', 'the class is Main');
});
