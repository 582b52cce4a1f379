// Sessions across processes: two workers and two API processes on one Redis; a session opened on
// either worker answers through either API; a worker killed outright leaves its sessions `lost`
// (said at once, never waited for) and its containers removed by the other worker; a worker
// shut down ends its sessions with endReason shutdown and removes their containers.
import { spawn } from 'node:child_process';
import t from 'tap';
import { request } from '../helpers/client.js';
import {
  containersLeftBy,
  containersOf,
  imageExists,
  imageGone,
  sandboxRuntime,
  startService,
  startTestRedis,
} from '../helpers/service.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const HEARTBEAT_MS = '500';
const workerEntry = new URL('../../src/worker.ts', import.meta.url).pathname;

/** A worker in a process of its own, to be killed with SIGKILL as a crash would. */
function spawnWorker(redisUrl: string) {
  return spawn(process.execPath, ['--import', 'tsx', workerEntry], {
    env: {
      ...process.env,
      REDIS_URL: redisUrl,
      WORKER_PORT: '0',
      WORKER_HEARTBEAT_MS: HEARTBEAT_MS,
      LOG_LEVEL: 'silent',
      SANDBOX_RUNTIME: sandboxRuntime(),
      POOL_SIZE: '0',
      POOL_WARM_LANGUAGES: '',
      ...(process.env.RUNBOX_TEST_IMAGE_PREFIX ? { RUNTIME_IMAGE_PREFIX: process.env.RUNBOX_TEST_IMAGE_PREFIX } : {}),
    },
    stdio: 'ignore',
  });
}

t.test('sessions across workers and API processes', async (t) => {
  const redis = await startTestRedis(t);
  const env = { WORKER_HEARTBEAT_MS: HEARTBEAT_MS };
  const child = spawnWorker(redis.url);
  t.teardown(() => child.kill('SIGKILL'));
  const apiA = await startService(t, { redisUrl: redis.url, worker: false, env });

  // Until the child worker beats, no worker has room: 503 sessions_full, said at once.
  let first: any;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const opened = await request(apiA.url, 'POST', '/sessions', { language: 'bash' });
    if (opened.status === 201) {
      first = opened.body;
      break;
    }
    t.equal(opened.status, 503, JSON.stringify(opened.body));
    if (Date.now() > deadline) throw new Error('the worker process never took a session');
    await sleep(500);
  }
  // Its worker reaps every second, and its snapshots expire after two.
  const apiB = await startService(t, { redisUrl: redis.url, env: { ...env, SNAPSHOT_RETENTION_S: '2', REAPER_INTERVAL_MS: '1000' } });
  // The child holds one session, the new worker none: the next goes to the one with more room.
  const second = (await request(apiB.url, 'POST', '/sessions', { language: 'bash' })).body;
  t.equal(second.status, 'ready');

  t.test('either API reaches a session on either worker', async (t) => {
    for (const [api, session] of [
      [apiB, first],
      [apiA, second],
      [apiA, first],
      [apiB, second],
    ]) {
      const exec = await request(api.url, 'POST', `/sessions/${session.id}/exec`, { command: `echo ${session.id} >> trail; cat trail` });
      t.equal(exec.status, 200, JSON.stringify(exec.body));
      t.match(exec.body.stdout, session.id);
    }
    t.equal((await request(apiB.url, 'GET', '/sessions')).body.sessions.length, 2, 'both listed through either API');
  });

  t.test('a worker killed outright: its session says lost at once, its container is removed', async (t) => {
    t.equal((await containersOf(first.id)).length, 1);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const started = Date.now();
    const exec = await request(apiB.url, 'POST', `/sessions/${first.id}/exec`, { command: 'true' });
    t.equal(exec.status, 409, JSON.stringify(exec.body));
    t.match(exec.body, { code: 'conflict', message: /lost/ });
    t.ok(Date.now() - started < 10_000, `answered in ${Date.now() - started} ms`);
    t.match((await request(apiA.url, 'GET', `/sessions/${first.id}`)).body, { status: 'lost' });
    t.same(await containersLeftBy(first.id), [], 'the other worker removed its container');
    t.equal((await request(apiA.url, 'GET', '/sessions')).body.sessions.length, 1, 'a lost session no longer counts as open');
  });

  t.test('an expired snapshot: its record gone, its image removed by the reaper', async (t) => {
    const taken = await request(apiA.url, 'POST', `/sessions/${second.id}/snapshot`, {});
    t.equal(taken.status, 201, JSON.stringify(taken.body));
    const image = `${apiB.config.imagePrefix}snapshot:${taken.body.snapshot}`;
    t.ok(await imageExists(image), 'the image is there');
    t.ok(await imageGone(image, 20_000), 'the image is gone');
    t.equal((await request(apiA.url, 'GET', `/snapshots/${taken.body.snapshot}`)).status, 404);
  });

  t.test('a worker shut down ends its sessions, saying so, and removes their containers', async (t) => {
    await apiB.stopWorker();
    t.match((await request(apiA.url, 'GET', `/sessions/${second.id}`)).body, { status: 'ended', endReason: 'shutdown' });
    t.same(await containersLeftBy(second.id), []);
    const exec = await request(apiA.url, 'POST', `/sessions/${second.id}/exec`, { command: 'true' });
    t.equal(exec.status, 409);
  });
});
