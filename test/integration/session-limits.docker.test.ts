// What a session may ask for and how many there may be: network off unless the operator
// allows it (checked from the inside: which interfaces exist; no traffic is sent), and the
// global maximum of open sessions (SESSION_MAX_TOTAL) apart from the per-key one; and what a
// snapshot of a session opened on a snapshot is made of.
import t from 'tap';
import WebSocket from 'ws';
import { request, runToEnd } from '../helpers/client.js';
import { containersLeftBy, docker, imageGone, startService } from '../helpers/service.js';

const interfaces = 'python3 -c "import socket; print(*sorted(n for _, n in socket.if_nameindex()))"';

t.test('network: refused unless NETWORK_ALLOWED; when allowed, the session has more than loopback', async (t) => {
  const closed = await startService(t);
  const refused = await request(closed.url, 'POST', '/sessions', { language: 'python', network: true });
  t.match(refused, { status: 403, body: { code: 'forbidden' } });

  const open = await startService(t, { env: { NETWORK_ALLOWED: 'true' } });
  const { status, body: session } = await request(open.url, 'POST', '/sessions', { language: 'python', network: true });
  t.equal(status, 201, JSON.stringify(session));
  const listed = await request(open.url, 'POST', `/sessions/${session.id}/exec`, { command: interfaces });
  const names = String(listed.body.stdout).trim().split(' ');
  t.ok(names.includes('lo') && names.length > 1, `interfaces: ${names.join(', ')}`);
  const offline = (await request(open.url, 'POST', '/sessions', { language: 'python' })).body;
  const alone = await request(open.url, 'POST', `/sessions/${offline.id}/exec`, { command: interfaces });
  t.equal(alone.body.stdout, 'lo\n', 'a session that did not ask has loopback only');
  for (const id of [session.id, offline.id]) {
    t.equal((await request(open.url, 'DELETE', `/sessions/${id}`)).status, 204);
    t.same(await containersLeftBy(id), [], 'its container is gone');
  }
});

t.test('SESSION_MAX_TOTAL: past it 503 sessions_full with Retry-After; a place freed is taken again', async (t) => {
  const { url } = await startService(t, { env: { SESSION_MAX_TOTAL: '1', SESSION_MAX_PER_KEY: '5' } });
  const first = await request(url, 'POST', '/sessions', { language: 'bash' });
  t.equal(first.status, 201, JSON.stringify(first.body));
  const second = await request(url, 'POST', '/sessions', { language: 'bash' });
  t.match(second, { status: 503, body: { code: 'sessions_full' } });
  t.ok(Number(second.headers.get('retry-after')) > 0, `Retry-After: ${second.headers.get('retry-after')}`);
  t.equal((await request(url, 'DELETE', `/sessions/${first.body.id}`)).status, 204);
  const third = await request(url, 'POST', '/sessions', { language: 'bash' });
  t.equal(third.status, 201, 'room again once the first ended');
  t.equal((await request(url, 'DELETE', `/sessions/${third.body.id}`)).status, 204);
  t.same(await containersLeftBy(third.body.id), []);
});

t.test(
  "a snapshot of a session opened on a snapshot holds the folder as it is, on the runtime's image, not on the snapshot's",
  async (t) => {
    const { url, config, stopWorker } = await startService(t);
    const run = await runToEnd(url, { language: 'bash', source: 'echo a > a.txt; echo b > b.txt', snapshot: true });
    t.match(run, { status: 'completed', snapshot: String }, JSON.stringify(run));
    const first = (await request(url, 'POST', '/sessions', { snapshot: run.snapshot })).body;
    t.match((await request(url, 'POST', `/sessions/${first.id}/exec`, { command: 'rm b.txt; echo c > c.txt' })).body, { exitCode: 0 });
    const taken = await request(url, 'POST', `/sessions/${first.id}/snapshot`, {});
    t.equal(taken.status, 201, JSON.stringify(taken.body));
    const second = (await request(url, 'POST', '/sessions', { snapshot: taken.body.snapshot })).body;
    const listed = await request(url, 'POST', `/sessions/${second.id}/exec`, { command: 'ls' });
    t.equal(listed.body.stdout, 'a.txt\nc.txt\nmain.sh\n', 'the file deleted before the snapshot does not come back');
    const layers = async (id: string) => (await docker.getImage(`${config.imagePrefix}snapshot:${id}`).inspect()).RootFS.Layers?.length;
    t.equal(await layers(taken.body.snapshot), await layers(run.snapshot), 'no layer of the first snapshot under the second');
    for (const id of [first.id, second.id]) await request(url, 'DELETE', `/sessions/${id}`);
    for (const id of [run.snapshot, taken.body.snapshot]) t.equal((await request(url, 'DELETE', `/snapshots/${id}`)).status, 204);
    // Their images were in use by the sessions just deleted; a worker that stops now still removes them.
    await stopWorker();
    for (const id of [run.snapshot, taken.body.snapshot]) {
      t.ok(
        await imageGone(`${config.imagePrefix}snapshot:${id}`, 0),
        `the image of deleted snapshot ${id} is gone once the worker stopped`,
      );
    }
  },
);

t.test(
  'input is held back, not piled up: a command leaves Redis once taken; a terminal flooded while its program reads nothing',
  async (t) => {
    const { url, wsUrl, redis } = await startService(t);
    const session = (await request(url, 'POST', '/sessions', { language: 'bash' })).body;
    const put = await fetch(`${url}/sessions/${session.id}/files/big.bin`, { method: 'PUT', body: new Uint8Array(1024 * 1024) });
    t.equal(put.ok, true, `PUT ${put.status}`);
    const commandStreams = await redis.keys('*:worker:*:commands');
    t.ok(commandStreams.length > 0, 'the worker has a command stream');
    for (const key of commandStreams) t.equal(await redis.xlen(key), 0, 'a command, with its file, is deleted once the worker took it');

    const socket = new WebSocket(`${wsUrl}/sessions/${session.id}/shell`);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.send(JSON.stringify({ type: 'stdin', data: 'sleep 600\r' }));
    const frame = JSON.stringify({ type: 'stdin', data: 'x'.repeat(256 * 1024) });
    for (let i = 0; i < 400; i++) socket.send(frame); // 100 MiB the program never reads
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const [input] = await redis.keys('*:shell:*:in');
    const backlog = input ? await redis.xlen(input) : 0;
    t.ok(backlog <= 65, `${backlog} input entries wait in Redis (at most about 64)`);
    t.ok(socket.bufferedAmount > 50 * 1024 * 1024, `${Math.round(socket.bufferedAmount / 2 ** 20)} MiB still in the client's own buffer`);
    socket.terminate();
    t.equal((await request(url, 'DELETE', `/sessions/${session.id}`)).status, 204);
    t.same(await containersLeftBy(session.id), []);
  },
);
