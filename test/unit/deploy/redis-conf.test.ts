// deploy/redis.conf keeps every write (append-only, fsync every second) and bounds Redis's
// memory without evicting (BullMQ needs noeviction); the default output budget leaves room
// below that bound.
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { loadConfig } from '../../../src/config/config.js';

const units: Record<string, number> = { '': 1, b: 1, k: 1000, kb: 1024, m: 1000 ** 2, mb: 1024 ** 2, g: 1000 ** 3, gb: 1024 ** 3 };

async function directives(): Promise<Map<string, string>> {
  const text = await readFile(new URL('../../../deploy/redis.conf', import.meta.url), 'utf8');
  return new Map(
    text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => {
        const [name, ...value] = line.split(/\s+/);
        return [name.toLowerCase(), value.join(' ')] as const;
      }),
  );
}

t.test('append-only, fsync every second', async (t) => {
  const conf = await directives();
  t.equal(conf.get('appendonly'), 'yes');
  t.equal(conf.get('appendfsync'), 'everysec');
});

t.test('maxmemory is set, with noeviction: at the bound writes fail, nothing is evicted', async (t) => {
  const conf = await directives();
  t.equal(conf.get('maxmemory-policy'), 'noeviction');
  const [, amount, unit] = /^(\d+)([a-z]*)$/i.exec(conf.get('maxmemory') ?? '') ?? [];
  const bytes = Number(amount) * (units[(unit ?? '').toLowerCase()] ?? NaN);
  t.ok(bytes >= 256 * 1024 ** 2, `maxmemory is ${conf.get('maxmemory')}`);
  const { outputBudgetBytes } = loadConfig({});
  t.ok(
    outputBudgetBytes <= bytes * 0.8,
    `the default OUTPUT_BUDGET_BYTES (${outputBudgetBytes}) is at most 80% of it, so the budget refuses before Redis does`,
  );
});
