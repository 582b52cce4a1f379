// The reaper removes sandboxes past the deadline in their name (left by a crashed worker) and
// leaves the ones still within it alone.
import pino from 'pino';
import t from 'tap';
import { SANDBOX_LABEL } from '../../src/sandbox/container-spec.js';
import { createReaper } from '../../src/sandbox/reaper.js';
import { sandboxName } from '../../src/sandbox/sandbox-names.js';
import { containersOf, docker } from '../helpers/service.js';

t.test('reapOnce removes expired sandboxes and keeps live ones', async (t) => {
  const make = async (owner: string, deadline: number) => {
    const container = await docker.createContainer({
      name: sandboxName(deadline, owner, Math.random().toString(16).slice(2, 10).padEnd(8, '0')),
      Image: 'runbox/bash:latest',
      Cmd: ['sleep', '60'],
      Labels: { [SANDBOX_LABEL]: 'true' },
      HostConfig: { NetworkMode: 'none', AutoRemove: false },
    });
    await container.start();
    return container;
  };
  const suffix = Math.random().toString(36).slice(2);
  await make(`stray-${suffix}`, Date.now() - 1000);
  const live = await make(`live-${suffix}`, Date.now() + 60_000);
  t.teardown(() => live.remove({ force: true }).catch(() => undefined));
  // A pooled sandbox taken by a run is renamed to the run's deadline: the reaper goes by the new name.
  const renamed = await make(`pool-${suffix}`, Date.now() - 1000);
  t.teardown(() => renamed.remove({ force: true }).catch(() => undefined));
  await renamed.rename({ name: sandboxName(Date.now() + 60_000, `taken-${suffix}`, '0a1b2c3d') });

  const reaper = createReaper({ docker, log: pino({ level: 'silent' }), intervalMs: 60_000 });
  // Another worker's reaper on this engine may take the stray first: what counts is that it is gone.
  await reaper.reapOnce();
  t.same(await containersOf(`stray-${suffix}`), [], 'the expired sandbox is gone');
  t.equal((await containersOf(`live-${suffix}`)).length, 1, 'the live sandbox stays');
  t.equal((await containersOf(`taken-${suffix}`)).length, 1, 'a renamed sandbox lives by its new deadline');
});
