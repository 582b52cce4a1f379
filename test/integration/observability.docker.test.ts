// What an operator watches, on an API and a worker started apart (as in scale-out): the
// same metric families on both, each filling its own; the request id of a submission in the
// worker's log lines for the run.
import { Writable } from 'node:stream';
import pino from 'pino';
import t from 'tap';
import { createApiService } from '../../src/api-service.js';
import { buildWorkerHttp } from '../../src/api/worker-http.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { createRedisFactory } from '../../src/lib/redis-connection.js';
import { startWorkerService } from '../../src/worker/worker-service.js';
import { readStream, request } from '../helpers/client.js';
import { familiesOf, seriesValue } from '../helpers/metrics-text.js';
import { docker, sandboxRuntime, startTestRedis } from '../helpers/service.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

t.test('metrics and request ids across an API and a worker', async (t) => {
  const redis = await startTestRedis(t);
  const workerLines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write: (chunk, _encoding, done) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) workerLines.push(JSON.parse(line));
      done();
    },
  });
  const config = loadConfig({
    REDIS_URL: redis.url,
    WORKER_CONCURRENCY: '2',
    SANDBOX_RUNTIME: sandboxRuntime(),
    POOL_SIZE: '0',
    POOL_WARM_LANGUAGES: '',
  });
  const factory = createRedisFactory(redis.url, pino({ level: 'silent' }));
  const workerMetrics = createMetrics();
  const worker = await startWorkerService({
    config,
    redis: factory,
    log: createLogger('info', 'runbox-worker', sink),
    metrics: workerMetrics,
    docker,
  });
  const workerHttp = await buildWorkerHttp({ config, log: pino({ level: 'silent' }), readiness: worker.readiness, metrics: workerMetrics });
  const api = await createApiService({ config, redis: factory, log: pino({ level: 'silent' }), metrics: createMetrics() });
  await api.app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(async () => {
    await api.close();
    await workerHttp.app.close();
    await worker.close();
  });
  const address = api.app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const scrapeApi = async () => (await request(url, 'GET', '/metrics')).body as string;
  const scrapeWorker = async () => (await workerHttp.app.inject('/metrics')).body;

  // A client's plain id is kept; an unplain one is replaced; either way the worker's lines carry it.
  const submitted: { id: string; requestId: string }[] = [];
  for (const given of ['checkout-7f3a.01', 'not plain: spaces and {braces}']) {
    const reply = await request(url, 'POST', '/runs?wait=true', { language: 'bash', source: 'echo hi' }, { 'x-request-id': given });
    t.equal(reply.status, 200);
    t.match(reply.body, { status: 'completed', verdict: 'ok', stdout: 'hi\n' });
    submitted.push({ id: reply.body.id, requestId: reply.headers.get('x-request-id')! });
  }
  t.equal(submitted[0].requestId, 'checkout-7f3a.01', 'a plain id is kept');
  t.match(submitted[1].requestId, UUID, 'another one is replaced by a UUID');
  for (const { id, requestId } of submitted) {
    const lines = workerLines.filter((line) => line.runId === id);
    t.ok(
      lines.some((line) => line.msg === 'run started') && lines.some((line) => line.msg === 'run finished'),
      'the worker logged the run',
    );
    t.ok(
      lines.every((line) => line.reqId === requestId),
      `every worker line of run ${id} carries reqId ${requestId}`,
    );
  }

  // While a run streams: one WebSocket client on the API, its sandbox live on the worker, one job active.
  const slow = await request(url, 'POST', '/runs', { language: 'bash', source: 'echo start; sleep 1.5; echo end' });
  const during: { api?: string; worker?: string } = {};
  const stream = await readStream(`ws://127.0.0.1:${new URL(url).port}`, `/runs/${slow.body.id}/stream`, undefined, (frame) => {
    if (frame.type === 'stdout' && frame.data === 'start\n') {
      void Promise.all([scrapeApi(), scrapeWorker()]).then(([a, w]) => Object.assign(during, { api: a, worker: w }));
    }
  });
  t.equal(stream.closeCode, 1000);
  t.equal(seriesValue(during.api!, 'runbox_websocket_clients'), 1, 'the API counts its WebSocket client');
  t.ok(seriesValue(during.worker!, 'runbox_sandboxes_live')! >= 1, 'the worker counts the live sandbox');
  t.equal(seriesValue(during.worker!, 'runbox_queue_jobs', { state: 'active' }), 1, 'the worker reads the queue depth');
  t.equal(seriesValue(during.api!, 'runbox_queue_jobs', { state: 'active' }), 1, 'so does the API');

  const apiText = await scrapeApi();
  const workerText = await scrapeWorker();
  t.same([...familiesOf(apiText)].sort(), [...familiesOf(workerText)].sort(), 'the same families on the API and on the worker');
  for (const family of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds'])
    t.ok(familiesOf(apiText).has(family), `default metric ${family}`);
  t.equal(seriesValue(apiText, 'runbox_runs_submitted_total', { language: 'bash' }), 3, 'the API counts submissions');
  t.equal(seriesValue(apiText, 'runbox_runs_finished_total', { language: 'bash', status: 'completed', verdict: 'ok' }), undefined);
  const ok = { language: 'bash', status: 'completed', verdict: 'ok' };
  t.equal(seriesValue(workerText, 'runbox_runs_finished_total', ok), 3, 'the worker counts runs ended');
  t.equal(seriesValue(workerText, 'runbox_queue_wait_seconds_count', { language: 'bash' }), 3, 'queue wait per run');
  t.equal(seriesValue(workerText, 'runbox_run_duration_seconds_count', { language: 'bash' }), 3, 'run duration per run');
  t.ok(seriesValue(workerText, 'runbox_run_duration_seconds_sum', { language: 'bash' })! >= 1.5, 'the slow run took its 1.5 s');
  t.equal(seriesValue(workerText, 'runbox_run_latency_seconds_count', { language: 'bash', status: 'completed' }), 3, 'end-to-end latency');
  t.equal(seriesValue(workerText, 'runbox_sandbox_start_seconds_count', { source: 'cold' }), 3, 'three cold sandbox starts (no pool)');
  t.equal(
    seriesValue(workerText, 'runbox_run_latency_seconds_bucket', { language: 'bash', status: 'completed', le: '+Inf' }),
    3,
    'histograms have their +Inf bucket',
  );
  t.equal(seriesValue(workerText, 'runbox_websocket_clients'), 0, 'a worker has no WebSocket clients');
});
