// The metrics module alone: what each call counts, the seconds it derives from a record's
// timestamps, and gauges read from their sources at scrape time (a failing source leaves
// its gauge empty rather than failing the scrape).
import t from 'tap';
import { createMetrics } from '../../../src/lib/metrics.js';
import { familiesOf, seriesValue } from '../../helpers/metrics-text.js';

t.test('a run counted from submission to its end: counters by language, status and verdict; seconds from the record', async (t) => {
  const metrics = createMetrics({ defaults: false });
  metrics.submitted('python');
  metrics.submitted('python');
  metrics.runStarted({ language: 'python', createdAt: '2026-12-02T00:00:00.000Z', startedAt: '2026-12-02T00:00:00.040Z' });
  metrics.runEnded({
    language: 'python',
    status: 'completed',
    verdict: 'ok',
    createdAt: '2026-12-02T00:00:00.000Z',
    finishedAt: '2026-12-02T00:00:00.300Z',
    timeMs: 20,
  });
  metrics.runEnded({
    language: 'python',
    status: 'cancelled',
    verdict: null,
    createdAt: '2026-12-02T00:00:00.000Z',
    finishedAt: '2026-12-02T00:00:01.000Z',
  });
  const text = await metrics.render();
  t.equal(seriesValue(text, 'runbox_runs_submitted_total', { language: 'python' }), 2);
  t.equal(seriesValue(text, 'runbox_runs_finished_total', { language: 'python', status: 'completed', verdict: 'ok' }), 1);
  t.equal(
    seriesValue(text, 'runbox_runs_finished_total', { language: 'python', status: 'cancelled', verdict: 'none' }),
    1,
    'a null verdict is "none"',
  );
  t.equal(seriesValue(text, 'runbox_queue_wait_seconds_sum', { language: 'python' }), 0.04);
  t.equal(seriesValue(text, 'runbox_queue_wait_seconds_bucket', { language: 'python', le: '0.05' }), 1, 'in the 50 ms bucket');
  t.equal(seriesValue(text, 'runbox_queue_wait_seconds_bucket', { language: 'python', le: '0.025' }), 0);
  t.equal(seriesValue(text, 'runbox_run_latency_seconds_sum', { language: 'python', status: 'completed' }), 0.3);
  t.equal(seriesValue(text, 'runbox_run_duration_seconds_count', { language: 'python' }), 1, 'a run without timeMs has no duration');
  t.equal(seriesValue(text, 'runbox_run_duration_seconds_sum', { language: 'python' }), 0.02);
});

t.test('a finish stamped before its creation (clocks of two hosts) counts 0 s, never a negative observation', async (t) => {
  const metrics = createMetrics({ defaults: false });
  metrics.runStarted({ language: 'c', createdAt: '2026-12-02T00:00:01.000Z', startedAt: '2026-12-02T00:00:00.000Z' });
  const text = await metrics.render();
  t.equal(seriesValue(text, 'runbox_queue_wait_seconds_sum', { language: 'c' }), 0);
});

t.test('sandbox starts by source, failures, problem cache', async (t) => {
  const metrics = createMetrics({ defaults: false });
  metrics.sandboxStarted('warm', 0.002);
  metrics.sandboxStarted('warm', 0.003);
  metrics.sandboxStarted('cold', 0.9);
  metrics.sandboxFailed();
  metrics.problemFetched();
  metrics.problemCacheHit();
  metrics.problemCacheHit();
  const text = await metrics.render();
  t.equal(seriesValue(text, 'runbox_sandbox_start_seconds_count', { source: 'warm' }), 2, 'pool hits');
  t.equal(seriesValue(text, 'runbox_sandbox_start_seconds_count', { source: 'cold' }), 1, 'pool misses');
  t.equal(seriesValue(text, 'runbox_sandbox_failures_total'), 1);
  t.equal(seriesValue(text, 'runbox_problem_fetches_total'), 1);
  t.equal(seriesValue(text, 'runbox_problem_cache_hits_total'), 2);
});

t.test('gauges are read from their sources at each scrape; a source that fails or is absent leaves its gauge empty', async (t) => {
  const metrics = createMetrics({ defaults: false });
  let depth = 3;
  metrics.observe({
    queueJobs: async () => ({ waiting: depth, active: 1 }),
    poolSandboxes: () => ({ 'runbox/python:latest': 2 }),
    liveSandboxes: () => 4,
  });
  let text = await metrics.render();
  t.equal(seriesValue(text, 'runbox_queue_jobs', { state: 'waiting' }), 3);
  t.equal(seriesValue(text, 'runbox_queue_jobs', { state: 'active' }), 1);
  t.equal(seriesValue(text, 'runbox_pool_sandboxes', { profile: 'runbox/python:latest' }), 2);
  t.equal(seriesValue(text, 'runbox_sandboxes_live'), 4);
  t.notOk(seriesValue(text, 'runbox_websocket_clients'), 'no source (a worker): no clients counted');
  depth = 7;
  text = await metrics.render();
  t.equal(seriesValue(text, 'runbox_queue_jobs', { state: 'waiting' }), 7, 'read again at the next scrape');
  metrics.observe({ queueJobs: () => Promise.reject(new Error('Redis away')) });
  text = await metrics.render();
  t.equal(seriesValue(text, 'runbox_queue_jobs', { state: 'waiting' }), undefined, 'Redis away: the gauge is empty');
  t.equal(seriesValue(text, 'runbox_sandboxes_live'), 4, 'the scrape itself still answers');
});

t.test("Node's default metrics only when asked; each instance has its own registry", async (t) => {
  const plain = createMetrics({ defaults: false });
  const full = createMetrics();
  plain.submitted('go');
  t.notOk(familiesOf(await plain.render()).has('process_cpu_user_seconds_total'));
  const text = await full.render();
  t.ok(familiesOf(text).has('process_cpu_user_seconds_total'));
  t.ok(familiesOf(text).has('nodejs_eventloop_lag_seconds'));
  t.equal(seriesValue(text, 'runbox_runs_submitted_total', { language: 'go' }), undefined, "another instance's count is not here");
});
