// The output runs keep in Redis, on a real Redis: each finished run is entered in its key's
// ledger and in the global one (record and event stream counted), entries leave when their
// runs expire, admission is refused past either budget (429 for the key, 503 for everyone,
// each with Retry-After), large outputs are kept for a shorter time, and Redis at its
// maxmemory is a 503 storage_full, not a 500.
import t from 'tap';
import { runStoreSettings, loadConfig } from '../../src/config/config.js';
import { createKeys } from '../../src/store/keys.js';
import { createRunStore } from '../../src/store/run-store.js';
import { request } from '../helpers/client.js';
import { startService } from '../helpers/service.js';
import { admitRun, startTestStore, storeFinishedRun, storeQueuedRun } from '../helpers/stored-runs.js';

const keys = createKeys('runbox');
const config = loadConfig({});
const output = (bytes: number) => ({ stdout: 'o'.repeat(bytes), stderr: '' });

t.test('output ledgers in the store', async (t) => {
  const { redis, store } = await startTestStore(t);

  t.test("a finished run is entered in its key's ledger and the global one, counted twice, until it expires", async (t) => {
    const before = Date.now();
    await storeFinishedRun(store(), config, 'l1', { stdout: 'o'.repeat(1000), stderr: 'e'.repeat(10) }, 'ledger-a');
    for (const owner of ['ledger-a', undefined]) {
      const [entry, expiry] = await redis.zrange(keys.outputLedger(owner), '0', '-1', 'WITHSCORES');
      t.equal(entry, 'l1 2020', 'record and event stream');
      t.ok(Number(expiry) >= before + 3_600_000 && Number(expiry) <= Date.now() + 3_600_000, 'scored by when the run expires');
      t.equal(await redis.get(keys.outputLedgerBytes(owner)), '2020');
      t.ok((await redis.pttl(keys.outputLedger(owner))) > 3_500_000, 'the ledger expires with its last entry');
      t.ok((await redis.pttl(keys.outputLedgerBytes(owner))) > 3_500_000, 'so does its total');
    }
    await redis.del(keys.outputLedger(), keys.outputLedgerBytes());
  });

  t.test("past its key's budget a submission is refused until enough has expired; other keys go on", async (t) => {
    const budgeted = store({ outputBudgets: { perKeyBytes: 3000, totalBytes: 0 } });
    await storeFinishedRun(budgeted, config, 'k1', output(1000), 'ledger-b');
    await storeFinishedRun(budgeted, config, 'k2', output(1000), 'ledger-b');
    const refused = await admitRun(budgeted, config, 'k3', 'ledger-b');
    t.match(refused, { admitted: false, refusal: 'key_output_budget' });
    const wait = 'retryAfterMs' in refused ? refused.retryAfterMs : 0;
    t.ok(wait > 3_590_000 && wait <= 3_600_000, `until the first run expires (${wait} ms)`);
    t.equal(await redis.exists(keys.run('k3')), 0, 'nothing written');
    await storeQueuedRun(budgeted, config, 'k4', 'ledger-c');
    await redis.del(keys.outputLedger(), keys.outputLedgerBytes());
  });

  t.test('past the global budget every key is refused', async (t) => {
    const budgeted = store({ outputBudgets: { perKeyBytes: 0, totalBytes: 5000 } });
    await storeFinishedRun(budgeted, config, 'g1', output(2000), 'ledger-d');
    await storeFinishedRun(budgeted, config, 'g2', output(1000), 'ledger-e');
    t.match(await admitRun(budgeted, config, 'g3', 'ledger-f'), { admitted: false, refusal: 'output_budget' });
    await redis.del(keys.outputLedger(), keys.outputLedgerBytes());
  });

  t.test('an entry leaves its ledgers once its run has expired, and the key is admitted again', async (t) => {
    const shortLived = store({ retentionSeconds: 1, outputBudgets: { perKeyBytes: 1000, totalBytes: 1000 } });
    await storeFinishedRun(shortLived, config, 'e1', output(1000), 'ledger-g');
    await t.rejects(storeQueuedRun(shortLived, config, 'e2', 'ledger-g'), /not admitted/);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await storeQueuedRun(shortLived, config, 'e3', 'ledger-g');
    t.equal(await redis.zcard(keys.outputLedger('ledger-g')), 0, "pruned from its key's ledger");
    t.equal(await redis.exists(keys.outputLedgerBytes('ledger-g')), 0, 'with its total');
    t.equal(await redis.zcard(keys.outputLedger()), 0, 'and from the global one');
  });

  t.test('a run that keeps a large output is kept for the shorter retention, its ledger entries too', async (t) => {
    const withLarge = store({ largeOutput: { bytes: 1000, retentionSeconds: 120 } });
    await storeFinishedRun(withLarge, config, 'big', output(501), 'ledger-h');
    await storeFinishedRun(withLarge, config, 'small', output(500), 'ledger-h');
    for (const key of [keys.run('big'), keys.events('big')]) t.ok((await redis.ttl(key)) <= 120, `${key} kept 120 s`);
    for (const key of [keys.run('small'), keys.events('small')]) t.ok((await redis.ttl(key)) > 3500, `${key} kept the usual retention`);
    const expiry = Number(await redis.zscore(keys.outputLedger('ledger-h'), 'big 1002'));
    t.ok(expiry <= Date.now() + 120_000 && expiry > Date.now() + 110_000, 'its ledger entry expires with it');
    await redis.del(keys.outputLedger(), keys.outputLedgerBytes());
  });
});

