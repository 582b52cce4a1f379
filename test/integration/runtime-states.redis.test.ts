// Runtime states on a real Redis, through the API (no worker): what workers report about
// images they lack decides what GET /runtimes says and whether a run is taken. A runtime
// whose image is being built answers 503 runtime_not_ready with Retry-After, in a batch too;
// a failed one says why; a building state no worker renews any more holds nothing back.
import t from 'tap';
import { STATE_STALE_MS } from '../../src/domain/runtime-status.js';
import { createKeys } from '../../src/store/keys.js';
import { createRuntimeStore } from '../../src/store/runtime-store.js';
import { request } from '../helpers/client.js';
import { startService } from '../helpers/service.js';

t.test('runtime states', async (t) => {
  const { url, redis } = await startService(t, { worker: false });
  const runtimes = createRuntimeStore({ redis, keys: createKeys('runbox') });
  const listed = async () => Object.fromEntries((await request(url, 'GET', '/runtimes')).body.map((r: any) => [r.language, r]));

  t.test('before any worker has reported, every runtime is unknown and runs are queued', async (t) => {
    const all = await listed();
    t.ok(Object.values(all).every((r: any) => r.status === 'unknown' && r.version === 'unknown'));
    t.equal((await request(url, 'POST', '/runs', { language: 'lua', source: 'print(1)' })).status, 202);
  });

  t.test('a runtime being built answers 503 runtime_not_ready with Retry-After; the ready ones run', async (t) => {
    await runtimes.setVersions({ python: '3.11.2' });
    await runtimes.setStates({
      lua: { status: 'building', progress: 'building (2 of 17): step 3/4 : RUN apt-get install', updatedAt: Date.now() },
    });
    const all = await listed();
    t.match(all.python, { status: 'ready', version: '3.11.2' });
    t.match(all.lua, { status: 'building', progress: /step 3\/4/ });
    const refused = await request(url, 'POST', '/runs', { language: 'lua5.4', source: 'print(1)' });
    t.match(refused, { status: 503, body: { code: 'runtime_not_ready', message: /lua is being built \(building \(2 of 17\)/ } });
    t.equal(refused.headers.get('retry-after'), '30');
    t.equal((await request(url, 'POST', '/runs', { language: 'python', source: 'print(1)' })).status, 202);
    const batch = await request(url, 'POST', '/runs/batch', {
      runs: [
        { language: 'lua', source: 'x' },
        { language: 'python', source: 'x' },
      ],
    });
    t.match(batch.body, [{ error: { code: 'runtime_not_ready' } }, { status: 'queued' }], 'each run of a batch on its own');
  });

  t.test('bad input is still a 400 before a runtime that is not ready is a 503', async (t) => {
    const reply = await request(url, 'POST', '/runs', { language: 'lua', source: 'x', limits: { memoryMb: 1_000_000 } });
    t.match(reply, { status: 400, body: { code: 'limit_exceeded' } });
  });

  t.test('a failed runtime says why; once a worker reports its image, it is ready', async (t) => {
    await runtimes.setStates({
      ocaml: { status: 'failed', error: 'building the ocaml image failed (exit 1): E: Unable to locate package', updatedAt: Date.now() },
    });
    const refused = await request(url, 'POST', '/runs', { language: 'ocaml', source: 'x' });
    t.match(refused, {
      status: 503,
      body: { code: 'runtime_not_ready', message: /ocaml is not available: building the ocaml image failed/ },
    });
    t.equal(refused.headers.get('retry-after'), '300');
    t.match((await listed()).ocaml, { status: 'failed', error: /Unable to locate package/ });
    await runtimes.setVersions({ ocaml: '4.13.1' });
    t.match((await listed()).ocaml, { status: 'ready', version: '4.13.1' });
    t.equal((await request(url, 'POST', '/runs', { language: 'ocaml', source: 'x' })).status, 202);
  });

  t.test('a building state no worker has renewed for a while holds nothing back', async (t) => {
    await runtimes.setStates({ perl: { status: 'building', updatedAt: Date.now() - STATE_STALE_MS - 1000 } });
    t.match((await listed()).perl, { status: 'unknown' });
    t.equal((await request(url, 'POST', '/runs', { language: 'perl', source: 'x' })).status, 202);
  });
});
