// Custom runtimes on a real worker and Docker engine: an admin defines one FROM the python
// runtime with a module added by COPY of a build file (no network), follows its build over
// the WebSocket, and runs and judges code in it; a worker whose host lacks the image builds it
// on demand; DELETE removes it and its image. A build that fails (a step that finds no
// network), one past its time limit and one past its size limit leave no image and no
// container; other keys are refused.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import WebSocket from 'ws';
import { sha256Hex } from '../../src/api/auth.js';
import { CUSTOM_RUNTIME_LABEL } from '../../src/domain/custom-runtime.js';
import { readStream, request } from '../helpers/client.js';
import { docker, startService } from '../helpers/service.js';

const keys = { admin: 'admin-key', user: 'user-key' };
const API_KEYS = [`admin:admin:${sha256Hex(keys.admin)}`, `user:runs+read:${sha256Hex(keys.user)}`].join(',');
const as = (key: string) => ({ authorization: `Bearer ${key}` });
const suffix = randomBytes(3).toString('hex');
const unique = (name: string) => `${name}-${suffix}`;

/** Images and containers (any state) a custom runtime of that name left on the engine. */
async function leftOf(name: string) {
  const filters = { label: [`${CUSTOM_RUNTIME_LABEL}=${name}`] };
  const [images, containers] = await Promise.all([
    docker.listImages({ all: true, filters }),
    docker.listContainers({ all: true, filters }),
  ]);
  return { images: images.length, containers: containers.length };
}

async function removeAll(names: string[]) {
  for (const name of names) {
    const images = await docker.listImages({ all: true, filters: { label: [`${CUSTOM_RUNTIME_LABEL}=${name}`] } });
    for (const image of images.sort((a, b) => b.Created - a.Created))
      await docker
        .getImage(image.Id)
        .remove({ force: true })
        .catch(() => undefined);
  }
}

