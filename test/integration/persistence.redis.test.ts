// Records live in Redis: they survive a restart of the API, the worker and Redis itself
// (append-only file), and bad input leaves nothing behind.
import t from 'tap';
import { readStream, request, runToEnd } from '../helpers/client.js';
import { startService, startTestRedis } from '../helpers/service.js';

t.test('a finished run reads back the same after API, worker and Redis restart', async (t) => {
  const first = await startTestRedis();
  const service = await startService(t, { redisUrl: first.url });
  const record = await runToEnd(service.url, { language: 'python', source: 'print("kept")' });
  await service.stopApi();
  await service.stopWorker();
  await first.stop();

  const second = await startTestRedis(undefined, first.dataDir);
  t.teardown(() => second.discard());
  const restarted = await startService(t, { redisUrl: second.url });
  const reply = await request(restarted.url, 'GET', `/runs/${record.id}`);
  t.equal(reply.status, 200);
  t.same(reply.body, record);
  const { frames } = await readStream(restarted.wsUrl, `/runs/${record.id}/stream`);
  t.equal(
    frames
      .filter((f) => f.type === 'stdout')
      .map((f) => f.data)
      .join(''),
    'kept\n',
    'its stream replays too',
  );
  await restarted.stopApi();
  await restarted.stopWorker();
});

t.test('a run queued while no worker runs is executed by the worker that starts later', async (t) => {
  const redis = await startTestRedis();
  t.teardown(() => redis.discard());
  const api = await startService(t, { worker: false, redisUrl: redis.url });
  const { body: run } = await request(api.url, 'POST', '/runs', { language: 'bash', source: 'echo eventually' });
  const worker = await startService(t, { redisUrl: redis.url });
  const { frames } = await readStream(api.wsUrl, `/runs/${run.id}/stream`);
  t.match(frames.at(-1).run, { status: 'completed', stdout: 'eventually\n' });
  await worker.stopApi();
  await worker.stopWorker();
  await api.stopApi();
});

t.test('bad input is refused with its code and leaves no key and no job in Redis', async (t) => {
  const redis = await startTestRedis();
  t.teardown(() => redis.discard());
  const service = await startService(t, { worker: false, redisUrl: redis.url, env: { BODY_LIMIT_BYTES: '4096' } });
  const before = (await service.redis.keys('*')).sort();
  const cases: [unknown, number, string][] = [
    ['{"language":', 400, 'invalid_request'],
    [{ source: 'x' }, 400, 'invalid_request'],
    [{ language: 'cobol', source: 'x' }, 400, 'unknown_language'],
    [{ language: 'python', source: 'x', limits: { memoryMb: 999_999 } }, 400, 'limit_exceeded'],
    [{ language: 'python', files: [{ name: '../etc/passwd', content: 'x' }] }, 400, 'invalid_file_name'],
    [{ language: 'python', files: [{ name: '/abs.py', content: 'x' }] }, 400, 'invalid_file_name'],
    [{ language: 'python', source: 'x', network: true }, 403, 'forbidden'],
    [{ language: 'python', source: 'x'.repeat(10_000) }, 413, 'payload_too_large'],
  ];
  for (const [body, status, code] of cases) {
    const reply = await request(service.url, 'POST', '/runs', body);
    t.equal(reply.status, status, `${code}: status`);
    t.match(reply.body, { statusCode: status, code, message: String }, `${code}: body`);
  }
  // The rate limiter counts every request, refused ones too; nothing else may be written.
  const written = (await service.redis.keys('*')).filter((k) => !k.includes(':ratelimit:')).sort();
  t.same(written, before, 'no key written');
  await service.stopApi();
});
