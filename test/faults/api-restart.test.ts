// Fault: the API process is restarted while clients stream runs: once gracefully (SIGTERM:
// streams close with 1001) and once by a crash (SIGKILL: the connections just drop).
// Clients reconnect with ?from=N (N = the last seq they saw) and get every frame once: no
// gap, no duplicate, then the end frame and 1000.
import t from 'tap';
import { followStream, waitFor, waitForStatus } from './helpers/client.js';
import { startCluster } from './helpers/cluster.js';

const LINES = 60;

t.test('API restarted twice while clients stream: every frame once after ?from=N', async (t) => {
  const cluster = await startCluster(t, { workers: 2 });
  const port = cluster.api.port;
  let api = cluster.api;
  // A line every 100 ms for 6 s: output keeps coming across both restarts.
  const source = `for i in $(seq 1 ${LINES}); do echo "line $i"; sleep 0.1; done`;
  const expected = Array.from({ length: LINES }, (_, i) => `line ${i + 1}\n`).join('');
  const runs = [];
  for (let i = 0; i < 4; i++) runs.push((await cluster.submit({ language: 'bash', source })).body);
  const seen = new Map<string, number>(runs.map((r) => [r.id, 0]));
  const clients = runs.map((run) =>
    followStream(
      () => api.wsUrl,
      run.id,
      60_000,
      (frame) => {
        if (frame.type === 'stdout') seen.set(run.id, frame.seq);
      },
    ),
  );
  await waitFor('every client to see output', 20_000, async () => ([...seen.values()].every((seq) => seq >= 3) ? true : undefined), 50);

  const first = api;
  first.signal('SIGTERM');
  t.equal((await first.exited).code, 0, 'the API stopped by SIGTERM exits 0');
  api = await cluster.startApi({}, port);
  await waitFor('more output after the restart', 20_000, async () => ([...seen.values()].every((seq) => seq >= 20) ? true : undefined), 50);

  const second = api;
  second.signal('SIGKILL');
  await second.exited;
  api = await cluster.startApi({}, port);

  for (const [i, run] of runs.entries()) {
    const { frames, closeCodes, resumedFrom } = await clients[i];
    // Runs of equal values as "value xN": a client retries many times while the API is away.
    const runs = (values: number[]) =>
      values
        .reduce<[number, number][]>((acc, v) => (acc.at(-1)?.[0] === v ? acc.at(-1)![1]++ : acc.push([v, 1]), acc), [])
        .map(([v, n]) => (n > 1 ? `${v} x${n}` : `${v}`))
        .join(', ');
    t.comment(`${run.id}: connections closed with ${runs(closeCodes)}; reconnected with ?from= ${runs(resumedFrom)}`);
    t.ok(closeCodes.includes(1001), 'the graceful stop closed the stream with 1001 (going away)');
    t.ok(
      resumedFrom.some((n) => n > 0),
      'the client resumed after frames it had',
    );
    t.equal(closeCodes.at(-1), 1000, 'the last connection ends with 1000');
    const output = frames.filter((f) => f.type === 'stdout' || f.type === 'stderr');
    t.same(
      output.map((f) => f.seq),
      output.map((_, n) => n + 1),
      'seq 1..N, each once, in order: no gap, no duplicate',
    );
    t.equal(output.map((f) => f.data).join(''), expected, 'the output is whole');
    t.same(
      frames.filter((f) => f.type === 'status').map((f) => f.status),
      ['queued', 'running', 'completed'],
      'each status once',
    );
    t.equal(frames.filter((f) => f.type === 'end').length, 1, 'one end frame');
    const record = await waitForStatus(api.url, run.id, 10_000);
    t.equal(record.stdout, output.map((f) => f.data).join(''), 'the record has what the frames had');
  }
});
