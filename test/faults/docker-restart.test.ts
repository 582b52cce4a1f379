// Fault: the Docker daemon is restarted while runs are in flight. Runs in flight end with a
// clear record (failed with an error, never stuck running); a run submitted while the
// daemon is away is retried and runs once it is back (or ends failed, saying why); runs
// after it succeed; the worker's /readyz reports the outage. live-restore is on, so the
// sandboxes may outlive the daemon: their containers are removed by the reaper.
//
// This restarts the machine's one Docker daemon, which disturbs anything else using it, so
// it runs only when RUNBOX_FAULTS_DOCKER=1 (CI sets it; `make test` exports it).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { call, followStream, terminal, waitFor, waitForStatus } from './helpers/client.js';
import { startCluster } from './helpers/cluster.js';
import { containersOf, docker, pooledCreatedBetween } from './helpers/docker.js';
import { root, sleep } from './helpers/processes.js';

const enabled = process.env.RUNBOX_FAULTS_DOCKER === '1';

function dockerdPid(): number | undefined {
  try {
    return Number(readFileSync('/var/run/docker.pid', 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** scripts/ensure-docker.sh, as the Makefile runs it: starts dockerd (detached) and waits for it to answer. */
function ensureDocker(): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(join(root, 'scripts/ensure-docker.sh'), [], { cwd: root, detached: true, stdio: 'ignore' });
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

t.test(
  'Docker daemon restarted mid-run: clear records, retries after, readiness reports it',
  { skip: enabled ? false : 'set RUNBOX_FAULTS_DOCKER=1 to restart the Docker daemon (disturbs other users of it)' },
  async (t) => {
    // Whatever happens, the daemon is running again when this test ends.
    t.teardown(async () => {
      if (
        !(await docker.ping().then(
          () => true,
          () => false,
        ))
      )
        await ensureDocker();
    });
    const clusterAt = Date.now();
    const cluster = await startCluster(t, { workers: 1, env: { JOB_ATTEMPTS: '6', JOB_BACKOFF_MS: '1000' } });
    const [worker] = cluster.workers;
    const { api } = cluster;

    const inFlight: { id: string; token: string }[] = [];
    for (let i = 0; i < 2; i++) {
      const token = `t-${randomUUID()}`;
      const { body } = await cluster.submit({ language: 'bash', source: `echo ${token}; sleep 10; echo done`, limits: { timeMs: 15_000 } });
      inFlight.push({ id: body.id, token });
    }
    for (const run of inFlight) {
      await waitFor(`${run.id} to print`, 20_000, async () =>
        (await call(api.url, 'GET', `/runs/${run.id}`)).body.status === 'running' ? true : undefined,
      );
    }
    await sleep(500);

    const pid = dockerdPid();
    t.ok(pid && alive(pid), `dockerd runs (pid ${pid})`);
    const stoppedAt = Date.now();
    process.kill(pid!, 'SIGTERM');
    await waitFor('dockerd to exit', 60_000, async () => (alive(pid!) ? undefined : true), 200);
    t.comment(`dockerd stopped in ${Date.now() - stoppedAt} ms`);

    const ready = await call(worker.url, 'GET', '/readyz', undefined, 5_000);
    t.equal(ready.status, 503, "the worker's /readyz is 503 while the daemon is away");
    t.match(ready.body, { checks: { docker: /^unavailable: /, redis: 'ok' } }, `and says why: ${JSON.stringify(ready.body.checks)}`);
    t.equal((await call(api.url, 'GET', '/readyz')).status, 200, 'the API, which never touches Docker, stays ready');
    const during = await cluster.submit({ language: 'bash', source: 'echo during' });
    t.equal(during.status, 202, 'submissions are still accepted');
    await sleep(1_000);

    const startedAt = Date.now();
    t.equal(await ensureDocker(), 0, 'scripts/ensure-docker.sh starts the daemon again');
    t.comment(`dockerd was away for ${Date.now() - stoppedAt} ms (restart took ${Date.now() - startedAt} ms)`);
    await waitFor('the worker to be ready again', 30_000, async () =>
      (await call(worker.url, 'GET', '/readyz')).status === 200 ? true : undefined,
    );
    t.pass("the worker's /readyz is 200 again");

    for (const run of inFlight) {
      const record = await waitForStatus(api.url, run.id, 60_000);
      t.comment(
        `in-flight run ${run.id}: ${record.status}${record.error ? ` (${record.error})` : ''}, stdout ${JSON.stringify(record.stdout)}`,
      );
      t.ok(terminal.has(record.status), 'the in-flight run ended: not stuck running');
      if (record.status === 'failed') t.match(record, { error: /\S/ }, 'failed, with an error saying what happened');
      else t.match(record, { status: 'completed', stdout: `${run.token}\ndone\n` }, 'or completed with its whole output');
      const { frames } = await followStream(() => api.wsUrl, run.id, 10_000);
      t.equal(frames.filter((f) => f.type === 'status' && f.status === 'running').length, 1, 'it started once');
      t.equal(frames.at(-1)?.type, 'end', 'its stream ended');
    }
    const duringRecord = await waitForStatus(api.url, during.body.id, 90_000);
    t.comment(`run submitted during the outage: ${duringRecord.status}${duringRecord.error ? ` (${duringRecord.error})` : ''}`);
    t.ok(
      duringRecord.status === 'completed' ? duringRecord.stdout === 'during\n' : Boolean(duringRecord.error),
      'the run submitted during the outage ran once the daemon was back (or failed, saying why)',
    );

    const after = await call(api.url, 'POST', '/runs?wait=true', { language: 'bash', source: 'echo after' }, 60_000);
    t.match(after.body, { status: 'completed', verdict: 'ok', stdout: 'after\n' }, 'a run after the restart succeeds');

    // live-restore kept the in-flight sandboxes alive; past their deadline the reaper removes them.
    await waitFor(
      'the in-flight sandboxes to be gone',
      90_000,
      async () => ((await containersOf(inFlight.map((r) => r.id))).length === 0 ? true : undefined),
      2_000,
    );
    t.pass('no sandbox of the in-flight runs is left');

    // The worker's warm sandboxes from before the restart lost their channels with the daemon
    // (live-restore kept them running): it removes them, trying again while the daemon is away,
    // rather than leaving them to the reaper at their pool deadline (POOL_MAX_AGE_MS away).
    await waitFor(
      'the pooled sandboxes made before the restart to be gone',
      90_000,
      async () => ((await pooledCreatedBetween(clusterAt, stoppedAt)).length === 0 ? true : undefined),
      2_000,
    );
    t.pass('no pooled sandbox from before the restart is left');
  },
);
