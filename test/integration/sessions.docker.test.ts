// Sessions on real Docker: state across execs, an exec killed at a limit, files in and out
// (binary, large, nested), hostile paths and links, the terminal, a snapshot round trip, and
// every way a session ends with its container gone afterwards.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import t from 'tap';
import WebSocket from 'ws';
import { createRunboxClient } from '../../src/client/runbox-client.js';
import { request, runToEnd } from '../helpers/client.js';
import { containersLeftBy, containersOf, imageGone, sandboxRuntime, startService } from '../helpers/service.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads a session until it has ended (or `waitMs` passed). */
async function untilEnded(url: string, id: string, waitMs = 30_000): Promise<any> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const { body } = await request(url, 'GET', `/sessions/${id}`);
    if (body.status === 'ended' || body.status === 'lost' || Date.now() > deadline) return body;
    await sleep(250);
  }
}

async function putFile(url: string, id: string, path: string, data: Buffer | string) {
  const response = await fetch(`${url}/sessions/${id}/files/${path}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: typeof data === 'string' ? data : new Uint8Array(data),
  });
  return { status: response.status, body: await response.text() };
}

/** A request with its path sent as written: fetch would resolve %2e%2e segments before sending. */
function rawStatus(url: string, method: string, path: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, method, path }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(method === 'PUT' ? 'x' : undefined);
  });
}

async function getFile(url: string, id: string, path: string) {
  const response = await fetch(`${url}/sessions/${id}/files/${path}`);
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

t.test('sessions', async (t) => {
  const service = await startService(t, { env: { SESSION_IDLE_TIMEOUT_MS: '60000', SESSION_MAX_PER_KEY: '2', SNAPSHOT_MAX_PER_KEY: '2' } });
  const { url, wsUrl } = service;

  const { status, body: session } = await request(url, 'POST', '/sessions', { language: 'python', limits: { memoryMb: 256 } });
  t.equal(status, 201, JSON.stringify(session));
  t.equal(session.status, 'ready');
  const exec = (body: object, query = '') => request(url, 'POST', `/sessions/${session.id}/exec${query}`, body);

  t.test('a file written by one exec is there for the next; argv and shell strings, stdin, cwd, env', async (t) => {
    const first = await exec({ command: 'mkdir -p sub && echo "$GREETING" > sub/a.txt', env: { GREETING: 'hello' } });
    t.equal(first.status, 200, JSON.stringify(first.body));
    t.match(first.body, { verdict: 'ok', exitCode: 0, command: ['sh', '-c', 'mkdir -p sub && echo "$GREETING" > sub/a.txt'] });
    const second = await exec({ command: ['cat', 'a.txt', '-'], cwd: 'sub', stdin: 'from stdin' });
    t.match(second.body, { verdict: 'ok', exitCode: 0, stdout: 'hello\nfrom stdin' });
    t.type(second.body.timeMs, 'number');
    const sandboxed = await exec({
      command:
        'id -u; python3 -c "import socket; print(*[n for _, n in socket.if_nameindex()])"; touch /usr/x 2>/dev/null || echo read-only',
    });
    t.equal(sandboxed.body.stdout, '1000\nlo\nread-only\n', 'not root, no network but loopback, a read-only root');
    const failing = await exec({ command: 'exit 3' });
    t.match(failing.body, { verdict: 'runtime_error', exitCode: 3 });
  });

  t.test('an exec killed for time leaves the session usable', async (t) => {
    const slow = await exec({ command: ['sleep', '30'], timeMs: 500 });
    t.match(slow.body, { verdict: 'time_limit_exceeded' });
    t.ok(slow.body.timeMs < 10_000, `killed after ${slow.body.timeMs} ms`);
    const after = await exec({ command: 'cat sub/a.txt' });
    t.match(after.body, { verdict: 'ok', stdout: 'hello\n' });
  });

  t.test('?stream=true answers newline-delimited frames, then the record', async (t) => {
    const response = await fetch(`${url}/sessions/${session.id}/exec?stream=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ command: 'echo one; echo two >&2' }),
    });
    t.equal(response.headers.get('content-type'), 'application/x-ndjson');
    const frames = (await response.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    t.match(frames.at(-1), { type: 'end', exec: { verdict: 'ok', stdout: 'one\n', stderr: 'two\n' } });
    t.same(
      frames
        .filter((f) => f.type === 'stdout')
        .map((f) => f.data)
        .join(''),
      'one\n',
    );
  });

  t.test('files in and out: binary, large, nested; listings', async (t) => {
    const binary = randomBytes(3 * 1024 * 1024);
    t.equal((await putFile(url, session.id, 'deep/er/data.bin', binary)).status, 204);
    const back = await getFile(url, session.id, 'deep/er/data.bin');
    t.equal(back.status, 200);
    t.equal(back.headers.get('x-runbox-type'), 'file');
    t.ok(back.bytes.equals(binary), 'the same bytes come back');
    const seen = await exec({
      command: ['python3', '-c', 'import hashlib;print(hashlib.sha256(open("deep/er/data.bin","rb").read()).hexdigest())'],
    });
    t.equal(seen.body.stdout.trim(), createHash('sha256').update(binary).digest('hex'), 'an exec reads what was put');
    const listing = await request(url, 'GET', `/sessions/${session.id}/files/deep/er`);
    t.equal(listing.status, 200);
    t.match(listing.body, [{ name: 'data.bin', type: 'file', size: binary.length, mtime: String }]);
    const root = await request(url, 'GET', `/sessions/${session.id}/files`);
    t.ok(
      root.body.some((e: any) => e.name === 'deep' && e.type === 'folder'),
      'the work folder lists deep',
    );
    t.equal((await request(url, 'DELETE', `/sessions/${session.id}/files/deep`)).status, 204);
    t.equal((await getFile(url, session.id, 'deep/er/data.bin')).status, 404);
  });

  t.test('hostile paths and links: nothing outside the work folder is read or written', async (t) => {
    await exec({ command: 'ln -s /etc/passwd passwd; ln -s /etc etc; ln -s /tmp tmp; ln -s /proc/1/root hostroot; ln -s .. up' });
    const listing = await request(url, 'GET', `/sessions/${session.id}/files`);
    t.match(
      listing.body.find((e: any) => e.name === 'passwd'),
      { type: 'symlink' },
      'a link is listed as a link',
    );
    for (const path of ['passwd', 'etc/passwd', 'hostroot/etc/hostname', 'up/etc/passwd']) {
      const read = await getFile(url, session.id, path);
      t.not(read.status, 200, `GET ${path} is refused (${read.status})`);
      t.notOk(read.bytes.toString().includes('root:x:0:0'), `GET ${path} shows no passwd`);
    }
    // A folder on the way that is a link is not followed: the write is refused, nothing lands in /tmp.
    t.match((await putFile(url, session.id, 'tmp/evil', 'x')).status, /^(404|409)$/, 'a PUT through a link is refused');
    t.equal((await putFile(url, session.id, 'passwd', 'x')).status, 409, 'a PUT onto a link is refused');
    t.equal((await exec({ command: 'test -e /tmp/evil && echo written || echo absent' })).body.stdout, 'absent\n');
    for (const path of ['%2e%2e/%2e%2e/etc/passwd', '..%2f..%2fetc%2fpasswd', 'a/%2e%2e/%2e%2e/x', '.%2E/x', '%00x', '..']) {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        t.equal(await rawStatus(url, method, `/sessions/${session.id}/files/${path}`), 400, `${method} ${path}: 400`);
      }
    }
    // The link's target is untouched, the link itself removed.
    t.equal((await request(url, 'DELETE', `/sessions/${session.id}/files/passwd`)).status, 204);
    const still = await exec({ command: 'head -c 5 /etc/passwd; test -e passwd || echo gone' });
    t.equal(still.body.stdout, 'root:gone\n');
  });

  t.test('the terminal: type a command, see its output, resize, exit', async (t) => {
    const ws = new WebSocket(`${wsUrl}/sessions/${session.id}/shell?cols=100&rows=30`);
    let output = '';
    const frames: any[] = [];
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      frames.push(frame);
      if (frame.type === 'stdout') output += frame.data;
    });
    const closed = new Promise<number>((resolve) => ws.on('close', resolve));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const until = async (pattern: RegExp) => {
      const deadline = Date.now() + 15_000;
      while (!pattern.test(output) && Date.now() < deadline) await sleep(50);
      return pattern.test(output);
    };
    ws.send(JSON.stringify({ type: 'stdin', data: 'echo $((6*7)) $(id -u)\n' }));
    t.ok(await until(/42 1000/), `typed command answered: ${JSON.stringify(output)}`);
    // The shell holds no more than a program of an exec: no capabilities, no_new_privs, seccomp.
    ws.send(
      JSON.stringify({
        type: 'stdin',
        data: "grep -E '^(CapBnd|CapEff|NoNewPrivs|Seccomp):' /proc/self/status | tr -s '\\t ' ' '; echo status-$((40+2))\n",
      }),
    );
    t.ok(await until(/status-42/), 'status read');
    t.match(output, /CapBnd: 0000000000000000/);
    t.match(output, /CapEff: 0000000000000000/);
    // gVisor's /proc/<pid>/status has no NoNewPrivs line.
    if (sandboxRuntime() !== 'runsc') t.match(output, /NoNewPrivs: 1/);
    t.match(output, /Seccomp: 2/);
    ws.send(JSON.stringify({ type: 'resize', cols: 120, rows: 40 }));
    await sleep(200);
    ws.send(JSON.stringify({ type: 'stdin', data: 'stty size\n' }));
    t.ok(await until(/40 120/), 'the terminal has its new size');
    ws.send(JSON.stringify({ type: 'stdin', data: 'exit 7\n' }));
    t.equal(await closed, 1000);
    t.match(frames.at(-1), { type: 'exit', exitCode: 7 });
  });

  t.test('a snapshot of a run that wrote a file and exited non-zero opens as a session', async (t) => {
    const run = await runToEnd(url, {
      language: 'python',
      source: 'open("left.txt", "w").write("what the run left")\nraise SystemExit(4)',
      snapshot: true,
    });
    t.match(run, { status: 'completed', exitCode: 4, snapshot: String }, JSON.stringify(run));
    const listed = await request(url, 'GET', '/snapshots');
    t.ok(
      listed.body.snapshots.some((s: any) => s.id === run.snapshot && s.source.kind === 'run' && s.source.id === run.id),
      'listed',
    );
    const { status, body: opened } = await request(url, 'POST', '/sessions', { snapshot: run.snapshot });
    t.equal(status, 201, JSON.stringify(opened));
    t.match(opened, { language: 'python', snapshot: run.snapshot });
    const read = await getFile(url, opened.id, 'left.txt');
    t.equal(read.bytes.toString(), 'what the run left');
    t.equal((await request(url, 'DELETE', `/sessions/${opened.id}`)).status, 204);

    // A live session's snapshot, and its removal.
    const taken = await request(url, 'POST', `/sessions/${session.id}/snapshot`, { label: 'mine' });
    t.equal(taken.status, 201, JSON.stringify(taken.body));
    const third = await request(url, 'POST', `/sessions/${session.id}/snapshot`, {});
    t.equal(third.status, 429, 'a third snapshot is past SNAPSHOT_MAX_PER_KEY');
    t.equal(third.body.code, 'snapshot_quota_exceeded');
    t.ok(Number(third.headers.get('retry-after')) > 0, 'with Retry-After');
    t.equal((await request(url, 'DELETE', `/snapshots/${taken.body.snapshot}`)).status, 204);
    t.equal((await request(url, 'GET', `/snapshots/${taken.body.snapshot}`)).status, 404);
    t.equal((await request(url, 'DELETE', `/snapshots/${run.snapshot}`)).status, 204);
    // Its image was in use by the session just deleted: the worker removes it once that sandbox is gone.
    t.ok(await imageGone(`${service.config.imagePrefix}snapshot:${run.snapshot}`, 30_000), "a deleted snapshot's image is removed");
  });

  t.test('GET /sessions lists the open ones, a page at a time', async (t) => {
    const { body } = await request(url, 'GET', '/sessions?limit=1');
    t.equal(body.sessions.length, 1);
    t.equal(body.sessions[0].id, session.id);
  });

  t.test('DELETE ends it and removes its container', async (t) => {
    t.equal((await containersOf(session.id)).length, 1, 'one container while open');
    t.equal((await request(url, 'DELETE', `/sessions/${session.id}`)).status, 204);
    t.same(await containersLeftBy(session.id), []);
    t.match((await request(url, 'GET', `/sessions/${session.id}`)).body, { status: 'ended', endReason: 'deleted' });
    t.equal((await exec({ command: 'true' })).status, 409);
  });

  t.test('idle expiry and lifetime end a session and remove its container', async (t) => {
    const idle = (await request(url, 'POST', '/sessions', { language: 'bash', idleTimeoutMs: 1500 })).body;
    const short = (await request(url, 'POST', '/sessions', { language: 'bash', maxLifetimeMs: 3000 })).body;
    const over = await request(url, 'POST', '/sessions', { language: 'bash' });
    t.equal(over.status, 429, 'a third open session is past SESSION_MAX_PER_KEY');
    t.equal(over.body.code, 'too_many_sessions');
    // Kept alive past its idle timeout by use, the lifetime still ends it.
    for (let i = 0; i < 4; i++) {
      await request(url, 'POST', `/sessions/${short.id}/keepalive`);
      await sleep(500);
    }
    t.match(await untilEnded(url, idle.id), { status: 'ended', endReason: 'idle' });
    t.match(await untilEnded(url, short.id), { status: 'ended', endReason: 'lifetime' });
    t.same(await containersLeftBy(idle.id), []);
    t.same(await containersLeftBy(short.id), []);
  });

  t.test('an exec killed for memory', async (t) => {
    const own = (await request(url, 'POST', '/sessions', { language: 'python', limits: { memoryMb: 128 } })).body;
    const run = (command: string) => request(url, 'POST', `/sessions/${own.id}/exec`, { command });
    await run('echo kept > kept.txt');
    const hungry = await run("python3 -c 'x = bytearray(1024 * 1024 * 1024)'");
    t.match(hungry.body, { verdict: 'memory_limit_exceeded' }, JSON.stringify(hungry.body));
    const after = await run('cat kept.txt');
    if (sandboxRuntime() === 'runsc') {
      // gVisor enforces memory for the whole sandbox, not per exec: the kill ends the session (docs/sessions.md).
      t.equal(after.status, 409, JSON.stringify(after.body));
      t.match((await request(url, 'GET', `/sessions/${own.id}`)).body, { status: 'ended', endReason: 'failed' });
      t.same(await containersLeftBy(own.id), []);
    } else {
      t.match(after.body, { verdict: 'ok', stdout: 'kept\n' }, 'the session is usable afterwards');
      t.equal((await request(url, 'DELETE', `/sessions/${own.id}`)).status, 204);
    }
  });

  t.test("the client's session methods", async (t) => {
    const client = createRunboxClient({ url });
    const opened = await client.createSession({ language: 'bash', files: [{ name: 'in.txt', content: 'given' }] });
    t.equal((await client.getSession(opened.id)).status, 'ready');
    await client.writeFile(opened.id, 'dir/bytes.bin', new Uint8Array([0, 255, 10, 13]));
    t.same([...(await client.readFile(opened.id, 'dir/bytes.bin'))], [0, 255, 10, 13]);
    t.match(await client.listFiles(opened.id, 'dir'), [{ name: 'bytes.bin', type: 'file', size: 4 }]);
    t.match(await client.exec(opened.id, { command: 'cat in.txt' }), { verdict: 'ok', stdout: 'given' });
    const frames = [];
    for await (const frame of client.execStream(opened.id, { command: 'echo a; echo b >&2' })) frames.push(frame);
    t.match(frames.at(-1), { type: 'end', exec: { stdout: 'a\n', stderr: 'b\n' } });
    const shell = client.shell(opened.id);
    shell.write('echo $((2+3))x; exit\n');
    let shown = '';
    let exit;
    for await (const frame of shell) {
      if (frame.type === 'stdout') shown += frame.data;
      else exit = frame;
    }
    t.match(shown, /5x/);
    t.match(exit, { type: 'exit', exitCode: 0 });
    await client.removeFile(opened.id, 'dir');
    await t.rejects(client.readFile(opened.id, 'dir/bytes.bin'), { status: 404, code: 'not_found' });
    await client.deleteSession(opened.id);
    await t.rejects(client.exec(opened.id, { command: 'true' }), { status: 409, code: 'conflict' });
  });
});
