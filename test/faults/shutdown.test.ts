// Graceful shutdown of the real processes. SIGTERM to a worker: it takes no new job, lets
// running ones finish within SHUTDOWN_GRACE_MS, kills and records what is left, removes its
// containers and exits 0. SIGTERM to the API: it stops accepting, closes streams with 1001
// and exits 0. A second signal forces: a non-zero exit at once.
import t from 'tap';
import WebSocket from 'ws';
import { call, followStream, waitForStatus } from './helpers/client.js';
import { startCluster } from './helpers/cluster.js';
import { containersOf } from './helpers/docker.js';
import { sleep } from './helpers/processes.js';

const running = new Set(['running']);

t.test('SIGTERM to a worker: drains within its grace period, records the rest, exits 0', async (t) => {
  const cluster = await startCluster(t, { workers: 1, env: { SHUTDOWN_GRACE_MS: '3000' } });
  const [worker] = cluster.workers;
  const { body: short } = await cluster.submit({ language: 'bash', source: 'echo short; sleep 1; echo done' });
  const { body: long } = await cluster.submit({ language: 'bash', source: 'echo long; sleep 30', limits: { timeMs: 40_000 } });
  await waitForStatus(cluster.api.url, short.id, 10_000, running);
  await waitForStatus(cluster.api.url, long.id, 10_000, running);
  await sleep(300); // both have printed their first line

  const stopping = Date.now();
  worker.signal('SIGTERM');
  await sleep(200);
  // Submitted after the signal: the stopping worker must not take it.
  const { body: later } = await cluster.submit({ language: 'bash', source: 'echo later' });
  const exit = await worker.exited;
  const tookMs = Date.now() - stopping;
  t.equal(exit.code, 0, 'the worker exits 0');
  t.ok(tookMs >= 2_500 && tookMs < 8_000, `it stopped after its grace period of 3 s (${tookMs} ms)`);
  t.match(
    await waitForStatus(cluster.api.url, short.id, 5_000),
    { status: 'completed', verdict: 'ok', stdout: 'short\ndone\n' },
    'the short run finished within the grace period',
  );
  t.match(
    await waitForStatus(cluster.api.url, long.id, 5_000),
    { status: 'failed', error: /shut down/, stdout: 'long\n' },
    'the long run was killed and recorded as failed, with its output so far',
  );
  t.same(await containersOf([short.id, long.id]), [], 'its containers are gone');
  t.match(
    (await call(cluster.api.url, 'GET', `/runs/${later.id}`)).body,
    { status: 'queued' },
    'the run submitted after the signal was not taken',
  );
  await worker.waitForLog((l) => /grace period over/.test(String(l.msg)), 1_000, 'the grace-period warning');
  const { frames } = await followStream(() => cluster.api.wsUrl, long.id, 5_000);
  t.equal(frames.at(-1)?.type, 'end', "the killed run's stream ended");

  await cluster.startWorker();
  t.match(await waitForStatus(cluster.api.url, later.id, 20_000), { status: 'completed', stdout: 'later\n' }, 'the next worker runs it');
});

t.test('a second SIGTERM forces the worker out at once; the run it left is then recorded as lost', async (t) => {
  const cluster = await startCluster(t, { workers: 1, env: { SHUTDOWN_GRACE_MS: '60000' } });
  const [worker] = cluster.workers;
  const { body: run } = await cluster.submit({ language: 'bash', source: 'echo long; sleep 30', limits: { timeMs: 40_000 } });
  await waitForStatus(cluster.api.url, run.id, 10_000, running);
  worker.signal('SIGTERM');
  await worker.waitForLog((l) => l.msg === 'shutting down', 5_000, 'the shutdown log line');
  await sleep(500);
  t.ok(worker.alive, 'the first signal drains (the run has 60 s of grace)');
  const second = Date.now();
  worker.signal('SIGTERM');
  const exit = await worker.exited;
  t.not(exit.code, 0, `a second signal exits non-zero (${exit.code})`);
  t.ok(Date.now() - second < 2_000, `and quickly (${Date.now() - second} ms)`);
  await worker.waitForLog((l) => /second signal/.test(String(l.msg)), 1_000, 'the forced-exit warning');

  // Forced out, it recorded nothing: the next worker finds the run left running.
  await cluster.startWorker();
  t.match(
    await waitForStatus(cluster.api.url, run.id, 30_000),
    { status: 'failed', error: /lost/ },
    'the run ends failed (worker lost) instead of staying running',
  );
});

t.test('SIGTERM to the API: closes streams with 1001, stops accepting, exits 0; runs go on', async (t) => {
  const cluster = await startCluster(t, { workers: 1 });
  const { api } = cluster;
  const { body: run } = await cluster.submit({ language: 'bash', source: 'echo first; sleep 3; echo second' });
  const ws = new WebSocket(`${api.wsUrl}/runs/${run.id}/stream`);
  const frames: any[] = [];
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  const firstOutput = new Promise<void>((resolve) =>
    ws.on('message', (data) => {
      frames.push(JSON.parse(data.toString()));
      if (frames.at(-1).type === 'stdout') resolve();
    }),
  );
  await firstOutput;
  // A request waiting for a run's end is in flight when the signal comes.
  const waiting = call(api.url, 'POST', '/runs?wait=true', { language: 'bash', source: 'sleep 4; echo waited' }, 20_000);
  await sleep(300);

  const stopping = Date.now();
  api.signal('SIGTERM');
  t.equal(await closed, 1001, 'the open stream is closed with 1001 (going away)');
  const exit = await api.exited;
  t.equal(exit.code, 0, 'the API exits 0');
  const tookMs = Date.now() - stopping;
  t.ok(tookMs < 5_000, `promptly (${tookMs} ms)`);
  const held = await waiting;
  t.comment(`the waiting request got ${held.status} ${JSON.stringify(held.body).slice(0, 120)}`);
  t.equal(held.status, 202, 'the waiting request was answered at once, not dropped or held');
  t.match(held.body, { status: /^(queued|running)$/ }, 'with the record as it stood');
  const refused = await call(api.url, 'GET', '/healthz', undefined, 2_000);
  t.equal(refused.status, 0, `a new connection is refused once it has stopped (${refused.body.error})`);

  // The run did not depend on the API: it completes, and a new API serves its record.
  const next = await cluster.startApi();
  t.match(await waitForStatus(next.url, run.id, 20_000), { status: 'completed', stdout: 'first\nsecond\n' }, 'the run completed meanwhile');
});
