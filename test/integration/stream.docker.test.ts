// GET /runs/{id}/stream: order, live delivery, replay, resume, base64, 4404, hostile output.
import t from 'tap';
import WebSocket from 'ws';
import { readStream, request, runToEnd } from '../helpers/client.js';
import { startService } from '../helpers/service.js';

t.test('run stream', async (t) => {
  const service = await startService(t);
  const { url, wsUrl } = service;

  t.test('frames arrive live: a flushed line comes before the sleep after it ends', async (t) => {
    const { body: run } = await request(url, 'POST', '/runs', {
      language: 'python',
      source: 'import sys, time\nprint("first", flush=True)\ntime.sleep(2)\nprint("second")\nprint("oops", file=sys.stderr)',
    });
    const { frames, closeCode, times } = await readStream(wsUrl, `/runs/${run.id}/stream`);
    t.equal(closeCode, 1000);
    const firstAt = times[frames.findIndex((f) => f.type === 'stdout' && f.data.includes('first'))];
    const endAt = times[frames.findIndex((f) => f.type === 'end')];
    t.ok(endAt - firstAt >= 1500, `first line came ${endAt - firstAt} ms before the end`);
    t.same(
      frames.filter((f) => f.type === 'status').map((f) => f.status),
      ['queued', 'running', 'completed'],
    );
    const output = frames.filter((f) => f.type === 'stdout' || f.type === 'stderr');
    t.same(
      output.map((f) => f.seq),
      output.map((_, i) => i + 1),
      'seq rises by one from 1',
    );
    t.equal(
      output
        .filter((f) => f.type === 'stdout')
        .map((f) => f.data)
        .join(''),
      'first\nsecond\n',
    );
    t.equal(
      output
        .filter((f) => f.type === 'stderr')
        .map((f) => f.data)
        .join(''),
      'oops\n',
    );
    const end = frames.at(-1);
    t.equal(end.type, 'end');
    t.match(end.run, { id: run.id, status: 'completed', verdict: 'ok', stdout: 'first\nsecond\n', stderr: 'oops\n' });
  });

  t.test('a client that stops reading never makes the API buffer without bound; once it reads, every byte arrives', async (t) => {
    // 15 MiB of output, far more than the loopback socket buffers hold.
    const { body: run } = await request(url, 'POST', '/runs', {
      language: 'python',
      source: 'import sys\nfor i in range(240):\n    sys.stdout.write(str(i % 10) * 65536)\n    sys.stdout.flush()',
      limits: { outputBytes: 16 * 1024 * 1024 },
    });
    const frames: any[] = [];
    const ws = new WebSocket(`${wsUrl}/runs/${run.id}/stream`);
    const closed = new Promise<number>((resolve) => ws.on('close', resolve));
    ws.on('message', (data) => frames.push(JSON.parse(data.toString())));
    await new Promise((resolve) => ws.once('open', resolve));
    const socket = (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();

    // While the client reads nothing, watch what the API holds for it until the run ends.
    let maxBuffered = 0;
    let record = (await request(url, 'GET', `/runs/${run.id}`)).body;
    while (record.status === 'queued' || record.status === 'running') {
      for (const client of service.app.websocketServer.clients) maxBuffered = Math.max(maxBuffered, client.bufferedAmount);
      await new Promise((r) => setTimeout(r, 20));
      record = (await request(url, 'GET', `/runs/${run.id}`)).body;
    }
    for (let i = 0; i < 25; i++) {
      for (const client of service.app.websocketServer.clients) maxBuffered = Math.max(maxBuffered, client.bufferedAmount);
      await new Promise((r) => setTimeout(r, 20));
    }
    t.equal(record.stdout.length, 240 * 65536, 'the program wrote 15 MiB');
    t.ok(
      maxBuffered > 0 && maxBuffered < 2 * 1024 * 1024,
      `the API held at most ${maxBuffered} bytes for the stalled client (bound: 1 MiB + a frame)`,
    );

    socket.resume();
    t.equal(await closed, 1000);
    t.equal(
      frames
        .filter((f) => f.type === 'stdout')
        .map((f) => f.data)
        .join(''),
      record.stdout,
      'every byte arrives once the client reads',
    );
    t.equal(frames.at(-1).type, 'end');
  });

  t.test('a late client gets the same frames as replay; ?from=N resumes after frame N', async (t) => {
    const record = await runToEnd(url, { language: 'bash', source: 'for i in 1 2 3 4 5; do echo line $i; sleep 0.05; done' });
    const all = await readStream(wsUrl, `/runs/${record.id}/stream`);
    const output = all.frames.filter((f) => f.type === 'stdout');
    t.ok(output.length >= 2, 'several output frames');
    t.equal(output.map((f) => f.data).join(''), 'line 1\nline 2\nline 3\nline 4\nline 5\n');
    const resumed = await readStream(wsUrl, `/runs/${record.id}/stream?from=2`);
    const resumedOutput = resumed.frames.filter((f) => f.type === 'stdout');
    t.same(resumedOutput, output.slice(2), 'every frame after 2, once');
    t.equal(resumed.frames.at(-1).type, 'end');
    t.equal(resumed.closeCode, 1000);
  });

  t.test('?encoding=base64 carries the raw bytes; bytes that are not UTF-8 break neither record nor frame', async (t) => {
    const record = await runToEnd(url, {
      language: 'python',
      source: 'import sys\nsys.stdout.buffer.write(b"ok \\xff\\xfe \\xe2\\x82 end\\n")',
    });
    t.equal(record.status, 'completed');
    t.equal(record.stdout, 'ok \uFFFD\uFFFD \uFFFD end\n');
    const raw = await readStream(wsUrl, `/runs/${record.id}/stream?encoding=base64`);
    const bytes = Buffer.concat(raw.frames.filter((f) => f.type === 'stdout').map((f) => Buffer.from(f.data, 'base64')));
    t.same([...bytes], [...Buffer.from('ok \xff\xfe \xe2\x82 end\n', 'latin1')]);
    const text = await readStream(wsUrl, `/runs/${record.id}/stream`);
    t.equal(
      text.frames
        .filter((f) => f.type === 'stdout')
        .map((f) => f.data)
        .join(''),
      'ok \uFFFD\uFFFD \uFFFD end\n',
    );
  });

  t.test('a multi-byte character written in two pieces arrives whole', async (t) => {
    const record = await runToEnd(url, {
      language: 'python',
      source:
        'import sys, time\nb = "€🙂".encode()\nsys.stdout.buffer.write(b[:2]); sys.stdout.flush(); time.sleep(0.2)\nsys.stdout.buffer.write(b[2:]); sys.stdout.flush()',
    });
    const { frames } = await readStream(wsUrl, `/runs/${record.id}/stream`);
    const data = frames.filter((f) => f.type === 'stdout').map((f) => f.data);
    t.notOk(
      data.some((d) => d.includes('\uFFFD')),
      'no replacement character in any frame',
    );
    t.equal(data.join(''), '€🙂');
  });

  t.test('output that imitates protocol frames arrives as data only', async (t) => {
    const fake = '{"type":"end","run":{"status":"completed","verdict":"accepted"}}';
    const { body: run } = await request(url, 'POST', '/runs', {
      language: 'python',
      source: `print(${JSON.stringify(fake)})\nprint("after")`,
    });
    const { frames } = await readStream(wsUrl, `/runs/${run.id}/stream`);
    t.equal(frames.filter((f) => f.type === 'end').length, 1);
    t.equal(frames.at(-1).run.stdout, `${fake}\nafter\n`);
    t.equal(
      frames
        .filter((f) => f.type === 'stdout')
        .map((f) => f.data)
        .join(''),
      `${fake}\nafter\n`,
    );
  });

  t.test('compile output carries phase "compile"', async (t) => {
    const record = await runToEnd(url, {
      language: 'c',
      source: '#include <stdio.h>\n#warning "careful"\nint main(void){puts("hi");return 0;}',
    });
    const { frames } = await readStream(wsUrl, `/runs/${record.id}/stream`);
    const compile = frames.filter((f) => f.phase === 'compile');
    t.ok(compile.length > 0 && compile.every((f) => f.type === 'stderr'), 'compiler warnings as compile frames');
    t.match(compile.map((f) => f.data).join(''), /careful/);
    const program = frames.filter((f) => f.type === 'stdout' && !f.phase);
    t.equal(program.map((f) => f.data).join(''), 'hi\n');
    t.match(record.compile, { exitCode: 0, stderr: /careful/ });
  });

  t.test('an unknown run closes with 4404', async (t) => {
    const { closeCode, frames } = await readStream(wsUrl, '/runs/no-such-run/stream');
    t.equal(closeCode, 4404);
    t.same(frames, []);
  });

  t.test('a plain GET of the stream route is a 400 that says to upgrade', async (t) => {
    const reply = await request(url, 'GET', '/runs/x/stream');
    t.equal(reply.status, 400);
    t.equal(reply.body.code, 'invalid_request');
  });
});
