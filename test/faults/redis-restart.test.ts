// Fault: Redis (append-only file on) is restarted while clients keep submitting. Every
// submission that got a 202 must end with a true record; while Redis is down the API
// answers 503 `unavailable` quickly (never hangs, never 500) and /readyz says why; the
// workers reconnect by themselves and run what was queued.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import WebSocket from 'ws';
import { call, followStream, terminal, waitFor, waitForStatus, type Reply } from './helpers/client.js';
import { startCluster, warnings } from './helpers/cluster.js';
import { watchSandboxStarts } from './helpers/docker.js';
import { sleep } from './helpers/processes.js';

interface Submission {
  token: string;
  at: number;
  reply: Reply;
  phase: 'before' | 'down' | 'after';
}

const REQUEST_TIMEOUT_MS = 3_000;

t.test('Redis restarted under load: 202 means a true record, 503 while down, workers reconnect', async (t) => {
  // A lock longer than the outage: in-flight runs keep their jobs (docs/reliability.md).
  const cluster = await startCluster(t, { workers: 2, env: { WORKER_LOCK_MS: '30000', WORKER_STALLED_INTERVAL_MS: '5000' } });
  const { api } = cluster;
  let phase: Submission['phase'] = 'before';
  const submissions: Submission[] = [];
  let submitting = true;

  // Four clients submitting back to back; some runs print, sleep and print again, so that
  // runs are in flight on the workers when Redis goes away.
  const client = async (n: number) => {
    for (let i = 0; submitting; i++) {
      const token = `t-${randomUUID()}`;
      const source = i % 3 === 0 ? `echo ${token}; sleep 1; echo done` : `echo ${token}`;
      const at = Date.now();
      const current = phase;
      const reply = await call(api.url, 'POST', '/runs', { language: 'bash', source }, REQUEST_TIMEOUT_MS);
      submissions.push({ token, at, reply, phase: current });
      if (reply.status === 202) cluster.runIds.add(reply.body.id);
      // About a dozen submissions a second in all: more than two workers drain, so a queue builds.
      await sleep(reply.status === 202 ? 300 : 100 + n);
    }
  };
  const clients = Promise.all([0, 1, 2, 3].map(client));

  await sleep(3_000);
  phase = 'down';
  const downAt = Date.now();
  t.equal((await cluster.redis.stop()).code, 0, 'redis-server stopped cleanly (SIGTERM: append-only file flushed)');

  // While Redis is away: readiness says so, on the API and on each worker.
  await sleep(1_000);
  const apiReady = await call(api.url, 'GET', '/readyz', undefined, REQUEST_TIMEOUT_MS);
  t.equal(apiReady.status, 503, 'API /readyz is 503 while Redis is down');
  t.match(
    apiReady.body,
    { status: 'unavailable', checks: { redis: /^unavailable: / } },
    `API /readyz says why: ${JSON.stringify(apiReady.body.checks)}`,
  );
  for (const worker of cluster.workers) {
    const ready = await call(worker.url, 'GET', '/readyz', undefined, REQUEST_TIMEOUT_MS);
    t.equal(ready.status, 503, `${worker.name} /readyz is 503 while Redis is down`);
    t.match(ready.body, { checks: { redis: /^unavailable: / } }, `${worker.name} /readyz says why`);
  }
  const read = await call(api.url, 'GET', `/runs/${randomUUID()}`, undefined, REQUEST_TIMEOUT_MS);
  t.equal(read.status, 503, 'a read is 503 too');
  await sleep(3_000);

  phase = 'after';
  await cluster.redis.start();
  const upAt = Date.now();
  t.comment(`Redis was down for ${upAt - downAt} ms`);
  await sleep(8_000);
  submitting = false;
  await clients;

  const down = submissions.filter((s) => s.phase === 'down');
  const byStatus = (list: Submission[]) =>
    list.reduce<Record<string, number>>((acc, s) => ((acc[s.reply.status] = (acc[s.reply.status] ?? 0) + 1), acc), {});
  t.comment(
    `submissions: before ${JSON.stringify(byStatus(submissions.filter((s) => s.phase === 'before')))}, down ${JSON.stringify(byStatus(down))}, after ${JSON.stringify(byStatus(submissions.filter((s) => s.phase === 'after')))}`,
  );
  t.ok(down.length >= 20, `clients kept submitting while Redis was down (${down.length})`);
  t.same(
    submissions.filter((s) => s.reply.status === 0).map((s) => s.reply.body),
    [],
    `no request hung past ${REQUEST_TIMEOUT_MS} ms or was refused`,
  );
  t.same(
    submissions.filter((s) => s.reply.status >= 500 && s.reply.status !== 503),
    [],
    'no 500: an unreachable Redis is a 503',
  );
  const refused = submissions.filter((s) => s.reply.status === 503);
  t.ok(
    refused.every((s) => s.reply.body.code === 'unavailable' && s.reply.ms < 2_000),
    `every 503 is \`unavailable\` and quick (slowest ${Math.round(Math.max(0, ...refused.map((s) => s.reply.ms)))} ms)`,
  );
  const lastRefusal = Math.max(...refused.map((s) => s.at));
  t.comment(
    `503s answered from ${Math.round(Math.min(...refused.map((s) => s.at + s.reply.ms)) - downAt)} ms after Redis stopped to ${lastRefusal - upAt} ms after it was back`,
  );
  if (lastRefusal > upAt + 2_000) {
    const errors = new Set(
      api.logs
        .filter((l) => (l.level ?? 0) >= 50 && Number(l.time) > upAt)
        .map((l) => `${l.msg}: ${(l.err as { message?: string })?.message}`),
    );
    t.comment(`API errors after Redis was back: ${[...errors].slice(0, 10).join(' | ')}`);
  }
  // The API's connections retry with a growing delay (ioredis: up to 2 s), so the first
  // seconds after Redis is back may still be refused. A request sent just before the stop and
  // answered after it may be refused too: what counts is when the answer came.
  t.ok(
    refused.every((s) => s.at + s.reply.ms >= downAt - 100 && s.at <= upAt + 5_000),
    '503s only during the outage and the reconnect after it',
  );
  const afterOutage = submissions.filter((s) => s.phase === 'after' && s.at > upAt + 5_000);
  t.ok(afterOutage.length > 0 && afterOutage.every((s) => s.reply.status === 202), 'submissions succeed again once Redis is back');

  // Every 202: a record that ends, and is true: completed with the program's own output,
  // or failed with an error; its stream ends too.
  const accepted = submissions.filter((s) => s.reply.status === 202);
  const outcomes: Record<string, number> = {};
  for (const s of accepted) {
    const record = await waitForStatus(api.url, s.reply.body.id, 60_000).catch((error: Error) => ({
      status: `never ended (${error.message})`,
    }));
    outcomes[record.status] = (outcomes[record.status] ?? 0) + 1;
    if (record.status === 'completed') {
      if (!record.stdout.startsWith(`${s.token}\n`))
        t.fail(`run ${record.id}: stdout ${JSON.stringify(record.stdout)} is not its program's`);
    } else if (record.status === 'failed') {
      if (typeof record.error !== 'string' || !record.error) t.fail(`run ${record.id} failed without an error`);
    } else {
      const id = s.reply.body.id;
      const [fields, job, active, waiting, delayed] = await Promise.all([
        cluster.inspect.hgetall(`runbox:run:${id}`),
        cluster.inspect.hgetall(`bull:runbox-runs:${id}`),
        cluster.inspect.lpos('bull:runbox-runs:active', id),
        cluster.inspect.lpos('bull:runbox-runs:wait', id),
        cluster.inspect.zscore('bull:runbox-runs:delayed', id),
      ]);
      const logs = [...cluster.apis, ...cluster.workers].flatMap((p) =>
        p.logs.filter((l) => l.runId === id).map((l) => `${p.name}: ${l.msg} ${JSON.stringify(l.err ?? '')}`),
      );
      t.fail(`run ${id} (202 at ${s.at - downAt} ms from the outage) ${record.status}`, {
        record: { status: fields.status, startedAt: fields.startedAt },
        job: { ...job, data: undefined, opts: undefined, active, waiting, delayed },
        logs,
      });
    }
  }
  t.comment(`the ${accepted.length} accepted runs ended: ${JSON.stringify(outcomes)}`);
  t.equal(Object.entries(outcomes).filter(([status]) => !terminal.has(status)).length, 0, 'every accepted run ended');
  const failedRecords = outcomes.failed ?? 0;
  t.ok(failedRecords <= 8, `at most the runs in flight during the outage failed (${failedRecords})`);

  const sample = [...accepted.filter((s) => s.phase === 'before').slice(-4), ...accepted.filter((s) => s.phase === 'after').slice(0, 4)];
  for (const s of sample) {
    const { frames } = await followStream(() => api.wsUrl, s.reply.body.id, 10_000);
    if (frames.at(-1)?.type !== 'end') t.fail(`run ${s.reply.body.id}: its stream did not end`);
  }
  t.pass('the streams of runs around the outage end');

  // The workers reconnected by themselves: they are ready again and run new work.
  for (const worker of cluster.workers) {
    await waitFor(`${worker.name} ready again`, 20_000, async () =>
      (await call(worker.url, 'GET', '/readyz')).status === 200 ? true : undefined,
    );
  }
  const fresh = await call(api.url, 'POST', '/runs?wait=true', { language: 'bash', source: 'echo fresh' }, 30_000);
  t.match(fresh.body, { status: 'completed', stdout: 'fresh\n' }, 'a new run completes');
  t.comment(`worker errors logged during the outage: ${cluster.workers.map((w) => warnings(w, /./).length).join(', ')}`);
});

