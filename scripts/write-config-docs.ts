// Rewrites the configuration table in README.md and docs/configuration.md from the settings
// table in src/config/config.ts: `npm run docs:config`. test/unit/config-docs.test.ts fails
// when a file is out of date.
import { readFile, writeFile } from 'node:fs/promises';
import { CONFIG_DOC_FILES, renderConfigTable, replaceConfigTable } from './config-docs.js';

const table = renderConfigTable();
for (const file of CONFIG_DOC_FILES) {
  const target = new URL(`../${file}`, import.meta.url);
  const before = await readFile(target, 'utf8');
  const after = replaceConfigTable(before, table);
  if (after !== before) await writeFile(target, after);
  console.log(`${after === before ? 'up to date' : 'updated'}: ${file}`);
}
