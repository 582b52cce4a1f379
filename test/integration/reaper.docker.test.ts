// The reaper removes sandboxes past the deadline in their name (left by a crashed worker) and
// leaves the ones still within it alone; pooled sandboxes that have exited it removes before
// their deadline (a worker that died without draining its pool leaves them).
import pino from 'pino';
import t from 'tap';
import { SANDBOX_LABEL } from '../../src/sandbox/container-spec.js';
import { createReaper, EXITED_POOL_GRACE_MS } from '../../src/sandbox/reaper.js';
import { POOL_OWNER, sandboxName } from '../../src/sandbox/sandbox-names.js';
import { containersOf, docker } from '../helpers/service.js';

const make = async (owner: string, deadline: number, command = ['sleep', '60']) => {
  const container = await docker.createContainer({
    name: sandboxName(deadline, owner, Math.random().toString(16).slice(2, 10).padEnd(8, '0')),
    Image: 'runbox/bash:latest',
    Cmd: command,
    Labels: { [SANDBOX_LABEL]: 'true' },
    HostConfig: { NetworkMode: 'none', AutoRemove: false },
  });
  await container.start();
  return container;
};
const reaper = createReaper({ docker, log: pino({ level: 'silent' }), intervalMs: 60_000 });

t.test('reapOnce removes expired sandboxes and keeps live ones', async (t) => {
  const suffix = Math.random().toString(36).slice(2);
  await make(`stray-${suffix}`, Date.now() - 1000);
  const live = await make(`live-${suffix}`, Date.now() + 60_000);
  t.teardown(() => live.remove({ force: true }).catch(() => undefined));
  // A pooled sandbox taken by a run is renamed to the run's deadline: the reaper goes by the new name.
  const renamed = await make(`pool-${suffix}`, Date.now() - 1000);
  t.teardown(() => renamed.remove({ force: true }).catch(() => undefined));
  await renamed.rename({ name: sandboxName(Date.now() + 60_000, `taken-${suffix}`, '0a1b2c3d') });

  // Another worker's reaper on this engine may take the stray first: what counts is that it is gone.
  await reaper.reapOnce();
  t.same(await containersOf(`stray-${suffix}`), [], 'the expired sandbox is gone');
  t.equal((await containersOf(`live-${suffix}`)).length, 1, 'the live sandbox stays');
  t.equal((await containersOf(`taken-${suffix}`)).length, 1, 'a renamed sandbox lives by its new deadline');
});

t.test('a pooled sandbox that has exited is removed before its deadline, once it has been gone a while', async (t) => {
  // Its runbox-run is gone (the worker that held its channel died): no worker can use it.
  const dead = await make(POOL_OWNER, Date.now() + 15 * 60_000, ['true']);
  t.teardown(() => dead.remove({ force: true }).catch(() => undefined));
  await dead.wait();
  const waiting = await make(POOL_OWNER, Date.now() + 15 * 60_000);
  t.teardown(() => waiting.remove({ force: true }).catch(() => undefined));
  const exists = (id: string) =>
    docker
      .getContainer(id)
      .inspect()
      .then(
        () => true,
        () => false,
      );

  // Just exited: a run that took it may still be renaming it and asking how it ended.
  await reaper.reapOnce();
  t.ok(await exists(dead.id), 'kept while it has only just exited');
  await reaper.reapOnce(Date.now() + EXITED_POOL_GRACE_MS + 1000);
  t.notOk(await exists(dead.id), 'removed once it has been exited longer than the grace');
  t.ok(await exists(waiting.id), 'a pooled sandbox still running stays');
});

t.test('a pooled sandbox created and never started (its launch cut short) is removed once it is old', async (t) => {
  const name = sandboxName(Date.now() + 15 * 60_000, POOL_OWNER, Math.random().toString(16).slice(2, 10).padEnd(8, '0'));
  const orphan = await docker.createContainer({
    name,
    Image: 'runbox/bash:latest',
    Cmd: ['sleep', '60'],
    Labels: { [SANDBOX_LABEL]: 'true' },
    HostConfig: { NetworkMode: 'none', AutoRemove: false },
  });
  t.teardown(() => orphan.remove({ force: true }).catch(() => undefined));
  const exists = () =>
    orphan.inspect().then(
      () => true,
      () => false,
    );
  await reaper.reapOnce();
  t.ok(await exists(), 'kept while new: a launch may be starting it');
  // Waited out for real: a reaper pass with a clock moved ahead would also take the pooled
  // sandboxes other suites on this engine are starting at this moment.
  await new Promise((resolve) => setTimeout(resolve, EXITED_POOL_GRACE_MS + 2000));
  await reaper.reapOnce();
  t.notOk(await exists(), 'removed once older than the grace');
});
