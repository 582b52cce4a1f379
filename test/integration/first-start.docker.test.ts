// A first start on a real Docker engine: a worker whose runtime images are missing (here: under
// a prefix of this test's own, so no image other suites use is touched) serves at once and
// builds them in the background with scripts/build-images.sh, one at a time in catalogue
// order: each is building (its place in line, then its steps) and refuses runs with 503 until
// its image is built, then it is ready and runs. Stopping the worker stops the builds and
// clears the states it can no longer keep. The builds come from Docker's cache here (the
// same Dockerfiles as the real images), so each takes a second or two; the tags this test
// made are removed at the end.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { runtimeCatalogue } from '../../src/domain/runtimes.js';
import { request } from '../helpers/client.js';
import { docker, startService } from '../helpers/service.js';

const prefix = `runbox-first-start-${randomBytes(3).toString('hex')}/`;

async function removeTags() {
  const images = await docker.listImages({ all: true });
  for (const image of images)
    for (const tag of image.RepoTags ?? [])
      if (tag.startsWith(prefix))
        await docker
          .getImage(tag)
          .remove({ noprune: false })
          .catch(() => undefined);
}

t.test('a first start builds the missing images in the background while it serves', async (t) => {
  t.teardown(removeTags);
  const service = await startService(t, { env: { RUNTIME_IMAGE_PREFIX: prefix, IMAGES_BUILD_MISSING: 'true' } });
  const { url } = service;
  const listed = async () => Object.fromEntries((await request(url, 'GET', '/runtimes')).body.map((r: any) => [r.language, r]));

  const first = await listed();
  t.ok(
    runtimeCatalogue.every((r) => ['building', 'ready'].includes(first[r.language].status)),
    'every runtime is building (or built already)',
  );
  t.match(first.nim, { status: 'building', progress: `waiting: ${runtimeCatalogue.length} of ${runtimeCatalogue.length} to build` });
  const early = await request(url, 'POST', '/runs', { language: 'nim', source: 'echo 1' });
  t.match(early, { status: 503, body: { code: 'runtime_not_ready' } }, 'a run of one still waiting: 503');
  t.equal(early.headers.get('retry-after'), '30');

  // Python is first in line: ready within a minute, then it runs.
  const deadline = Date.now() + 120_000;
  while ((await listed()).javascript.status !== 'ready' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
  const now = await listed();
  t.match(now.python, { status: 'ready', version: /^3\.11\.\d+$/ });
  t.match(now.javascript, { status: 'ready' });
  const run = await request(url, 'POST', '/runs?wait=true', { language: 'python', source: 'print("built in the background")' });
  t.match(run.body, { status: 'completed', verdict: 'ok', stdout: 'built in the background\n' });
  t.ok((await docker.getImage(`${prefix}python:latest`).inspect()).Config.Labels['runbox.version'], 'the image carries its version');

  await service.stopWorker();
  const after = await listed();
  t.match(after.python, { status: 'ready' });
  t.equal(after.nim.status, 'unknown', 'a runtime whose build was stopped is no longer said to be building');
});
