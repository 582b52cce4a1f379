// Redis Cluster is not supported, and says so: the API and a worker pointed at a cluster node
// refuse to start with a message naming what to use instead, and a redis+cluster:// URL is
// refused before any connection. (Why: docs/deployment.md, "Redis beyond one node".)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import t from 'tap';
import { Redis } from 'ioredis';
import { createApiService } from '../../src/api-service.js';
import { loadConfig } from '../../src/config/config.js';
import { freePort } from '../../src/lib/free-port.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { createRedisFactory } from '../../src/lib/redis-connection.js';
import { startWorkerService } from '../../src/worker/worker-service.js';
import { docker } from '../helpers/service.js';

const silent = pino({ level: 'silent' });
const REFUSAL = /Redis Cluster is not supported.*Sentinel/;

t.test('a cluster node is refused at start by the API and by a worker', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'runbox-cluster-'));
  const port = await freePort();
  const node = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--cluster-enabled', 'yes', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  t.teardown(() => {
    node.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { maxRetriesPerRequest: null });
  t.teardown(() => probe.disconnect());
  t.match(await probe.info('cluster'), /cluster_enabled:1/, 'a cluster node');

  const config = loadConfig({ REDIS_URL: url });
  await t.rejects(createApiService({ config, redis: createRedisFactory(url, silent), log: silent, metrics: createMetrics() }), {
    message: REFUSAL,
  });
  await t.rejects(startWorkerService({ config, redis: createRedisFactory(url, silent), log: silent, metrics: createMetrics(), docker }), {
    message: REFUSAL,
  });
});

t.test('a redis+cluster:// URL is refused before connecting', async (t) => {
  t.throws(() => createRedisFactory('redis+cluster://127.0.0.1:7000,127.0.0.1:7001', silent), { message: REFUSAL });
});