/** Polls GET /runtimes/{name} until it is no longer building. */
async function settled(url: string, name: string, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reply = await request(url, 'GET', `/runtimes/${name}`, undefined, as(keys.user));
    if (reply.body.status !== 'building' || Date.now() > deadline) return reply.body;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const greet = { name: 'greet.py', content: 'def hello(name):\n    return f"hello, {name}"\n' };
const define = (url: string, body: Record<string, unknown>, key = keys.admin) => request(url, 'POST', '/runtimes', body, as(key));

t.test('custom runtimes', async (t) => {
  const names = [unique('pyplus'), unique('nonet')];
  t.teardown(() => removeAll(names));
  const { url, wsUrl } = await startService(t, { env: { API_KEYS, AUTH_FAILURES_PER_MINUTE: '0', RATE_LIMIT_PER_MINUTE: '0' } });

  t.test('only an admin key defines, deletes or follows a build', async (t) => {
    const reply = await define(url, { name: unique('nope'), base: 'python', dockerfile: 'RUN true' }, keys.user);
    t.match(reply, { status: 403, body: { code: 'forbidden' } });
    t.equal((await request(url, 'DELETE', '/runtimes/python', undefined, as(keys.user))).status, 403);
    const code = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${wsUrl}/runtimes/x/build?access_token=${keys.user}`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
    });
    t.equal(code, 403, 'the build log is refused too');
  });

  t.test('definitions that would escape the base are refused before anything is built', async (t) => {
    const base = { name: unique('bad'), base: 'python' };
    for (const [dockerfile, message] of [
      ['FROM debian:bookworm\nRUN true', /uses FROM/],
      ['ADD https://example.org/x.tar.gz /opt/', /uses ADD/],
      ['COPY --from=runbox/c:latest /usr/bin/gcc /usr/bin/', /COPY --from/],
      ['VOLUME /data', /uses VOLUME/],
      ['ENTRYPOINT ["/bin/sh"]', /uses ENTRYPOINT/],
    ] as const) {
      const reply = await define(url, { ...base, dockerfile });
      t.match(reply, { status: 400, body: { code: 'invalid_request', message } }, dockerfile.split('\n')[0]);
    }
    t.match(await define(url, { name: 'python', base: 'python', dockerfile: 'RUN true' }), { status: 409 }, 'a built-in name');
    t.match(await define(url, { name: 'py', base: 'python', dockerfile: 'RUN true' }), { status: 409 }, 'a built-in alias');
    t.match(await define(url, { ...base, base: 'cobol', dockerfile: 'RUN true' }), { status: 400, body: { code: 'unknown_language' } });
    t.match(await define(url, { ...base, name: 'Bad Name', dockerfile: 'RUN true' }), { status: 400 });
    t.match(await define(url, { ...base, dockerfile: 'RUN true', files: [{ name: '../x', content: '' }] }), {
      status: 400,
      body: { code: 'invalid_file_name' },
    });
    t.same(await leftOf(base.name), { images: 0, containers: 0 });
  });

  const pyplus = names[0];
  t.test('a runtime built FROM python with a module copied in: building, its log, then ready', async (t) => {
    const reply = await define(url, {
      name: pyplus,
      base: 'python',
      dockerfile:
        '# the module, where python3 finds it\nCOPY greet.py /usr/local/lib/python3.11/dist-packages/greet.py\nRUN python3 -c "import greet"',
      files: [greet],
    });
    t.match(reply, { status: 202, body: { name: pyplus, status: 'building', build: `/runtimes/${pyplus}/build` } });
    t.equal(reply.headers.get('location'), `/runtimes/${pyplus}`);
    const early = await request(url, 'POST', '/runs', { language: pyplus, source: 'print(1)' }, as(keys.user));
    t.match(early, { status: 503, body: { code: 'runtime_not_ready', message: /being built/ } }, 'a run while it builds: 503');
    t.equal(early.headers.get('retry-after'), '30');
    t.match(await define(url, { name: pyplus, base: 'python', dockerfile: 'RUN true' }), { status: 409 }, 'defined once');

    const { frames, closeCode } = await readStream(wsUrl, `/runtimes/${pyplus}/build?access_token=${keys.admin}`);
    t.equal(closeCode, 1000);
    const steps = frames.filter((f) => f.type === 'progress');
    t.ok(steps.length >= 5, `progress frames (${steps.length})`);
    t.same(
      steps.map((f) => f.step),
      steps.map((_, i) => i + 1),
      'steps 1, 2, 3, ... in order',
    );
    t.ok(
      steps.every((f) => f.steps === steps[0].steps),
      'each says how many steps there are',
    );
    t.ok(
      steps.some((f) => /^COPY greet\.py/.test(f.instruction)),
      "the definition's own step is among them",
    );
    t.ok(
      frames.some((f) => f.type === 'log' && /passed its checks/.test(f.data)),
      'the log says the image passed its checks',
    );
    t.match(frames.at(-2), { type: 'status', status: 'ready' });
    t.match(frames.at(-1), {
      type: 'end',
      runtime: { language: pyplus, status: 'ready', version: /^3\.11\.\d+$/, custom: { base: 'python' } },
    });

    const listed = (await request(url, 'GET', '/runtimes', undefined, as(keys.user))).body;
    t.match(
      listed.find((r: any) => r.language === pyplus),
      { status: 'ready', compiled: false, fileName: 'main.py' },
    );
    t.ok(
      listed.filter((r: any) => !r.custom).every((r: any) => r.status === 'ready'),
      'the built-in runtimes are ready',
    );
  });

  t.test('runs and judged runs use it like a built-in runtime', async (t) => {
    const source = 'import greet\nprint(greet.hello(input()))';
    const run = await request(url, 'POST', '/runs?wait=true', { language: pyplus, source, stdin: 'Ada' }, as(keys.user));
    t.match(run.body, { status: 'completed', verdict: 'ok', stdout: 'hello, Ada\n', language: pyplus });
    const judged = await request(
      url,
      'POST',
      '/runs?wait=true',
      {
        language: pyplus,
        source,
        tests: [
          { stdin: 'Ada', expected: 'hello, Ada' },
          { stdin: 'Bob', expected: 'hello, Eve' },
        ],
      },
      as(keys.user),
    );
    t.match(judged.body, { status: 'completed', verdict: 'wrong_answer' });
    t.same(
      judged.body.tests.map((x: any) => x.verdict),
      ['accepted', 'wrong_answer'],
    );
    const plain = await request(url, 'POST', '/runs?wait=true', { language: 'python', source }, as(keys.user));
    t.match(plain.body, { verdict: 'runtime_error', stderr: /No module named 'greet'/ }, 'the built-in python is unchanged');
  });

  t.test('a worker whose host lacks the image builds it from the definition when a run needs it', async (t) => {
    const { image } = await (async () => {
      const list = await docker.listImages({ filters: { label: [`${CUSTOM_RUNTIME_LABEL}=${pyplus}`] } });
      return { image: list[0]?.RepoTags?.[0] ?? '' };
    })();
    t.match(image, new RegExp(`^runbox/custom-${pyplus}:[0-9a-f]{16}$`));
    await docker.getImage(image).remove({ force: true });
    const run = await request(
      url,
      'POST',
      '/runs?wait=true',
      { language: pyplus, source: 'import greet; print(greet.hello("again"))' },
      as(keys.user),
    );
    t.match(run.body, { status: 'completed', verdict: 'ok', stdout: 'hello, again\n' });
    t.ok(await docker.getImage(image).inspect(), 'the image is back');
  });

  t.test('DELETE removes it: not listed, runs are unknown_language, its images go', async (t) => {
    t.equal((await request(url, 'DELETE', `/runtimes/${pyplus}`, undefined, as(keys.admin))).status, 204);
    t.equal((await request(url, 'DELETE', `/runtimes/${pyplus}`, undefined, as(keys.admin))).status, 404);
    t.equal((await request(url, 'DELETE', '/runtimes/python', undefined, as(keys.admin))).status, 409, 'a built-in stays');
    const listed = (await request(url, 'GET', '/runtimes', undefined, as(keys.user))).body;
    t.notOk(listed.some((r: any) => r.language === pyplus));
    const run = await request(url, 'POST', '/runs', { language: pyplus, source: 'print(1)' }, as(keys.user));
    t.match(run, { status: 400, body: { code: 'unknown_language' } });
    // The worker sweeps every second while the last run's sandbox is removed (slow on a loaded host).
    const deadline = Date.now() + 60_000;
    while ((await leftOf(pyplus)).images > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    t.same(await leftOf(pyplus), { images: 0, containers: 0 }, 'no image of it is left');
  });

  t.test('a build whose step fails (no network in a build) is failed and leaves nothing', async (t) => {
    const name = names[1];
    const reply = await define(url, {
      name,
      base: 'python',
      dockerfile:
        'COPY greet.py /opt/greet.py\n# TEST-NET-1: not routed; with no network nothing is sent at all\nRUN python3 -c "import socket; socket.create_connection((\'192.0.2.1\', 80), timeout=3)"',
      files: [greet],
    });
    t.equal(reply.status, 202);
    const runtime = await settled(url, name);
    t.match(runtime, { status: 'failed', error: /returned a non-zero code/ });
    const { frames } = await readStream(wsUrl, `/runtimes/${name}/build?access_token=${keys.admin}`);
    t.ok(
      frames.some((f) => f.type === 'log' && /Network is unreachable|ENETUNREACH|No route/i.test(f.data)),
      'the log shows the step found no network',
    );
    t.match(frames.at(-1), { type: 'end', runtime: { status: 'failed' } });
    t.same(await leftOf(name), { images: 0, containers: 0 }, 'no image, no container');
    const run = await request(url, 'POST', '/runs', { language: name, source: 'print(1)' }, as(keys.user));
    t.match(run, { status: 503, body: { code: 'runtime_not_ready', message: /not available/ } });
    t.equal((await request(url, 'DELETE', `/runtimes/${name}`, undefined, as(keys.admin))).status, 204);
  });
});

t.test('build limits', async (t) => {
  const names = [unique('slow'), unique('huge')];
  t.teardown(() => removeAll(names));
  const { url } = await startService(t, {
    env: {
      API_KEYS,
      AUTH_FAILURES_PER_MINUTE: '0',
      RATE_LIMIT_PER_MINUTE: '0',
      RUNTIME_BUILD_TIME_LIMIT_MS: '15000',
      RUNTIME_BUILD_MAX_MB: '20',
    },
  });

  t.test('a build over its time limit is stopped and leaves nothing', async (t) => {
    const started = Date.now();
    t.equal((await define(url, { name: names[0], base: 'bash', dockerfile: 'RUN echo started && sleep 120' })).status, 202);
    const runtime = await settled(url, names[0]);
    t.match(runtime, { status: 'failed', error: /longer than its time limit of 15000 ms/ });
    t.ok(Date.now() - started < 45_000, `stopped at its limit (${Date.now() - started} ms)`);
    t.same(await leftOf(names[0]), { images: 0, containers: 0 });
  });

  t.test('a build past its size limit is stopped and leaves nothing', async (t) => {
    t.equal((await define(url, { name: names[1], base: 'bash', dockerfile: 'RUN head -c 50000000 /dev/zero > /opt/big' })).status, 202);
    const runtime = await settled(url, names[1]);
    t.match(runtime, { status: 'failed', error: /grew by \d+ MiB, past its limit of 20 MiB/ });
    t.same(await leftOf(names[1]), { images: 0, containers: 0 });
  });
});