t.test('over HTTP', async (t) => {
  t.test('a key past KEY_OUTPUT_BUDGET_BYTES gets 429 output_budget_exceeded with Retry-After; another key goes on', async (t) => {
    const { url, redis, config } = await startService(t, {
      worker: false,
      env: { KEY_OUTPUT_BUDGET_BYTES: '4096', RUN_RETENTION_S: '600' },
    });
    const store = createRunStore({ redis, keys, ...runStoreSettings(config) });
    await storeFinishedRun(store, config, 'h1', output(2048));
    const refused = await request(url, 'POST', '/runs', { language: 'bash', source: 'echo hi' });
    t.equal(refused.status, 429);
    t.equal(refused.body.code, 'output_budget_exceeded');
    const retryAfter = Number(refused.headers.get('retry-after'));
    t.ok(retryAfter > 590 && retryAfter <= 600, `Retry-After: until the run expires (${retryAfter} s)`);
  });

  t.test('past OUTPUT_BUDGET_BYTES every key gets 503 storage_full with Retry-After', async (t) => {
    const { url, redis, config } = await startService(t, { worker: false, env: { OUTPUT_BUDGET_BYTES: '4096', RUN_RETENTION_S: '600' } });
    const store = createRunStore({ redis, keys, ...runStoreSettings(config) });
    await storeFinishedRun(store, config, 'h2', output(2048), 'someone-else');
    const refused = await request(url, 'POST', '/runs', { language: 'bash', source: 'echo hi' });
    t.equal(refused.status, 503);
    t.equal(refused.body.code, 'storage_full');
    t.ok(Number(refused.headers.get('retry-after')) > 590);
  });

  t.test('Redis at its maxmemory (noeviction) is 503 storage_full with Retry-After, not a 500', async (t) => {
    const { url, redis } = await startService(t, { worker: false });
    await redis.config('SET', 'maxmemory', '1');
    const refused = await request(url, 'POST', '/runs', { language: 'bash', source: 'echo hi' });
    t.equal(refused.status, 503);
    t.equal(refused.body.code, 'storage_full');
    t.equal(refused.headers.get('retry-after'), '60');
    t.notMatch(refused.body.message, /OOM/, "Redis's own message is not passed on");
  });
});
