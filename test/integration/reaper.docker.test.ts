// The reaper removes sandboxes past their deadline (left by a crashed worker) and leaves
// the ones still within it alone.
import pino from 'pino';
import t from 'tap';
import { DEADLINE_LABEL, RUN_ID_LABEL, SANDBOX_LABEL } from '../../src/sandbox/container-spec.js';
import { createReaper } from '../../src/sandbox/reaper.js';
import { containersOf, docker } from '../helpers/service.js';

t.test('reapOnce removes expired sandboxes and keeps live ones', async (t) => {
  const make = async (runId: string, deadline: number) => {
    const container = await docker.createContainer({
      Image: 'runbox/bash:latest',
      Cmd: ['sleep', '60'],
      Labels: { [SANDBOX_LABEL]: 'true', [RUN_ID_LABEL]: runId, [DEADLINE_LABEL]: String(deadline) },
      HostConfig: { NetworkMode: 'none', AutoRemove: false },
    });
    await container.start();
    return container;
  };
  const suffix = Math.random().toString(36).slice(2);
  await make(`stray-${suffix}`, Date.now() - 1000);
  const live = await make(`live-${suffix}`, Date.now() + 60_000);
  t.teardown(() => live.remove({ force: true }).catch(() => undefined));

  const reaper = createReaper({ docker, log: pino({ level: 'silent' }), intervalMs: 60_000 });
  // Another worker's reaper on this engine may take the stray first: what counts is that it is gone.
  await reaper.reapOnce();
  t.same(await containersOf(`stray-${suffix}`), [], 'the expired sandbox is gone');
  t.equal((await containersOf(`live-${suffix}`)).length, 1, 'the live sandbox stays');
});
