// Load: 1,000 submissions in bursts across two worker processes (2 runs at once each). None
// is lost, none runs twice (each program prints a token of its own; the engine's events
// count the sandboxes per run), and every record agrees with its stream. Prints queue wait
// and end-to-end latency percentiles, and the throughput.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { call, percentile, readStreamOnce, waitFor } from './helpers/client.js';
import { startCluster } from './helpers/cluster.js';
import { watchSandboxStarts } from './helpers/docker.js';
import { sleep } from './helpers/processes.js';
import { pool } from '../helpers/pool.js';

const TOTAL = Number(process.env.RUNBOX_FAULTS_LOAD_RUNS ?? 1000);
const BURST = 100;

t.test(`${TOTAL} runs in bursts of ${BURST} over two workers: none lost, none twice, records match streams`, async (t) => {
  const cluster = await startCluster(t, { workers: 2, env: { WORKER_CONCURRENCY: '2', LOG_LEVEL: 'warn' } });
  const { api } = cluster;
  const starts = await watchSandboxStarts();
  t.teardown(() => starts.stop());
  const began = Date.now();

  const tokens: string[] = Array.from({ length: TOTAL }, () => `tok-${randomUUID()}`);
  const ids: string[] = new Array(TOTAL);
  const refused: unknown[] = [];
  for (let from = 0; from < TOTAL; from += BURST) {
    const burst = tokens.slice(from, from + BURST).map((token, i) => ({ token, i: from + i }));
    await Promise.all(
      burst.map(async ({ token, i }) => {
        const reply = await cluster.submit({ language: 'bash', source: `echo ${token}` }, 30_000);
        if (reply.status === 202) ids[i] = reply.body.id;
        else refused.push(reply.body);
      }),
    );
    await sleep(1_000);
  }
  const submittedMs = Date.now() - began;
  t.same(refused, [], `all ${TOTAL} submissions accepted (in ${submittedMs} ms)`);

  // Wait for every record to end, reading the statuses straight from Redis in one pipeline.
  const statusKey = (id: string) => `runbox:run:${id}`;
  await waitFor(
    `all ${TOTAL} runs to end`,
    280_000,
    async () => {
      const pipeline = cluster.inspect.pipeline();
      for (const id of ids) pipeline.hget(statusKey(id), 'status');
      const replies = (await pipeline.exec()) ?? [];
      const open = replies.filter(([, status]) => status === 'queued' || status === 'running').length;
      return open === 0 ? true : undefined;
    },
    2_000,
  );
  const endedMs = Date.now() - began;

  const records = await pool(ids, 20, async (id) => (await call(api.url, 'GET', `/runs/${id}`, undefined, 10_000)).body);
  const byStatus: Record<string, number> = {};
  for (const r of records) byStatus[`${r.status}/${r.verdict}`] = (byStatus[`${r.status}/${r.verdict}`] ?? 0) + 1;
  t.same(byStatus, { 'completed/ok': TOTAL }, 'every run completed ok: none lost');

  // Each token is printed by its own run only, exactly once.
  const printed = new Map<string, number>();
  for (const r of records)
    for (const token of String(r.stdout).match(/tok-[0-9a-f-]{36}/g) ?? []) printed.set(token, (printed.get(token) ?? 0) + 1);
  t.equal(records.filter((r, i) => r.stdout !== `${tokens[i]}\n`).length, 0, "every record holds its own program's output");
  t.same(
    [...printed.values()].filter((n) => n !== 1),
    [],
    'no token printed twice across all records',
  );
  t.equal(printed.size, TOTAL, 'every token printed');

  const counts = await starts.stop();
  const notOnce = ids.filter((id) => counts.get(id) !== 1);
  t.same(
    notOnce.map((id) => [id, counts.get(id)]),
    [],
    'the engine started exactly one sandbox per run',
  );

  // Records agree with their streams: stdout == the stdout frames, one running, one end.
  const mismatches: string[] = [];
  await pool(records, 20, async (record) => {
    const { frames, closeCode } = await readStreamOnce(api.wsUrl, record.id, undefined, undefined, 10_000);
    const stdout = frames
      .filter((f) => f.type === 'stdout')
      .map((f) => f.data)
      .join('');
    const statuses = frames
      .filter((f) => f.type === 'status')
      .map((f) => f.status)
      .join(',');
    if (
      closeCode !== 1000 ||
      stdout !== record.stdout ||
      statuses !== 'queued,running,completed' ||
      frames.filter((f) => f.type === 'end').length !== 1
    ) {
      mismatches.push(`${record.id}: close ${closeCode}, frames stdout ${JSON.stringify(stdout)}, statuses ${statuses}`);
    }
  });
  t.same(mismatches.slice(0, 5), [], `every stream matches its record (${mismatches.length} mismatches)`);

  // BullMQ keeps no finished jobs: the record is the truth.
  const [completed, failed, jobKeys] = await Promise.all([
    cluster.inspect.zcard('bull:runbox-runs:completed'),
    cluster.inspect.zcard('bull:runbox-runs:failed'),
    cluster.inspect.keys('bull:runbox-runs:*-*-*-*-*'),
  ]);
  t.same({ completed, failed, jobKeys: jobKeys.length }, { completed: 0, failed: 0, jobKeys: 0 }, 'no finished job is kept in Redis');
  const events = await cluster.inspect.xlen('bull:runbox-runs:events');
  t.ok(events <= 10_100, `BullMQ's event log is trimmed (${events} entries; maxLenEvents 10,000)`);

  const ms = (a: string, b: string) => Date.parse(b) - Date.parse(a);
  const wait = records.map((r) => ms(r.createdAt, r.startedAt));
  const e2e = records.map((r) => ms(r.createdAt, r.finishedAt));
  const service = records.map((r) => ms(r.startedAt, r.finishedAt));
  const first = Math.min(...records.map((r) => Date.parse(r.createdAt)));
  const last = Math.max(...records.map((r) => Date.parse(r.finishedAt)));
  const line = (name: string, v: number[]) =>
    `${name}: p50 ${percentile(v, 50)} ms, p95 ${percentile(v, 95)} ms, p99 ${percentile(v, 99)} ms, max ${Math.max(...v)} ms`;
  t.comment(`load: ${TOTAL} runs, 2 workers x 2 concurrent; submitted in ${submittedMs} ms; all ended after ${endedMs} ms`);
  t.comment(`throughput: ${((TOTAL * 1000) / (last - first)).toFixed(1)} runs/s (first submission to last finish: ${last - first} ms)`);
  t.comment(line('queue wait (startedAt - createdAt)', wait));
  t.comment(line('end to end (finishedAt - createdAt)', e2e));
  t.comment(line('on the worker (finishedAt - startedAt)', service));
  t.comment(
    line(
      'program run time (timeMs)',
      records.map((r) => r.timeMs),
    ),
  );
  t.ok(endedMs < 300_000, `the whole load ended within 5 minutes (${Math.round(endedMs / 1000)} s)`);
});
