// GET /runs?ids= on a real Redis, with runs written straight into the store: each id once,
// whole records until LIST_OUTPUT_BUDGET_BYTES of output, then records without their output,
// read one at a time, so that the API stays responsive while it answers.
import t from 'tap';
import { createKeys } from '../../src/store/keys.js';
import { runStoreSettings } from '../../src/config/config.js';
import { createRunStore } from '../../src/store/run-store.js';
import { request } from '../helpers/client.js';
import { startService } from '../helpers/service.js';
import { storeFinishedRun } from '../helpers/stored-runs.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const keys = createKeys('runbox');

async function setup(t: Parameters<typeof startService>[0], env: Record<string, string> = {}) {
  const service = await startService(t, { worker: false, env: { RATE_LIMIT_PER_MINUTE: '0', ...env } });
  const store = createRunStore({ redis: service.redis, keys, ...runStoreSettings(service.config) });
  const finished = (id: string, stdout: string, extra = {}) =>
    storeFinishedRun(store, service.config, id, { stdout, stderr: '', ...extra });
  return { ...service, store, finished };
}

t.test('a repeated id is answered once, where it first appears', async (t) => {
  const { url, finished } = await setup(t);
  for (const id of ['a', 'b', 'c']) await finished(id, `${id}\n`);
  const reply = await request(url, 'GET', '/runs?ids=b,a,b,c,a,missing,b');
  t.equal(reply.status, 200);
  t.same(
    reply.body.map((entry: { id: string }) => entry.id),
    ['b', 'a', 'c', 'missing'],
  );
  t.match(reply.body, [{ stdout: 'b\n' }, { stdout: 'a\n' }, { stdout: 'c\n' }, { error: { code: 'not_found' } }]);
  const hundred = Array.from({ length: 100 }, (_, i) => `r${i}`);
  t.equal((await request(url, 'GET', `/runs?ids=${[...hundred, ...hundred].join(',')}`)).status, 200, '100 distinct ids, each twice');
  const refused = await request(url, 'GET', `/runs?ids=${[...hundred, 'r100'].join(',')}`);
  t.equal(refused.status, 400, '101 distinct ids');
  t.equal(refused.body.code, 'invalid_request');
});

t.test('records come whole until the output budget; from the first that does not fit, without their output', async (t) => {
  const { url, finished } = await setup(t, { LIST_OUTPUT_BUDGET_BYTES: String(1 * MiB) });
  const text = (char: string) => char.repeat(400 * KiB);
  await finished('w1', text('1'));
  await finished('w2', text('2'));
  await finished('w3', text('3'));
  await finished('w4', 'small');
  const test = {
    name: 'test-1',
    verdict: 'accepted',
    exitCode: 0,
    signal: null,
    timeMs: 1,
    cpuTimeMs: 1,
    memoryBytes: 1,
    stdout: 'out',
    stderr: 'err',
    stdoutTruncated: false,
    stderrTruncated: false,
  };
  await finished('w5', '', { tests: [test], compile: { exitCode: 0, stdout: 'cc', stderr: 'warning', timeMs: 5 } });
  const reply = await request(url, 'GET', '/runs?ids=w1,w2,w3,w4,w5');
  t.equal(reply.status, 200);
  const [w1, w2, w3, w4, w5] = reply.body;
  t.match(w1, { id: 'w1', stdout: text('1') });
  t.match(w2, { id: 'w2', stdout: text('2') });
  t.notOk('outputOmitted' in w1 || 'outputOmitted' in w2, 'whole records say nothing of it');
  t.match(
    w3,
    { id: 'w3', status: 'completed', verdict: 'ok', exitCode: 0, stdout: '', stderr: '', outputOmitted: true },
    '800 KiB used: the third 400 KiB does not fit',
  );
  t.match(w4, { id: 'w4', stdout: '', outputOmitted: true }, 'nor anything after it, however small');
  t.match(w5, {
    id: 'w5',
    outputOmitted: true,
    compile: { exitCode: 0, stdout: '', stderr: '', timeMs: 5 },
    tests: [{ name: 'test-1', verdict: 'accepted', stdout: '', stderr: '' }],
  });
  t.ok(Buffer.byteLength(JSON.stringify(reply.body)) < 1 * MiB + 16 * KiB, 'the answer is about the budget');
  const single = await request(url, 'GET', '/runs/w3');
  t.equal(single.body.stdout, text('3'), 'GET /runs/{id} has the whole output');
  t.notOk('outputOmitted' in single.body);
  const alone = await request(url, 'GET', '/runs?ids=w5');
  t.match(alone.body, [{ compile: { stdout: 'cc' }, tests: [{ stdout: 'out' }] }], 'compiler and test output count as output');
});

t.test('/healthz answers promptly while a list of large records is served', async (t) => {
  const { url, finished } = await setup(t);
  await finished('huge', 'h'.repeat(16 * MiB));
  for (let i = 0; i < 20; i++) await finished(`m${i}`, String(i).repeat(MiB));
  const ids = [...Array.from({ length: 20 }, () => 'huge'), ...Array.from({ length: 20 }, (_, i) => `m${i}`)].join(',');
  let listing = true;
  const list = request(url, 'GET', `/runs?ids=${ids}`).finally(() => (listing = false));
  const latencies: number[] = [];
  while (listing) {
    const started = performance.now();
    t.equal((await request(url, 'GET', '/healthz')).status, 200);
    latencies.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const answer = await list;
  t.equal(answer.status, 200);
  t.equal(answer.body.length, 21, 'the 16 MiB record once, and the twenty others');
  t.ok(
    Buffer.byteLength(JSON.stringify(answer.body)) < 5 * MiB,
    "the answer within the default budget of 4 MiB and the records' other fields",
  );
  // Generous for a loaded machine: serving all of it (336 MiB) held the event loop for seconds.
  t.ok(Math.max(...latencies) < 1000, `slowest /healthz ${Math.round(Math.max(...latencies))} ms of ${latencies.length}`);
});
