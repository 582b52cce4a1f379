// Redis beyond one node: REDIS_URL names a Sentinel set (a primary, a replica, three
// sentinels on loopback), and the primary is killed (SIGKILL) while runs execute and while
// clients submit. Every submission answers 202 or a clear 503; every accepted run ends
// (completed, or failed with its error), none is left queued or running; streams close;
// once the sentinels have promoted the replica, runs work as before. Needs redis-sentinel
// (scripts/ensure-test-tools.sh).
import t from 'tap';
import { readStream, request, runToEnd } from '../helpers/client.js';
import { startSentinelSet } from '../helpers/redis-sentinel-set.js';
import { startService } from '../helpers/service.js';

const FINAL = new Set(['completed', 'failed', 'cancelled']);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test('runs go through a Sentinel failover: each ends, none stuck', async (t) => {
  const set = await startSentinelSet(t);
  const service = await startService(t, { redisUrl: set.url, env: { WORKER_CONCURRENCY: '4' } });
  const { url, wsUrl } = service;
  const before = await runToEnd(url, { language: 'bash', source: 'echo before' });
  t.match(before, { verdict: 'ok', stdout: 'before\n' }, 'runs through the sentinels');
  const replay = await readStream(wsUrl, `/runs/${before.id}/stream`);
  t.equal(replay.closeCode, 1000);
  t.match(replay.frames.at(-1), { type: 'end', run: { id: before.id } }, 'streams read through the sentinels');

  const slow = { language: 'bash', source: 'for i in 1 2 3 4 5 6; do echo $i; sleep 0.5; done' };
  const accepted: string[] = [];
  for (let i = 0; i < 6; i++) {
    const reply = await request(url, 'POST', '/runs', slow);
    t.equal(reply.status, 202);
    accepted.push(reply.body.id);
  }
  const streams = accepted.slice(0, 2).map((id) => readStream(wsUrl, `/runs/${id}/stream`));
  for (;;) {
    const reply = await request(url, 'GET', `/runs/${accepted[0]}`);
    if (reply.body.status === 'running') break;
    await sleep(100);
  }

  const old = await set.killPrimary();
  const killedAt = Date.now();
  // Submissions while the sentinels notice and promote: accepted, or refused in so many words.
  const refusals: string[] = [];
  const failover = set.failedOverFrom(old);
  let promoted: number | undefined;
  void failover.then((port) => (promoted = port));
  while (promoted === undefined && Date.now() - killedAt < 30_000) {
    const reply = await request(url, 'POST', '/runs', { language: 'bash', source: 'echo during' });
    if (reply.status === 202) accepted.push(reply.body.id);
    else {
      t.equal(reply.status, 503, `a refusal during the failover is a 503 (${JSON.stringify(reply.body)})`);
      t.match(reply.body, { code: 'unavailable' });
      t.ok(reply.headers.get('retry-after'), 'with Retry-After');
      refusals.push(reply.body.code);
    }
    await sleep(200);
  }
  const newPrimary = await failover;
  t.not(newPrimary, old, `the sentinels promoted the replica in ${Date.now() - killedAt} ms`);

  // Every accepted run ends within a minute.
  const ended: Record<string, string> = {};
  const deadline = Date.now() + 60_000;
  for (const id of accepted) {
    for (;;) {
      const reply = await request(url, 'GET', `/runs/${id}`);
      if (reply.status === 200 && FINAL.has(reply.body.status)) {
        ended[id] = reply.body.status === 'failed' ? `failed: ${reply.body.error}` : `${reply.body.status} ${reply.body.verdict}`;
        break;
      }
      if (reply.status === 404) t.fail(`run ${id} is lost after the failover`);
      if (reply.status === 404 || Date.now() > deadline) {
        ended[id] = `stuck: ${reply.status} ${reply.body.status ?? reply.body.code}`;
        break;
      }
      await sleep(250);
    }
  }
  t.comment(`after the failover: ${JSON.stringify(Object.values(ended))}; ${refusals.length} submissions refused with 503 meanwhile`);
  t.same(
    Object.values(ended).filter((outcome) => outcome.startsWith('stuck')),
    [],
    'no run left queued or running',
  );
  t.ok(
    Object.values(ended).every((outcome) => /^completed ok$|^failed: \S/.test(outcome)),
    'each completed, or failed with its reason',
  );
  for (const [i, stream] of streams.entries()) {
    const { closeCode, frames } = await stream;
    t.equal(closeCode, 1000, 'a stream open through the failover goes on to the end');
    t.match(frames.at(-1), { type: 'end', run: { id: accepted[i], status: 'completed' } });
    const output = frames.filter((f) => f.type === 'stdout').map((f) => f.data);
    t.equal(output.join(''), '1\n2\n3\n4\n5\n6\n', 'with every line once, in order');
  }

  t.match(
    await runToEnd(url, { language: 'bash', source: 'echo after' }),
    { verdict: 'ok', stdout: 'after\n' },
    'runs work on the new primary',
  );
});
