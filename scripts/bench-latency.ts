// Latency figures of a running runbox (make up): the median POST /runs?wait=true of a
// python hello, 20 in a row, and the wall time of 50 submissions at once, each a
// POST /runs?wait=true (one key may hold WS_MAX_PER_KEY streams, 20 by default, so the
// burst does not wait through streams). Usage: node --import tsx scripts/bench-latency.ts [base-url]
const base = process.argv[2] ?? process.env.RUNBOX_URL ?? 'http://127.0.0.1:8080';
const hello = { language: 'python', source: 'print("hello")' };

async function post(path: string, body: unknown) {
  const response = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as { id: string; status: string; verdict: string } };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];

await post('/runs?wait=true', hello); // warm-up: images in the page cache, connections open
const sequential: number[] = [];
for (let i = 0; i < 20; i++) {
  const started = performance.now();
  const reply = await post('/runs?wait=true', hello);
  if (reply.status !== 200 || reply.body.verdict !== 'ok') throw new Error(`run ${i} did not end ok: ${JSON.stringify(reply.body)}`);
  sequential.push(performance.now() - started);
}
console.log(`sequential: 20 x POST /runs?wait=true python hello: median ${median(sequential).toFixed(0)} ms, min ${Math.min(...sequential).toFixed(0)} ms, max ${Math.max(...sequential).toFixed(0)} ms`);

const burstStarted = performance.now();
const perRun: number[] = [];
const results = await Promise.all(
  Array.from({ length: 50 }, async () => {
    const started = performance.now();
    const { body: record } = await post('/runs?wait=true', hello);
    perRun.push(performance.now() - started);
    return record;
  }),
);
const wall = performance.now() - burstStarted;
const ok = results.filter((r) => r.status === 'completed' && r.verdict === 'ok').length;
console.log(`burst: 50 concurrent submissions: wall ${(wall / 1000).toFixed(2)} s, ${ok}/50 ok, per-run end-to-end p50 ${median(perRun).toFixed(0)} ms, p95 ${percentile(perRun, 95).toFixed(0)} ms`);
