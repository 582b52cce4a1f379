// The Piston facade against the real service: the examples of Piston's API documentation
// (docs/api-v2.md), its 400 {message} answers, the npm piston-client used as it is, and the
// v2 WebSocket protocol with its close codes.
import t from 'tap';
import WebSocket from 'ws';
import { piston } from 'piston-client';
import { sha256Hex } from '../../src/api/auth.js';
import { request } from '../helpers/client.js';
import { startService } from '../helpers/service.js';

interface Conversation {
  frames: Record<string, unknown>[];
  code: number;
  reason: string;
}

/** Opens /piston/api/v2/connect, sends `first` on open, lets `onFrame` answer; resolves on close. */
function converse(
  wsBase: string,
  first: object[],
  onFrame?: (frame: Record<string, unknown>, ws: WebSocket) => void,
  headers: Record<string, string> = {},
): Promise<Conversation> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${wsBase}/piston/api/v2/connect`, { headers });
    const frames: Record<string, unknown>[] = [];
    ws.on('open', () => first.forEach((f) => ws.send(JSON.stringify(f))));
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      frames.push(frame);
      onFrame?.(frame, ws);
    });
    ws.on('close', (code, reason) => resolve({ frames, code, reason: reason.toString() }));
    ws.on('error', reject);
  });
}

t.test('Piston facade', async (t) => {
  const service = await startService(t);
  const base = service.url;

  t.test('GET /api/v2/runtimes lists Piston names, aliases both ways, versions from the images', async (t) => {
    const reply = await request(base, 'GET', '/piston/api/v2/runtimes');
    t.equal(reply.status, 200);
    const byName = new Map(reply.body.map((r: { language: string }) => [r.language, r]));
    t.match(byName.get('c++'), { aliases: ['cpp', 'g++'] });
    t.match(byName.get('rscript'), { aliases: ['r'] });
    t.match(byName.get('javascript'), { runtime: 'node', aliases: ['js', 'node', 'nodejs'] });
    t.match(byName.get('python'), { version: /^3\.\d+\.\d+$/ });
  });

  t.test('POST /api/v2/execute: the documented example', async (t) => {
    // The body of Piston's README example, but for run_timeout: 3000 ms there, 30 s here. This
    // checks the request and answer shapes, not a limit (the limits test below does), and
    // node's start alone has taken up to 13 s here when its files' pages had been evicted from
    // the page cache (docs/performance.md, "Cold runtimes").
    const reply = await request(base, 'POST', '/piston/api/v2/execute', {
      language: 'js',
      version: '*',
      files: [{ name: 'my_cool_code.js', content: 'console.log(process.argv.slice(2))' }],
      stdin: '',
      args: ['1', '2', '3'],
      compile_timeout: 10000,
      run_timeout: 30_000,
      compile_memory_limit: -1,
      run_memory_limit: -1,
    });
    t.equal(reply.status, 200);
    t.match(
      reply.body,
      {
        language: 'javascript',
        version: /^\d+\./,
        run: { stdout: "[ '1', '2', '3' ]\n", stderr: '', code: 0, signal: null },
      },
      `run: ${JSON.stringify(reply.body.run)}`,
    );
    t.equal(reply.body.run.output, reply.body.run.stdout);
    t.notOk('compile' in reply.body, 'no compile stage for an interpreted language');
    t.type(reply.body.run.memory, 'number');
    t.type(reply.body.run.wall_time, 'number');
  });

  t.test('output interleaves stdout and stderr in the order written; stdin gets its newline', async (t) => {
    const reply = await request(base, 'POST', '/piston/api/v2/execute', {
      language: 'python',
      version: '3.x',
      files: [
        {
          content:
            'import sys, time\nprint("a", flush=True)\ntime.sleep(0.1)\nprint("b", file=sys.stderr, flush=True)\ntime.sleep(0.1)\nprint("c" + input(), flush=True)',
        },
      ],
      stdin: 'd',
    });
    t.equal(reply.status, 200);
    t.match(reply.body.run, { stdout: 'a\ncd\n', stderr: 'b\n', output: 'a\nb\ncd\n', code: 0 });
  });

  t.test('a compiled language has a compile stage; a compile error answers run as the compile stage', async (t) => {
    const ok = await request(base, 'POST', '/piston/api/v2/execute', {
      language: 'c++',
      version: '*',
      files: [{ name: 'main.cpp', content: '#include <iostream>\nint main(){ std::cout << "hi" << std::endl; return 3; }' }],
    });
    t.match(ok.body, {
      language: 'c++',
      compile: { code: 0, status: null },
      run: { stdout: 'hi\n', code: 3, status: 'RE', message: 'Exited with error status 3' },
    });
    const broken = await request(base, 'POST', '/piston/api/v2/execute', {
      language: 'c',
      version: '*',
      files: [{ name: 'main.c', content: 'int main( {' }],
    });
    t.equal(broken.status, 200);
    t.match(broken.body.compile, { code: 1, status: 'RE' });
    t.match(broken.body.compile.output, /error/);
    t.same(broken.body.run, broken.body.compile);
  });

  t.test('limits: a timeout is status TO with SIGKILL; output past the cap is OL', async (t) => {
    const slow = await request(base, 'POST', '/piston/api/v2/execute', {
      language: 'python',
      version: '*',
      files: [{ content: 'import time\ntime.sleep(10)' }],
      run_timeout: 500,
    });
    t.match(slow.body.run, { status: 'TO', signal: 'SIGKILL', code: null, verdict: 'time_limit_exceeded' });
  });

  t.test("400 {message} in Piston's words", async (t) => {
    const file = [{ content: 'print(1)' }];
    const cases: [object, string][] = [
      [{ version: '*', files: file }, 'language is required as a string'],
      [{ language: 'python', files: file }, 'version is required as a string'],
      [{ language: 'python', version: '*' }, 'files is required as an array'],
      [{ language: 'python', version: '*', files: [{}] }, 'files[0].content is required as a string'],
      [{ language: 'cobol', version: '*', files: file }, 'cobol-* runtime is unknown'],
      [{ language: 'python', version: '2.x', files: file }, 'python-2.x runtime is unknown'],
      [
        { language: 'python', version: '*', files: [{ content: 'cHJpbnQoMSk=', encoding: 'base64' }] },
        'files must include at least one utf8 encoded file',
      ],
      [{ language: 'python', version: '*', files: file, run_timeout: 'x' }, 'If specified, run_timeout must be a number'],
      [
        { language: 'python', version: '*', files: file, run_timeout: 10_000_000 },
        `run_timeout cannot exceed the configured limit of ${service.config.runTimeMaxMs}`,
      ],
      [{ language: 'python', version: '*', files: file, run_cpu_time: -5 }, 'run_cpu_time must be non-negative'],
    ];
    for (const [body, message] of cases) {
      const reply = await request(base, 'POST', '/piston/api/v2/execute', body);
      t.equal(reply.status, 400, message);
      t.equal(reply.body.message, message);
    }
    const notJson = await request(base, 'POST', '/piston/api/v2/execute', 'not json', { 'content-type': 'text/plain' });
    t.same([notJson.status, notJson.body.message], [400, 'the body is not JSON']);
  });

  t.test('the npm piston-client, as it is, against /piston (it sends JSON as text/plain)', async (t) => {
    const client = piston({ server: `${base}/piston` });
    const runtimes = await client.runtimes();
    t.ok(Array.isArray(runtimes) && runtimes.some((r: { language: string }) => r.language === 'python'));
    const result = await client.execute('python', 'import sys\nprint("hello from piston-client", sys.argv[1:])');
    t.match(result, { language: 'python', run: { stdout: "hello from piston-client ['1', '2', '3']\n", code: 0 } });
    const files = await client.execute({ language: 'bash', files: [{ name: 'x.sh', content: 'echo "$1"' }], args: ['arg'] });
    t.equal(files.run.output, 'arg\n');
  });

  t.test('WebSocket: init, runtime, stage, stdin as data frames, eof, exit, close 4999', async (t) => {
    const talk = await converse(
      service.wsUrl,
      [
        {
          type: 'init',
          language: 'python',
          version: '*',
          files: [{ content: 'import sys\nfor line in sys.stdin:\n    print("hello", line.strip(), flush=True)\nprint("bye")' }],
        },
      ],
      (frame, ws) => {
        if (frame.type === 'stage') ws.send(JSON.stringify({ type: 'data', stream: 'stdin', data: 'Ada\n' }));
        if (frame.type === 'data' && frame.data === 'hello Ada\n') ws.send(JSON.stringify({ type: 'eof' }));
      },
    );
    t.same([talk.code, talk.reason], [4999, 'Job Completed']);
    t.match(talk.frames[0], { type: 'runtime', language: 'python', version: /^3\./ });
    t.same(talk.frames[1], { type: 'stage', stage: 'run' });
    const data = talk.frames.filter((f) => f.type === 'data').map((f) => f.data);
    t.same(data.join(''), 'hello Ada\nbye\n');
    t.match(talk.frames.at(-1), { type: 'exit', stage: 'run', code: 0, signal: null });
  });

  t.test('WebSocket: a compiled language gets compile and run stages', async (t) => {
    const talk = await converse(service.wsUrl, [
      {
        type: 'init',
        language: 'c',
        version: '*',
        files: [{ name: 'main.c', content: '#include <stdio.h>\nint main(){ puts("compiled"); return 0; }' }],
      },
    ]);
    t.same(
      talk.frames.filter((f) => f.type !== 'data').map((f) => [f.type, f.stage ?? f.language]),
      [
        ['runtime', 'c'],
        ['stage', 'compile'],
        ['exit', 'compile'],
        ['stage', 'run'],
        ['exit', 'run'],
      ],
    );
    t.equal(talk.code, 4999);
  });

  t.test('WebSocket: a signal stops the program (Piston never delivered one)', async (t) => {
    const talk = await converse(
      service.wsUrl,
      [{ type: 'init', language: 'python', version: '*', files: [{ content: 'import time\nprint("up", flush=True)\ntime.sleep(30)' }] }],
      (frame, ws) => frame.type === 'data' && ws.send(JSON.stringify({ type: 'signal', signal: 'SIGTERM' })),
    );
    t.equal(talk.code, 4999);
    t.match(talk.frames.at(-1), { type: 'exit', stage: 'run', signal: 'SIGKILL', code: null });
  });

  t.test('WebSocket close codes: 4000, 4001, 4002 (after an error frame), 4003, 4004, 4005', async (t) => {
    const init = { type: 'init', language: 'python', version: '*', files: [{ content: 'import time\ntime.sleep(5)' }] };
    const timeout = await converse(service.wsUrl, []);
    t.same([timeout.code, timeout.reason], [4001, 'Initialization Timeout']);
    const early = await converse(service.wsUrl, [{ type: 'data', stream: 'stdin', data: 'x' }]);
    t.equal(early.code, 4003);
    const twice = await converse(service.wsUrl, [init, init]);
    t.same([twice.code, twice.reason], [4000, 'Already Initialized']);
    const stdout = await converse(service.wsUrl, [init, { type: 'data', stream: 'stdout', data: 'x' }]);
    t.equal(stdout.code, 4004);
    const badSignal = await converse(service.wsUrl, [init, { type: 'signal', signal: 'SIGNOPE' }]);
    t.equal(badSignal.code, 4005);
    const unknown = await converse(service.wsUrl, [{ type: 'init', language: 'cobol', version: '*', files: [{ content: '' }] }]);
    t.same([unknown.code, unknown.frames], [4002, [{ type: 'error', message: 'cobol-* runtime is unknown' }]]);
  });
});

t.test('Piston facade with API keys: a bare Authorization header', async (t) => {
  const API_KEYS = `user:runs+read:${sha256Hex('piston-key')}`;
  const { url } = await startService(t, { worker: false, env: { API_KEYS } });
  t.equal((await request(url, 'GET', '/piston/api/v2/runtimes')).status, 401);
  t.equal((await request(url, 'GET', '/piston/api/v2/runtimes', undefined, { authorization: 'piston-key' })).status, 200);
  t.equal((await request(url, 'GET', '/piston/api/v2/runtimes', undefined, { authorization: 'Bearer piston-key' })).status, 200);
  t.equal((await request(url, 'GET', '/runtimes', undefined, { authorization: 'piston-key' })).status, 401, 'a bare key only on /piston');
});