t.test('Redis away for longer than the job lock: each run in flight still ends once, and never runs twice', async (t) => {
  const cluster = await startCluster(t, { workers: 2, env: { WORKER_LOCK_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000' } });
  const { api } = cluster;
  const starts = await watchSandboxStarts();
  t.teardown(() => starts.stop());
  const runs: { id: string; token: string }[] = [];
  for (let i = 0; i < 4; i++) {
    const token = `t-${randomUUID()}`;
    const { status, body } = await cluster.submit({ language: 'bash', source: `echo ${token}; sleep 3; echo done` });
    t.equal(status, 202);
    runs.push({ id: body.id, token });
  }
  for (const run of runs) await waitForStatus(api.url, run.id, 20_000, new Set(['running']));
  await cluster.redis.stop();
  await sleep(6_000); // the locks (2 s) lapse while Redis is away
  await cluster.redis.start();
  for (const run of runs) {
    const record = await waitForStatus(api.url, run.id, 60_000);
    const { frames } = await followStream(() => api.wsUrl, run.id, 10_000);
    // The stored stream itself (a client stops reading at the first end frame).
    const entries = await cluster.inspect.xrange(`runbox:run:${run.id}:events`, '-', '+');
    const types = entries.map(([, fields]) => fields[1]);
    t.equal(types.filter((type) => type === 'end').length, 1, `${run.id}: one end frame in the stream`);
    t.equal(frames.at(-1)?.type, 'end', `${run.id}: its stream ends`);
    t.equal(frames.filter((f) => f.type === 'status' && f.status === 'running').length, 1, `${run.id}: started once`);
    if (record.status === 'completed') t.equal(record.stdout, `${run.token}\ndone\n`, `${run.id}: completed with its own output`);
    else t.match(record, { status: 'failed', error: String }, `${run.id}: or failed, saying why`);
    t.comment(`${run.id}: ${record.status}${record.error ? ` (${record.error})` : ''}`);
  }
  const counts = await starts.stop();
  t.same(
    runs.map((r) => counts.get(r.id)),
    runs.map(() => 1),
    'one sandbox per run, ever',
  );
  // A run recorded lost by the other worker while its own worker still ran it: that worker's result is dropped, not written over.
  const dropped = cluster.workers.flatMap((w) => w.logs.filter((l) => /result is dropped/.test(String(l.msg))));
  t.comment(`results dropped because the run had been recorded lost meanwhile: ${dropped.length}`);
  // A job whose lock lapsed while Redis was away cannot be completed by its worker; the
  // stalled check (every second here) hands it out again, and the processor, finding its
  // run ended, completes it. So the active list drains within seconds, not at once.
  let jobs = -1;
  await waitFor(
    'the active jobs to drain',
    20_000,
    async () => ((jobs = await cluster.inspect.llen('bull:runbox-runs:active')) === 0 ? true : undefined),
    500,
  ).catch(() => undefined);
  t.equal(jobs, 0, 'no job is left active');
});

t.test('a run in flight across a Redis restart still hears its client: stdin and cancel after it', async (t) => {
  const cluster = await startCluster(t, { workers: 1, env: { WORKER_LOCK_MS: '30000' } });
  const { api } = cluster;
  const { body: interactive } = await cluster.submit({
    language: 'bash',
    source: 'echo ready; read line; echo "got $line"',
    interactive: true,
    limits: { timeMs: 30_000 },
  });
  const { body: long } = await cluster.submit({ language: 'bash', source: 'echo ready; sleep 25', limits: { timeMs: 30_000 } });
  for (const id of [interactive.id, long.id]) await waitForStatus(api.url, id, 20_000, new Set(['running']));
  await cluster.redis.stop();
  await sleep(3_000);
  await cluster.redis.start();
  await waitFor('the API to reach Redis again', 10_000, async () =>
    (await call(api.url, 'GET', '/readyz')).status === 200 ? true : undefined,
  );

  // The client's frames sent after the restart reach the program.
  const ws = new WebSocket(`${api.wsUrl}/runs/${interactive.id}/stream`);
  ws.on('open', () => {
    ws.send(JSON.stringify({ type: 'stdin', data: 'hello\n' }));
    ws.send(JSON.stringify({ type: 'eof' }));
  });
  ws.on('error', () => undefined);
  const record = await waitForStatus(api.url, interactive.id, 20_000);
  ws.close();
  t.match(record, { status: 'completed', stdout: 'ready\ngot hello\n' }, 'stdin sent after the restart reached the program');

  const started = Date.now();
  t.equal((await call(api.url, 'DELETE', `/runs/${long.id}`)).status, 202);
  const cancelled = await waitForStatus(api.url, long.id, 30_000);
  t.match(cancelled, { status: 'cancelled' }, `a cancel after the restart stops the run (in ${Date.now() - started} ms)`);
});
