// Graceful shutdown: a worker lets running runs finish within its grace period, then kills
// and records what is left and removes its containers; the API closes streams with 1001.
import t from 'tap';
import WebSocket from 'ws';
import { request } from '../helpers/client.js';
import { containersLeftBy, startService, startTestRedis } from '../helpers/service.js';

async function waitForStatus(url: string, id: string, status: string) {
  for (let i = 0; i < 200; i++) {
    const { body } = await request(url, 'GET', `/runs/${id}`);
    if (body.status === status) return body;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`run ${id} never became ${status}`);
}

t.test('a stopping worker finishes short runs and records long ones as failed', async (t) => {
  const redis = await startTestRedis();
  t.teardown(() => redis.discard());
  const api = await startService(t, { worker: false, redisUrl: redis.url });
  const worker = await startService(t, { redisUrl: redis.url, env: { SHUTDOWN_GRACE_MS: '1500' } });
  const { body: short } = await request(api.url, 'POST', '/runs', { language: 'bash', source: 'sleep 0.5; echo done' });
  const { body: long } = await request(api.url, 'POST', '/runs', { language: 'bash', source: 'echo started; sleep 30' });
  await waitForStatus(api.url, short.id, 'running');
  await waitForStatus(api.url, long.id, 'running');
  const stopping = Date.now();
  await worker.stopApi();
  await worker.stopWorker();
  const tookMs = Date.now() - stopping;
  t.ok(tookMs >= 1400 && tookMs < 6000, `stopped after the grace period (${tookMs} ms)`);
  t.match((await request(api.url, 'GET', `/runs/${short.id}`)).body, { status: 'completed', verdict: 'ok', stdout: 'done\n' });
  t.match((await request(api.url, 'GET', `/runs/${long.id}`)).body, { status: 'failed', error: /shut down/, stdout: 'started\n' });
  t.same(await containersLeftBy(long.id), [], 'its container is gone');
  await api.stopApi();
});

t.test('a stopping API closes open streams with 1001', async (t) => {
  const service = await startService(t);
  const { body: run } = await request(service.url, 'POST', '/runs', { language: 'bash', source: 'sleep 2' });
  const code = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`${service.wsUrl}/runs/${run.id}/stream`);
    ws.on('message', () => void service.stopApi());
    ws.on('close', (c) => resolve(c));
  });
  t.equal(code, 1001);
  await service.stopWorker();
});
