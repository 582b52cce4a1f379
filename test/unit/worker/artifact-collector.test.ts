// The artifact collector over a stand-in session: which entries of a work folder are kept,
// which are listed as omitted and why, and the run's limits across tests.
import t from 'tap';
import { S_IFDIR, S_IFLNK, S_IFREG, WorkFolder } from '../../../src/sandbox/work-folder.js';
import type { CollectFilter } from '../../../src/sandbox/runner-channel.js';
import { createArtifactCollector } from '../../../src/worker/artifact-collector.js';
import type { SessionPort } from '../../../src/worker/sandbox-port.js';

type Entry = { path: string; mode: number; data?: string };

/** A session whose work folder holds `entries`; its collect offers each to the filter as runbox-run's would. */
function session(entries: Entry[], usable = true): SessionPort {
  return {
    usable,
    async collect(_budget: number, keep?: CollectFilter) {
      const folder = new WorkFolder();
      for (const e of entries) {
        const size = e.data?.length ?? 0;
        if (keep && !keep({ path: e.path, mode: e.mode, size })) continue;
        folder.addEntry(e.path, e.mode, size);
        if (e.data) folder.addData(0, Buffer.from(e.data));
      }
      return { folder, collected: { exceeded: false, bytes: 0, files: entries.length } };
    },
  } as unknown as SessionPort;
}

function setup(limits = { maxFiles: 10, maxBytes: 1000 }) {
  const written: { path: string; test?: number; data: string }[] = [];
  const collector = createArtifactCollector({
    runId: 'run-1',
    limits,
    folderBytes: 64 << 20,
    store: { write: async (_id, files) => void written.push(...files.map((f) => ({ ...f, data: f.data.toString() }))) },
  });
  return { collector, written };
}

const folder: Entry[] = [
  { path: 'main.py', mode: S_IFREG | 0o644, data: 'print(1)' },
  { path: 'out', mode: S_IFDIR | 0o755 },
  { path: 'out/a.txt', mode: S_IFREG | 0o644, data: 'alpha' },
  { path: 'out/b.txt', mode: S_IFREG | 0o644, data: 'beta' },
  { path: 'out/passwd.txt', mode: S_IFLNK | 0o777, data: '/etc/passwd' },
];

t.test('keeps the matching regular files; a matching link is listed as omitted, never read', async (t) => {
  const { collector, written } = setup();
  await collector.collect(session(folder), ['out/*.txt']);
  t.same(
    written.map((f) => [f.path, f.data]),
    [
      ['out/a.txt', 'alpha'],
      ['out/b.txt', 'beta'],
    ],
  );
  t.same(collector.listing(), {
    files: [
      { path: 'out/a.txt', size: 5, contentType: 'text/plain; charset=utf-8' },
      { path: 'out/b.txt', size: 4, contentType: 'text/plain; charset=utf-8' },
    ],
    omitted: [{ path: 'out/passwd.txt', reason: 'not_a_regular_file' }],
  });
});

t.test('a folder matched by a glob is not an artifact, its files are when they match', async (t) => {
  const { collector } = setup();
  await collector.collect(session(folder), ['out']);
  t.same(collector.listing(), { files: [], omitted: [] });
});

t.test('the count and byte limits hold for the whole run, tests together', async (t) => {
  const { collector, written } = setup({ maxFiles: 2, maxBytes: 9 });
  await collector.collect(session(folder), ['**/*.txt'], 0);
  await collector.collect(session(folder), ['**/*.txt'], 1);
  t.same(
    written.map((f) => [f.test, f.path]),
    [
      [0, 'out/a.txt'],
      [0, 'out/b.txt'],
    ],
  );
  t.same(
    collector.listing().omitted.map((o) => [o.test, o.path, o.reason]),
    [
      [0, 'out/passwd.txt', 'not_a_regular_file'],
      [1, 'out/a.txt', 'count_limit'],
      [1, 'out/b.txt', 'count_limit'],
      [1, 'out/passwd.txt', 'not_a_regular_file'],
    ],
  );
  const bytes = setup({ maxFiles: 10, maxBytes: 6 });
  await bytes.collector.collect(session(folder), ['out/*.txt']);
  t.same(
    bytes.collector.listing().omitted.map((o) => [o.path, o.reason]),
    [
      ['out/b.txt', 'size_limit'],
      ['out/passwd.txt', 'not_a_regular_file'],
    ],
  );
});

t.test('a sandbox that ended with the program is said, not thrown', async (t) => {
  const { collector, written } = setup();
  await collector.collect(session(folder, false), ['*']);
  t.same(written, []);
  t.match(collector.listing().error, /could not be read back/);
});
