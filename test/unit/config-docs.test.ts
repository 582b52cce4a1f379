// The configuration tables in the docs are the settings table of src/config/config.ts.
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { describeSettings } from '../../src/config/config.js';
import { CONFIG_DOC_FILES, extractConfigTable, renderConfigTable } from '../../scripts/config-docs.js';

for (const file of CONFIG_DOC_FILES) {
  t.test(
    `${file} lists every setting with its default, as config.ts has it (run \`npm run docs:config\` after changing a setting)`,
    async (t) => {
      const markdown = await readFile(new URL(`../../${file}`, import.meta.url), 'utf8');
      const table = extractConfigTable(markdown);
      t.ok(table, `${file} has the config:start / config:end markers`);
      t.equal(table, renderConfigTable(), `${file}'s configuration table is out of date: run \`npm run docs:config\``);
    },
  );
}

t.test('the table has one row per setting, each with a default', async (t) => {
  const settings = describeSettings();
  const rows = renderConfigTable().split('\n').slice(2);
  t.equal(rows.length, settings.length);
  for (const [i, { env }] of settings.entries()) t.match(rows[i], new RegExp(`^\\| \`${env}\` \\| \\S`), env);
});
