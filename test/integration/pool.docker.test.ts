// The warm pool on a real engine: sandboxes waiting before any run, one per run, the run's
// limits applied to a pooled one, metrics, and nothing left after shutdown.
import t from 'tap';
import { SANDBOX_LABEL } from '../../src/sandbox/container-spec.js';
import { parseSandboxName } from '../../src/sandbox/sandbox-names.js';
import { request, runToEnd } from '../helpers/client.js';
import { docker, startService } from '../helpers/service.js';

/** Pooled sandboxes (owner "pool") of one image on the engine, with their deadlines. */
async function pooled(image: string) {
  const list = await docker.listContainers({ all: true, filters: { label: [`${SANDBOX_LABEL}=true`], ancestor: [image] } });
  return list.flatMap((c) => {
    const name = parseSandboxName(c.Names[0] ?? '');
    return name?.owner === 'pool' ? [{ id: c.Id, deadlineMs: name.deadlineMs, state: c.State }] : [];
  });
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

t.test('a warm pool', async (t) => {
  const image = 'runbox/lua:latest';
  const service = await startService(t, { env: { POOL_SIZE: '2', POOL_WARM_LANGUAGES: 'lua', POOL_MAX_AGE_MS: '120000' } });
  const { url } = service;

  const waiting = await waitFor('two pooled lua sandboxes', async () => {
    const list = await pooled(image);
    return list.length === 2 && list.every((c) => c.state === 'running') ? list : undefined;
  });
  t.equal(waiting.length, 2, 'two started before any run');
  t.ok(
    waiting.every((c) => c.deadlineMs > Date.now() && c.deadlineMs <= Date.now() + 120_000 + 31_000),
    'each with a deadline the reaper reads: its pool age plus grace',
  );

  /** Sandboxes taken from the pool so far: the warm count of the sandbox-start histogram. */
  const warmStarts = async () =>
    Number(/^runbox_sandbox_start_seconds_count\{source="warm"\} (\d+)/m.exec((await request(url, 'GET', '/metrics')).body)?.[1] ?? 0);
  const hitsBefore = await warmStarts();

  const first = await runToEnd(url, {
    language: 'lua',
    source: 'local f = io.open("/tmp/left", "w"); f:write("x"); f:close(); print("one")',
  });
  t.match(first, { verdict: 'ok', stdout: 'one\n' });
  t.equal(await warmStarts(), hitsBefore + 1, 'the run took a pooled sandbox');
  const second = await runToEnd(url, { language: 'lua', source: 'print(io.open("/tmp/left") == nil and "fresh" or "reused")' });
  t.match(second, { verdict: 'ok', stdout: 'fresh\n' }, 'never two runs in one container');

  const limited = await runToEnd(url, {
    language: 'lua',
    source: 'print(io.open("/sys/fs/cgroup/memory/memory.limit_in_bytes"):read("n"))',
    limits: { memoryMb: 96 },
  });
  t.match(
    limited,
    { verdict: 'ok', stdout: `${96 * 1024 * 1024}\n` },
    "a pooled sandbox takes the run's memory limit before the program starts",
  );

  // At least its floor again; more when runs took more than that within two seconds.
  const refilled = await waitFor('the pool refilled', async () => {
    const n = (await pooled(image)).length;
    return n >= 2 ? n : undefined;
  });
  await new Promise((r) => setTimeout(r, 1000));
  const metrics = (await request(url, 'GET', '/metrics')).body;
  const shown = Number(
    /^runbox_pool_sandboxes\{profile="runbox\/lua:latest\|runc\|disk=64\|net=false\|root=false"\} (\d+)$/m.exec(metrics)?.[1],
  );
  t.ok(shown >= refilled && shown <= 3, `the pool size by profile: ${shown}`);

  await service.stopWorker();
  t.same(await pooled(image), [], 'the pool is drained on shutdown');
});
