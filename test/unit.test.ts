// Every unit test file (test/unit/**/*.test.ts) in one process: the files need no services,
// and starting Node, tsx and the app's modules once instead of once per file is most of
// the suite's time. A file also runs alone: `npx tap test/unit/api/auth.test.ts`. Files
// must therefore leave no global state behind (a test that sets process.env puts it back;
// none registers hooks on the root test).
import { readdir } from 'node:fs/promises';
import t from 'tap';

const folder = new URL('./unit/', import.meta.url);

// The files are imported inside a test, so that the root test is still open while their
// top-level t.test calls queue their tests behind it.
t.test('the unit test files load', async (t) => {
  const files = (await readdir(folder, { recursive: true })).filter((name) => name.endsWith('.test.ts')).sort();
  t.ok(files.length > 0, `${files.length} files under test/unit`);
  for (const name of files) await import(new URL(name, folder).href);
});
