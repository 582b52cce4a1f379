// Bounded state: every key a run leaves in Redis expires after RUN_RETENTION_S; BullMQ
// keeps no finished job; and a process talking to a Redis that may evict says so at start.
// (What deploy/redis.conf sets is checked by test/unit/deploy/redis-conf.test.ts.)
import t from 'tap';
import { call, waitForStatus } from './helpers/client.js';
import { startCluster, warnings } from './helpers/cluster.js';
import { sleep } from './helpers/processes.js';

const RETENTION_S = 60; // the smallest RUN_RETENTION_S the config allows
const evictionWarning = /may evict keys/;

t.test('every key of a run expires after RUN_RETENTION_S; BullMQ keeps no finished job', async (t) => {
  const cluster = await startCluster(t, {
    workers: 1,
    env: { RUN_RETENTION_S: String(RETENTION_S), RATE_LIMIT_PER_MINUTE: '600', KEY_MAX_IN_FLIGHT: '50' },
  });
  const { api, inspect } = cluster;
  const ok = await call(api.url, 'POST', '/runs?wait=true', { language: 'bash', source: 'echo fine' }, 30_000);
  t.match(ok.body, { status: 'completed', verdict: 'ok' });
  const failing = await call(api.url, 'POST', '/runs?wait=true', { language: 'bash', source: 'echo oops >&2; exit 3' }, 30_000);
  t.match(failing.body, { status: 'completed', verdict: 'runtime_error' });
  const interactive = await cluster.submit({ language: 'bash', source: 'read line; echo "got $line"', interactive: true });
  const { body: long } = await cluster.submit({ language: 'bash', source: 'sleep 30' });
  await waitForStatus(api.url, long.id, 10_000, new Set(['running']));
  t.equal((await call(api.url, 'DELETE', `/runs/${long.id}`)).status, 202, 'a running run cancelled (it gets an input stream)');
  // The interactive run waits for stdin that never comes; cancel it too.
  await waitForStatus(api.url, interactive.body.id, 10_000, new Set(['running']));
  await call(api.url, 'DELETE', `/runs/${interactive.body.id}`);
  const runs = [ok.body.id, failing.body.id, interactive.body.id, long.id];
  for (const id of runs) await waitForStatus(api.url, id, 20_000);
  await sleep(500);

  // Every key in Redis, with its time to live.
  const keys = (await inspect.keys('*')).sort();
  const ttls = await Promise.all(keys.map(async (key) => [key, await inspect.ttl(key)] as const));
  const runKeys = ttls.filter(([key]) => runs.some((id) => key.includes(id)));
  t.ok(runKeys.length >= runs.length * 2, `each run left its record and event stream (${runKeys.length} keys)`);
  t.same(
    runKeys.filter(([key]) => key.endsWith(':input')),
    [],
    'the cancelled runs had input streams; each was deleted when its run ended',
  );
  t.same(
    runKeys.filter(([, ttl]) => !(ttl > 0 && ttl <= RETENTION_S)),
    [],
    `every key of a run expires within ${RETENTION_S} s`,
  );
  const forever = ttls.filter(([, ttl]) => ttl === -1).map(([key]) => key);
  t.comment(`keys without expiry: ${forever.join(', ')}`);
  // What may stay: the runtime versions, and BullMQ's own fixed bookkeeping for each queue.
  const allowed = /^(runbox:runtimes|bull:runbox-(runs|webhooks|runtime-builds):(meta|id|events|stalled-check|marker))$/;
  t.same(
    forever.filter((key) => !allowed.test(key)),
    [],
    'nothing else is kept forever',
  );
  t.same(
    ttls
      .filter(([key]) => key.startsWith('runbox:') && !key.startsWith('runbox:run:') && key !== 'runbox:runtimes')
      .filter(([, ttl]) => ttl < 0),
    [],
    'in-flight sets and rate-limit counters expire too',
  );

  const [completed, failed] = await Promise.all([inspect.zcard('bull:runbox-runs:completed'), inspect.zcard('bull:runbox-runs:failed')]);
  t.same({ completed, failed }, { completed: 0, failed: 0 }, 'BullMQ keeps no completed or failed job');
  t.same(
    keys.filter((key) => runs.some((id) => key.startsWith(`bull:runbox-runs:${id}`))),
    [],
    'no job of these runs is left',
  );
  t.same(
    cluster.apis.concat(cluster.workers).flatMap((p) => warnings(p, evictionWarning)),
    [],
    'no eviction warning with noeviction',
  );
});

t.test('a Redis that may evict keys: the API and the worker warn at start', async (t) => {
  const cluster = await startCluster(t, { workers: 1, redis: { maxmemoryPolicy: 'allkeys-lru' } });
  for (const child of [cluster.api, ...cluster.workers]) {
    const line = await child.waitForLog((l) => (l.level ?? 0) >= 40 && evictionWarning.test(String(l.msg)), 5_000, 'the eviction warning');
    t.match(line, { level: 40, policy: 'allkeys-lru' }, `${child.name} warns, naming the policy: "${line.msg}"`);
  }
});
