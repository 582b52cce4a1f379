// DELETE /runs/{id} and the cancel frame: a queued run never starts, a running one is killed
// within a second, an ended one is a 409. Interactive stdin over the stream.
import t from 'tap';
import type WebSocket from 'ws';
import { readStream, request, runToEnd } from '../helpers/client.js';
import { containersLeftBy, startService, startTestRedis } from '../helpers/service.js';

async function waitForStatus(url: string, id: string, status: string, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await request(url, 'GET', `/runs/${id}`);
    if (body.status === status || Date.now() > until) return body;
    await new Promise((r) => setTimeout(r, 50));
  }
}

t.test('a queued run that is cancelled never starts, even once a worker comes', async (t) => {
  const redis = await startTestRedis();
  t.teardown(() => redis.discard());
  const apiOnly = await startService(t, { worker: false, redisUrl: redis.url });
  const { body: run } = await request(apiOnly.url, 'POST', '/runs', { language: 'bash', source: 'echo ran' });
  t.equal(run.status, 'queued');
  const cancelled = await request(apiOnly.url, 'DELETE', `/runs/${run.id}`);
  t.equal(cancelled.status, 202);
  t.match(cancelled.body, { status: 'cancelled', verdict: null, startedAt: null });
  t.ok(cancelled.body.finishedAt, 'finishedAt set');

  const withWorker = await startService(t, { redisUrl: redis.url });
  const later = await runToEnd(withWorker.url, { language: 'bash', source: 'echo next' });
  t.equal(later.stdout, 'next\n', 'the worker is taking jobs');
  const { body: record } = await request(withWorker.url, 'GET', `/runs/${run.id}`);
  t.match(record, { status: 'cancelled', stdout: '', startedAt: null });
  const again = await request(withWorker.url, 'DELETE', `/runs/${run.id}`);
  t.equal(again.status, 409);
  t.equal(again.body.code, 'conflict');
  const { frames, closeCode } = await readStream(withWorker.wsUrl, `/runs/${run.id}/stream`);
  t.same(
    frames.map((f) => (f.type === 'status' ? f.status : f.type)),
    ['queued', 'cancelled', 'end'],
  );
  t.equal(closeCode, 1000);
  await withWorker.stopApi();
  await withWorker.stopWorker();
  await apiOnly.stopApi();
});

t.test('cancelling running runs', async (t) => {
  const { url, wsUrl } = await startService(t);

  t.test('DELETE kills a running run within a second and removes its container', async (t) => {
    const { body: run } = await request(url, 'POST', '/runs', {
      language: 'python',
      source: 'import time\nprint("started", flush=True)\ntime.sleep(30)',
    });
    const running = await waitForStatus(url, run.id, 'running');
    t.equal(running.status, 'running');
    await new Promise((r) => setTimeout(r, 300));
    const asked = Date.now();
    const reply = await request(url, 'DELETE', `/runs/${run.id}`);
    const tookMs = Date.now() - asked;
    t.equal(reply.status, 202);
    t.equal(reply.body.status, 'cancelled');
    t.ok(tookMs < 1500, `cancelled in ${tookMs} ms`);
    t.same(await containersLeftBy(run.id), [], 'no container left');
    t.equal((await request(url, 'DELETE', `/runs/${run.id}`)).status, 409, 'a second cancel is a conflict');
  });

  t.test('a cancel frame on the stream ends the run as cancelled', async (t) => {
    const { body: run } = await request(url, 'POST', '/runs', { language: 'bash', source: 'echo ready; sleep 30' });
    const { frames, closeCode } = await readStream(wsUrl, `/runs/${run.id}/stream`, undefined, (frame, ws) => {
      if (frame.type === 'stdout') ws.send(JSON.stringify({ type: 'cancel' }));
    });
    t.equal(closeCode, 1000);
    t.equal(frames.at(-1).run.status, 'cancelled');
    t.same(await containersLeftBy(run.id), []);
  });

  t.test('DELETE of a run that ended is 409 conflict; of an unknown run 404', async (t) => {
    const record = await runToEnd(url, { language: 'bash', source: 'true' });
    const reply = await request(url, 'DELETE', `/runs/${record.id}`);
    t.equal(reply.status, 409);
    t.equal(reply.body.code, 'conflict');
    t.equal((await request(url, 'DELETE', '/runs/unknown')).status, 404);
  });

  t.test('interactive runs read stdin frames live, and eof closes stdin', async (t) => {
    const { body: run } = await request(url, 'POST', '/runs', {
      language: 'python',
      interactive: true,
      source: 'import sys\nfor line in sys.stdin:\n    print("echo:", line.strip(), flush=True)\nprint("bye")',
    });
    const sent: string[] = [];
    let seen = '';
    const { frames } = await readStream(
      wsUrl,
      `/runs/${run.id}/stream`,
      (ws: WebSocket) => {
        ws.send(JSON.stringify({ type: 'stdin', data: 'one\n' }));
        sent.push('one');
      },
      (frame, ws) => {
        if (frame.type !== 'stdout') return;
        seen += frame.data; // one print may arrive as several frames
        if (seen === 'echo: one\n') {
          ws.send(JSON.stringify({ type: 'stdin', data: 'two\n' }));
          sent.push('two');
        } else if (seen === 'echo: one\necho: two\n') {
          ws.send(JSON.stringify({ type: 'eof' }));
        }
      },
    );
    t.same(sent, ['one', 'two'], 'the second line was sent only after the first was echoed');
    const end = frames.at(-1);
    t.match(end.run, { status: 'completed', verdict: 'ok', stdout: 'echo: one\necho: two\nbye\n', interactive: true });
  });

  t.test('stdin frames to a run that is not interactive are ignored', async (t) => {
    const { body: run } = await request(url, 'POST', '/runs', {
      language: 'python',
      source: 'import sys\nprint(repr(sys.stdin.read()))',
      stdin: 'given',
    });
    const { frames } = await readStream(wsUrl, `/runs/${run.id}/stream`, (ws) =>
      ws.send(JSON.stringify({ type: 'stdin', data: 'sneaky' })),
    );
    t.equal(frames.at(-1).run.stdout, "'given'\n");
  });
});
