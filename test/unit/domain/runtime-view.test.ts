import t from 'tap';
import { builtinCondition, STATE_STALE_MS, takesRuns } from '../../../src/domain/runtime-status.js';
import { runtimeViews } from '../../../src/domain/runtime-view.js';
import { runtimeCatalogue } from '../../../src/domain/runtimes.js';

const now = 1_000_000_000;

t.test("a built-in runtime's condition: ready once a worker has its image, else what workers said, else unknown", async (t) => {
  t.same(
    builtinCondition('3.11.2', { status: 'failed', error: 'x', updatedAt: now }, now),
    { status: 'ready' },
    'one worker has it: ready',
  );
  t.same(builtinCondition(undefined, { status: 'building', progress: 'step 1/4', updatedAt: now - 1000 }, now), {
    status: 'building',
    progress: 'step 1/4',
  });
  t.same(builtinCondition(undefined, { status: 'building', updatedAt: now - STATE_STALE_MS - 1 }, now), { status: 'unknown' }, 'stale');
  t.same(
    builtinCondition(undefined, { status: 'failed', error: 'gone', updatedAt: 0 }, now),
    { status: 'failed', error: 'gone' },
    'failed stays',
  );
  t.same(builtinCondition(undefined, undefined, now), { status: 'unknown' });
  t.ok(takesRuns({ status: 'ready' }) && takesRuns({ status: 'unknown' }));
  t.notOk(takesRuns({ status: 'building' }) || takesRuns({ status: 'failed' }));
});

t.test('views: the catalogue in order, then custom runtimes whose base exists', async (t) => {
  const custom = (name: string, base: string) => ({
    name,
    base,
    fileName: 'main.py',
    sourceExtension: '.py',
    run: ['python3', '{entry}'],
    status: 'building' as const,
    progress: 'step 2/9',
    image: `runbox/custom-${name}:h`,
    hash: 'h',
    createdAt: 'then',
  });
  const views = runtimeViews(
    runtimeCatalogue,
    { versions: { python: '3.11.2' }, states: {}, customs: [custom('np', 'python'), custom('orphan', 'cobol')] },
    now,
  );
  t.same(
    views.map((v) => v.runtime.language),
    [...runtimeCatalogue.map((r) => r.language), 'np'],
  );
  t.match(views.at(-1), { condition: { status: 'building', progress: 'step 2/9' }, version: 'unknown', custom: { base: 'python' } });
  t.match(views[0], { condition: { status: 'ready' }, version: '3.11.2' });
});
