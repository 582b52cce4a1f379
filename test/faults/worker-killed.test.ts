// Fault: a worker process is killed (SIGKILL) while it runs a program. The run must not stay
// `running`: the surviving worker is handed the stalled job, sees that the program may
// have run, and records the run as failed without running it again; the stream ends; the
// orphan container is removed by the reaper once past its deadline.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { call, followStream, waitFor, waitForStatus } from './helpers/client.js';
import { startCluster } from './helpers/cluster.js';
import { containersOf, watchSandboxStarts } from './helpers/docker.js';

t.test('a worker killed mid-run: the run ends failed once, its stream ends, its container is reaped', async (t) => {
  const cluster = await startCluster(t, { workers: 1 });
  const [first] = cluster.workers;
  const starts = await watchSandboxStarts();
  t.teardown(() => starts.stop());
  const token = `token-${randomUUID()}`;
  // Prints its token once, then sleeps: a second execution would print it again.
  const { status, body: run } = await cluster.submit({ language: 'bash', source: `echo ${token}; sleep 8`, limits: { timeMs: 10_000 } });
  t.equal(status, 202);

  let sawToken!: () => void;
  const tokenSeen = new Promise<void>((r) => (sawToken = r));
  const following = followStream(
    () => cluster.api.wsUrl,
    run.id,
    90_000,
    (frame) => {
      if (frame.type === 'stdout' && frame.data.includes(token)) sawToken();
    },
  );
  await tokenSeen;
  // The second worker is up before the first dies, so it is the one to notice.
  const second = await cluster.startWorker();
  t.ok((await containersOf([run.id])).length === 1, 'the run has its container while it runs');
  first.signal('SIGKILL');
  const killedAt = Date.now();
  t.equal((await first.exited).signal, 'SIGKILL', 'the first worker is gone');

  const record = await waitForStatus(cluster.api.url, run.id, 30_000);
  const detectedMs = Date.now() - killedAt;
  t.comment(`the lost run was recorded ${detectedMs} ms after the kill`);
  t.match(record, { status: 'failed', error: /worker .*lost/, stdout: '', finishedAt: String }, 'failed, saying the worker was lost');
  t.ok(detectedMs < 20_000, 'noticed within seconds (WORKER_LOCK_MS 3000, WORKER_STALLED_INTERVAL_MS 1000)');
  await second.waitForLog((l) => l.runId === run.id && /lost worker/.test(String(l.msg)), 5_000, 'the lost-run warning');

  const { frames, closeCodes } = await following;
  t.equal(closeCodes.at(-1), 1000, 'the stream closes normally');
  t.same(
    frames.filter((f) => f.type === 'status').map((f) => f.status),
    ['queued', 'running', 'failed'],
    'one running frame: never started twice',
  );
  t.same(
    frames.filter((f) => f.type === 'stdout').map((f) => f.data),
    [`${token}\n`],
    'the token once',
  );
  const stored = await cluster.inspect.xrange(`runbox:run:${run.id}:events`, '-', '+');
  t.equal(stored.filter(([, fields]) => fields[1] === 'end').length, 1, 'one end frame in the stored stream');
  t.match(frames.at(-1), { type: 'end', run: { status: 'failed', error: /lost/ } });

  // The container outlives its worker (runbox-run stops the program at its time limit);
  // the surviving worker's reaper removes it once its deadline label has passed.
  await waitFor(
    'the orphan container to be reaped',
    60_000,
    async () => ((await containersOf([run.id])).length === 0 ? true : undefined),
    1_000,
  );
  t.pass('the orphan container was removed by the reaper');
  await second.waitForLog((l) => /reaper removed/.test(String(l.msg)), 5_000, 'the reaper log line');
  t.equal((await starts.stop()).get(run.id), 1, 'the engine started one sandbox for the run, ever');

  // The survivor keeps serving.
  const after = await call(cluster.api.url, 'POST', '/runs?wait=true', { language: 'bash', source: 'echo after' }, 30_000);
  t.match(after.body, { status: 'completed', stdout: 'after\n' }, 'the surviving worker runs new work');
});

t.test('a worker killed the moment its run turns running: the run still ends once', async (t) => {
  const cluster = await startCluster(t, { workers: 1 });
  const [first] = cluster.workers;
  const watch = await watchSandboxStarts();
  t.teardown(() => watch.stop());
  const token = `token-${randomUUID()}`;
  const { body: run } = await cluster.submit({ language: 'bash', source: `echo ${token}` });
  // The record turns running before the container is created: kill the worker at that moment.
  await waitForStatus(cluster.api.url, run.id, 10_000, new Set(['running', 'completed']));
  first.signal('SIGKILL');
  await first.exited;
  await cluster.startWorker();
  const record = await waitForStatus(cluster.api.url, run.id, 30_000);
  const starts = (await watch.stop()).get(run.id) ?? 0;
  t.comment(`ended ${record.status}; sandboxes started: ${starts}`);
  t.ok(starts <= 1, 'never started twice');
  if (record.status === 'completed') t.match(record, { stdout: `${token}\n` }, 'it had finished before the kill');
  else t.match(record, { status: 'failed', error: /lost/ }, 'or it is recorded as lost');
  const { frames } = await followStream(() => cluster.api.wsUrl, run.id, 10_000);
  t.equal(frames.filter((f) => f.type === 'status' && f.status === 'running').length, 1, 'one running frame');
  t.equal(frames.at(-1)?.type, 'end', 'the stream ends');
});
