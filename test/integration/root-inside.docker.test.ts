// Root inside, nobody outside: a run may ask for root only where that root is powerless on
// the host. Under gVisor the program is root in the Sentry's kernel, and the Sentry runs as
// an unprivileged host uid; on an engine with userns-remap container uid 0 is a subordinate
// host uid (the second engine scripts/ensure-docker-userns.sh starts); under plain runc
// root is refused by the API and, should the API be told wrong, by the worker.
import { existsSync, readFileSync } from 'node:fs';
import Docker from 'dockerode';
import t from 'tap';
import { statusCodeOf } from '../../src/sandbox/container-lifecycle.js';
import { readStream, request, runToEnd } from '../helpers/client.js';
import { containersLeftBy, containersOf, docker, startService, USERNS_DOCKER_SOCKET } from '../helpers/service.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A container's host pid; 0 while it has none (not started yet, or gone: a 404). */
async function pidOf(engine: Docker, id: string): Promise<number> {
  const info = await engine
    .getContainer(id)
    .inspect()
    .catch((error: unknown) => {
      if (statusCodeOf(error) === 404) return undefined;
      throw error;
    });
  return info?.State.Pid ?? 0;
}

/**
 * The host uid and uid map of a run's container, read from the host while the run sleeps (4 s:
 * on a loaded host a 2 s sleep has ended, and its container gone, before the reading). A
 * container or process gone by the time it is read counts as not found, and is looked for
 * again; none found is `{}`, which the callers' assertions report.
 */
async function hostView(engine: Docker, runId: string): Promise<{ uid?: string; uidMap?: string }> {
  // Until a deadline, not a count of tries: a loaded host can take seconds to start the container.
  for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
    const [id] = await containersOf(runId, engine);
    const pid = id ? await pidOf(engine, id) : 0;
    try {
      if (pid > 0) {
        return {
          uid: /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1],
          uidMap: readFileSync(`/proc/${pid}/uid_map`, 'utf8').trim().split(/\s+/).join(' '),
        };
      }
    } catch (error) {
      const { code } = error as NodeJS.ErrnoException;
      if (code !== 'ENOENT' && code !== 'ESRCH') throw error;
    }
    await sleep(50);
  }
  return {};
}

/** The run's final record, from the end frame of its stream. */
async function recordAtEnd(wsUrl: string, runId: string) {
  return (await readStream(wsUrl, `/runs/${runId}/stream`)).frames.at(-1)?.run;
}

t.test('root inside is refused under plain runc', async (t) => {
  const { url } = await startService(t, { worker: false, env: { SANDBOX_RUNTIME: 'runc' } });
  const reply = await request(url, 'POST', '/runs', { language: 'bash', source: 'id -u', root: true });
  t.equal(reply.status, 403);
  t.equal(reply.body.code, 'forbidden');
  t.match(reply.body.message, /gVisor|userns-remap/);
});

t.test('USERNS_REMAP set wrongly: the worker asks the engine and refuses root, leaving no container', async (t) => {
  const { url } = await startService(t, { env: { SANDBOX_RUNTIME: 'runc', USERNS_REMAP: 'true' } });
  const record = await runToEnd(url, { language: 'bash', source: 'id -u', root: true }).catch((error: Error) => t.fail(error.message));
  t.match(record, { status: 'failed', error: /userns-remap/, stdout: '' });
  t.same(await containersLeftBy(record.id), []);
});

t.test('under gVisor a root run is uid 0 inside and an unprivileged uid on the host', async (t) => {
  const { url, wsUrl } = await startService(t, { env: { SANDBOX_RUNTIME: 'runsc' } });
  const { body: run } = await request(url, 'POST', '/runs', {
    language: 'bash',
    source: 'id -u; echo written > /work/owned && cat /work/owned; sleep 4',
    root: true,
  });
  const { uid } = await hostView(docker, run.id);
  t.ok(uid !== undefined && uid !== '0', `the sandbox's host process runs as uid ${uid}, not root`);
  t.match(await recordAtEnd(wsUrl, run.id), { status: 'completed', verdict: 'ok', stdout: '0\nwritten\n' });

  const plain = await runToEnd(url, { language: 'bash', source: 'id -u' });
  t.equal(plain.stdout, '1000\n', 'without root a run under gVisor is uid 1000');
});

t.test('under userns-remap a root run is uid 0 with root powers inside and an unprivileged uid on the host', async (t) => {
  t.ok(
    existsSync(USERNS_DOCKER_SOCKET),
    `a userns-remap engine answers on ${USERNS_DOCKER_SOCKET} (scripts/ensure-docker-userns.sh; make test starts it)`,
  );
  const engine = new Docker({ socketPath: USERNS_DOCKER_SOCKET });
  const { url, wsUrl } = await startService(t, { docker: engine, env: { SANDBOX_RUNTIME: 'runc', USERNS_REMAP: 'true' } });
  // chown needs CAP_CHOWN: root inside has its powers over the container's own files.
  const source = 'id -u; touch /work/f && chown 4242:4242 /work/f && stat -c %u /work/f; sleep 4';
  const { body: run } = await request(url, 'POST', '/runs', { language: 'bash', source, root: true });
  const { uid, uidMap } = await hostView(engine, run.id);
  t.ok(uid !== undefined && Number(uid) >= 65536, `container root is host uid ${uid}, a subordinate uid, not root`);
  t.match(uidMap, /^0 \d+ \d+$/, `uid 0 inside maps elsewhere: ${uidMap}`);
  t.not(uidMap?.split(' ')[1], '0');
  t.match(await recordAtEnd(wsUrl, run.id), { status: 'completed', verdict: 'ok', stdout: '0\n4242\n' });

  const plain = await runToEnd(url, { language: 'bash', source: 'id -u; chown 0 /work 2>&1 || echo refused' });
  t.match(plain.stdout, /^1000\n[^]*refused\n$/, 'without root a run is uid 1000 with no powers, on this engine too');
  t.same(await containersLeftBy(run.id, engine), [], 'no container left');
});
