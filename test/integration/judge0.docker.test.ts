// The Judge0 facade against the real service (real Redis, real Docker): the request and
// response examples of Judge0 CE 1.13's API documentation (docs/api/submissions/*.md), its
// status ids, base64 and fields, batches, deletes, additional_files and the multi-file
// program, callbacks, and X-Auth-Token keys. Language 4 of the docs' examples is archived in
// 1.13; C is 50 there.
import { createServer, type IncomingMessage } from 'node:http';
import t from 'tap';
import { sha256Hex } from '../../src/api/auth.js';
import { verifySignature } from '../../src/lib/signature.js';
import { request } from '../helpers/client.js';
import { zip as makeZip } from '../helpers/archives.js';
import { containersLeftBy, startService } from '../helpers/service.js';

const helloC =
  '#include <stdio.h>\n\nint main(void) {\n  char name[10];\n  scanf("%s", name);\n  printf("hello, %s\\n", name);\n  return 0;\n}';
const b64 = (text: string) => Buffer.from(text).toString('base64');
const SECRET = 'callback-secret';

/** GET the submission until its status is final (id > 2). */
async function settled(base: string, token: string, query = '', headers: Record<string, string> = {}) {
  for (let i = 0; i < 300; i++) {
    const reply = await request(base, 'GET', `/judge0/submissions/${token}${query}`, undefined, headers);
    const status = reply.body.status?.id ?? reply.body.status_id;
    if (reply.status !== 200 || status > 2) return reply;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`submission ${token} did not end`);
}

async function startReceiver(t: { teardown(fn: () => unknown): void }) {
  const received: { method?: string; headers: IncomingMessage['headers']; body: string }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method, headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  // A bare host: the record keeps it normalised (with a /), the callback must still be Judge0's PUT.
  return { url: `http://127.0.0.1:${port}`, received };
}

t.test('Judge0 facade', async (t) => {
  const service = await startService(t, { env: { WEBHOOK_SECRET: SECRET, WEBHOOK_ALLOW_PRIVATE: 'true' } });
  const base = service.url;

  t.test('create: 201 {token}, then GET answers the default fields in Judge0 units', async (t) => {
    const created = await request(base, 'POST', '/judge0/submissions', { source_code: helloC, language_id: 50, stdin: 'world' });
    t.equal(created.status, 201);
    t.same(Object.keys(created.body), ['token']);
    const reply = await settled(base, created.body.token);
    t.equal(reply.status, 200);
    t.same(Object.keys(reply.body).sort(), ['compile_output', 'memory', 'message', 'status', 'stderr', 'stdout', 'time', 'token']);
    t.match(reply.body, {
      stdout: 'hello, world\n',
      stderr: null,
      compile_output: null,
      message: null,
      status: { id: 3, description: 'Accepted' },
    });
    t.match(reply.body.time, /^\d+\.\d+$/, 'time is a string of seconds');
    t.equal(typeof reply.body.memory, 'number', 'memory in KB');
    t.ok(reply.body.memory > 0);
    t.same(await containersLeftBy(created.body.token), [], 'no container left');
  });

  t.test('422 with Judge0 field errors: no language, an unknown one, a limit above the maximum', async (t) => {
    const missing = await request(base, 'POST', '/judge0/submissions', { source_code: helloC });
    t.equal(missing.status, 422);
    t.same(missing.body, { language_id: ["can't be blank"] });
    const unknown = await request(base, 'POST', '/judge0/submissions', { source_code: helloC, language_id: 150000, stdin: 'world' });
    t.equal(unknown.status, 422);
    t.same(unknown.body, { language_id: ["language with id 150000 doesn't exist"] });
    const tooLong = await request(base, 'POST', '/judge0/submissions', {
      source_code: helloC,
      language_id: 50,
      number_of_runs: 1,
      stdin: 'Judge0',
      expected_output: 'hello, Judge0',
      cpu_time_limit: 1,
      cpu_extra_time: 0.5,
      wall_time_limit: 100000,
      memory_limit: 128000,
      stack_limit: 128000,
      enable_per_process_and_thread_time_limit: false,
      enable_per_process_and_thread_memory_limit: false,
      max_file_size: 1024,
    });
    t.equal(tooLong.status, 422);
    t.same(tooLong.body, { wall_time_limit: [`must be less than or equal to ${service.config.runTimeMaxMs / 1000}`] });
    const blank = await request(base, 'POST', '/judge0/submissions', { language_id: 71, source_code: '' });
    t.same(blank.body, { source_code: ["can't be blank"] });
  });

  t.test('wait=true with base64 input and expected_output: 201 with the result, base64 as Ruby writes it', async (t) => {
    const reply = await request(base, 'POST', '/judge0/submissions?base64_encoded=true&wait=true', {
      source_code: b64(helloC),
      language_id: '50',
      stdin: b64('Judge0'),
      expected_output: b64('hello, Judge0'),
    });
    t.equal(reply.status, 201);
    t.match(reply.body, { stdout: 'aGVsbG8sIEp1ZGdlMAo=\n', stderr: null, status: { id: 3, description: 'Accepted' } });
    const plain = await request(
      base,
      'GET',
      `/judge0/submissions/${reply.body.token}?fields=stdout,status_id,language_id,stderr,expected_output`,
    );
    t.same(plain.body, { stdout: 'hello, Judge0\n', status_id: 3, language_id: 50, stderr: null, expected_output: 'hello, Judge0' });
  });

  t.test('fields: * gives every field; an unknown field is a 400 naming it', async (t) => {
    const created = await request(base, 'POST', '/judge0/submissions?wait=true&fields=token', {
      source_code: 'print(42)',
      language_id: 71,
    });
    t.same(Object.keys(created.body), ['token']);
    const all = await request(base, 'GET', `/judge0/submissions/${created.body.token}?fields=*`);
    t.equal(all.status, 200);
    t.match(all.body, {
      source_code: 'print(42)',
      language_id: 71,
      stdout: '42\n',
      status_id: 3,
      exit_code: 0,
      exit_signal: null,
      number_of_runs: 1,
      enable_per_process_and_thread_time_limit: false,
      redirect_stderr_to_stdout: false,
      status: { id: 3, description: 'Accepted' },
      language: { id: 71 },
      runbox_status: 'completed',
      runbox_verdict: 'ok',
    });
    t.match(all.body.language.name, /^Python \(3\.\d+/);
    t.match(all.body.wall_time, /^\d+\.\d+$/);
    t.match(all.body.cpu_time_limit, /^\d+\.\d+$/, 'limits as decimal strings');
    const bad = await request(base, 'GET', `/judge0/submissions/${created.body.token}?fields=stdout,nope,worse`);
    t.equal(bad.status, 400);
    t.same(bad.body, { error: 'invalid fields: [nope, worse]' });
    t.equal((await request(base, 'GET', '/judge0/submissions/no-such-token')).status, 404);
  });

  t.test('batch: 201 with a token or field errors per submission, read back with GET ?tokens', async (t) => {
    const created = await request(base, 'POST', '/judge0/submissions/batch', {
      submissions: [
        { language_id: 46, source_code: 'echo hello from Bash' },
        { language_id: 123456789, source_code: 'print("hello from Python")' },
        { language_id: 72, source_code: '' },
        { language_id: 71, source_code: 'print("hello from Python")' },
      ],
    });
    t.equal(created.status, 201);
    t.match(created.body, [
      { token: String },
      { language_id: ["language with id 123456789 doesn't exist"] },
      { source_code: ["can't be blank"] },
      { token: String },
    ]);
    const tokens = [created.body[0].token, created.body[3].token];
    for (const token of tokens) await settled(base, token);
    const read = await request(
      base,
      'GET',
      `/judge0/submissions/batch?tokens=${tokens.join(',')},unknown&fields=token,stdout,status_id,language_id`,
    );
    t.equal(read.status, 200);
    t.same(read.body, {
      submissions: [
        { token: tokens[0], stdout: 'hello from Bash\n', status_id: 3, language_id: 46 },
        { token: tokens[1], stdout: 'hello from Python\n', status_id: 3, language_id: 71 },
        null,
      ],
    });
    const none = await request(base, 'POST', '/judge0/submissions/batch', { submissions: [{ source_code: 'x' }] });
    t.equal(none.status, 422, 'no valid submission: 422');
    const tooMany = await request(base, 'POST', '/judge0/submissions/batch', {
      submissions: Array.from({ length: 21 }, () => ({ language_id: 46, source_code: 'true' })),
    });
    t.same([tooMany.status, tooMany.body], [400, { error: 'number of submissions in a batch should be less than or equal to 20' }]);
    const empty = await request(base, 'POST', '/judge0/submissions/batch', { submissions: [] });
    t.same([empty.status, empty.body], [400, { error: 'there should be at least one submission in a batch' }]);
  });

  t.test('statuses by verdict: WA 4, TLE 5, CE 6, signals 7/9/10, NZEC 11, memory 12, output limit 8', async (t) => {
    const cases = [
      { want: 4, body: { language_id: 71, source_code: 'print(1)', expected_output: '2' } },
      { want: 5, body: { language_id: 71, source_code: 'while True: pass', cpu_time_limit: 1, wall_time_limit: 3 } },
      { want: 6, body: { language_id: 50, source_code: 'int main( { return 0; }' } },
      { want: 7, body: { language_id: 71, source_code: 'import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)' } },
      { want: 9, body: { language_id: 71, source_code: 'import os, signal\nos.kill(os.getpid(), signal.SIGFPE)' } },
      { want: 10, body: { language_id: 71, source_code: 'import os\nos.abort()' } },
      { want: 11, body: { language_id: 71, source_code: 'import sys\nsys.exit(3)' } },
      { want: 12, body: { language_id: 71, source_code: 'x = bytearray(200 * 1024 * 1024)\nprint(len(x))', memory_limit: 65536 } },
      { want: 8, body: { language_id: 71, source_code: 'print("x" * 100000)', max_file_size: 1 } },
    ];
    const created = await request(base, 'POST', '/judge0/submissions/batch', { submissions: cases.map((c) => c.body) });
    t.equal(created.status, 201);
    for (const [i, { want }] of cases.entries()) {
      const reply = await settled(
        base,
        created.body[i].token,
        '?fields=status,exit_code,exit_signal,message,compile_output,runbox_verdict',
      );
      t.equal(reply.body.status.id, want, `case ${i}: ${reply.body.status.description} (${reply.body.runbox_verdict})`);
      if (want === 6) t.match(reply.body.compile_output, /error/, 'compiler output');
      if (want === 7) t.same([reply.body.exit_signal, reply.body.message], [11, 'Caught fatal signal 11']);
      if (want === 11) t.same([reply.body.exit_code, reply.body.message], [3, 'Exited with error status 3']);
      if (want === 12) t.equal(reply.body.runbox_verdict, 'memory_limit_exceeded', 'the extension field names the limit');
      if (want === 8) t.equal(reply.body.runbox_verdict, 'output_limit_exceeded');
    }
  });

  t.test('compiler_options, command_line_arguments, redirect_stderr_to_stdout', async (t) => {
    const c = await request(base, 'POST', '/judge0/submissions?wait=true', {
      language_id: 50,
      source_code: '#include <stdio.h>\nint main(int c, char **v) { printf("%d %s %d\\n", X, v[2], c); return 0; }',
      compiler_options: '-DX=5 -O0',
      command_line_arguments: "one 'two words' three",
    });
    t.equal(c.body.stdout, '5 two words 4\n');
    const redirected = await request(base, 'POST', '/judge0/submissions?wait=true', {
      language_id: 71,
      source_code: 'import sys\nprint("out")\nsys.stdout.flush()\nprint("err", file=sys.stderr)',
      redirect_stderr_to_stdout: true,
    });
    t.same([redirected.body.stdout, redirected.body.stderr], ['out\nerr\n', null]);
    const interpreted = await request(base, 'POST', '/judge0/submissions', {
      language_id: 71,
      source_code: 'print(1)',
      compiler_options: '-O',
    });
    t.same(
      [interpreted.status, interpreted.body],
      [422, { compiler_options: ['setting compiler options is only allowed for compiled languages'] }],
    );
  });

  t.test('additional_files beside the source, and language 89 with compile and run scripts', async (t) => {
    const beside = await request(base, 'POST', '/judge0/submissions?wait=true', {
      language_id: 71,
      source_code: 'from helper import greet\nprint(greet())',
      additional_files: makeZip([{ path: 'helper.py', data: 'def greet():\n    return "from the zip"\n' }]).toString('base64'),
    });
    t.equal(beside.body.stdout, 'from the zip\n');
    const project = await request(base, 'POST', '/judge0/submissions?wait=true&fields=stdout,status,compile_output,language', {
      language_id: 89,
      command_line_arguments: 'x y',
      additional_files: makeZip([
        {
          path: 'main.c',
          data: '#include <stdio.h>\nint twice(int);\nint main(int c, char **v) { printf("%d %s\\n", twice(21), v[1]); return 0; }',
        },
        { path: 'lib/twice.c', data: 'int twice(int x) { return 2 * x; }' },
        { path: 'compile', data: 'gcc -o main main.c lib/twice.c && echo compiled' },
        { path: 'run', data: './main "$@"' },
      ]).toString('base64'),
    });
    t.match(project.body, {
      stdout: '42 x\n',
      status: { id: 3 },
      compile_output: 'compiled\n',
      language: { id: 89, name: 'Multi-file program' },
    });
    const failing = await request(base, 'POST', '/judge0/submissions?wait=true&fields=status,compile_output', {
      language_id: 89,
      additional_files: makeZip([
        { path: 'compile', data: 'echo broken >&2; exit 1' },
        { path: 'run', data: 'echo never' },
      ]).toString('base64'),
    });
    t.match(failing.body, { status: { id: 6 }, compile_output: 'broken\n' });
  });

  t.test('hostile or broken archives are 422 additional_files, never a crash', async (t) => {
    const cases: [string, Buffer][] = [
      ['a path out of the work folder', makeZip([{ path: '../escape.txt', data: 'x' }])],
      ['an absolute path', makeZip([{ path: '/etc/passwd', data: 'x' }])],
      ['a symbolic link', makeZip([{ path: 'link', data: '/etc/passwd', mode: 0o120777 }])],
      ['a bomb (4 MiB of zeros declared as 10 bytes)', makeZip([{ path: 'zeros', data: Buffer.alloc(4 * 1024 * 1024), declaredSize: 10 }])],
      ['not a zip', Buffer.from('just text, not an archive')],
    ];
    for (const [what, zip] of cases) {
      const reply = await request(base, 'POST', '/judge0/submissions', {
        language_id: 71,
        source_code: 'print(1)',
        additional_files: zip.toString('base64'),
      });
      t.equal(reply.status, 422, what);
      t.same(Object.keys(reply.body), ['additional_files'], `${what}: ${JSON.stringify(reply.body)}`);
    }
    t.equal((await request(base, 'GET', '/healthz')).status, 200, 'the API still answers');
  });

  t.test('DELETE: an ended submission is deleted and answered in base64; then 404', async (t) => {
    const created = await request(base, 'POST', '/judge0/submissions?wait=true', { language_id: 46, source_code: 'echo bye' });
    const deleted = await request(base, 'DELETE', `/judge0/submissions/${created.body.token}`);
    t.equal(deleted.status, 200);
    t.match(deleted.body, { stdout: 'YnllCg==\n', status: { id: 3 } });
    t.equal((await request(base, 'GET', `/judge0/submissions/${created.body.token}`)).status, 404);
  });

  t.test('callback_url gets a PUT of the submission, base64, default fields, signed', async (t) => {
    const receiver = await startReceiver(t);
    const created = await request(base, 'POST', '/judge0/submissions', {
      language_id: 71,
      source_code: 'print("called back")',
      callback_url: receiver.url,
    });
    t.equal(created.status, 201);
    for (let i = 0; i < 150 && receiver.received.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    t.equal(receiver.received.length, 1);
    const [call] = receiver.received;
    t.equal(call.method, 'PUT');
    t.ok(verifySignature(SECRET, call.body, String(call.headers['x-runbox-signature'])), 'signed');
    const body = JSON.parse(call.body);
    t.same(Object.keys(body).sort(), ['compile_output', 'memory', 'message', 'status', 'stderr', 'stdout', 'time', 'token']);
    t.match(body, { token: created.body.token, stdout: Buffer.from('called back\n').toString('base64') + '\n', status: { id: 3 } });
  });

  t.test('languages, statuses, about, config_info', async (t) => {
    const languages = await request(base, 'GET', '/judge0/languages');
    t.equal(languages.status, 200);
    for (const [id, name] of [
      [46, /^Bash \(/],
      [50, /^C \(GCC /],
      [54, /^C\+\+ \(GCC /],
      [62, /^Java \(OpenJDK /],
      [71, /^Python \(3\./],
      [89, /^Multi-file program$/],
    ] as const) {
      t.match(
        languages.body.find((l: { id: number }) => l.id === id),
        { name },
        `language ${id}`,
      );
    }
    t.match((await request(base, 'GET', '/judge0/languages/92')).body, {
      id: 92,
      name: /^Python/,
      source_file: 'main.py',
      run_cmd: 'python3 main.py',
    });
    t.match((await request(base, 'GET', '/judge0/languages/50')).body, { compile_cmd: /^gcc /, run_cmd: './main' });
    t.equal((await request(base, 'GET', '/judge0/languages/70')).status, 404, 'Python 2 is not offered');
    const statuses = await request(base, 'GET', '/judge0/statuses');
    t.same(
      statuses.body.map((s: { id: number }) => s.id),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14],
    );
    t.same(statuses.body[10], { id: 11, description: 'Runtime Error (NZEC)' });
    t.equal((await request(base, 'GET', '/judge0/about')).body.version, '1.13.1');
    const version = await request(base, 'GET', '/judge0/version');
    t.same([version.body, version.headers.get('content-type')], ['1.13.1', 'text/plain; charset=utf-8']);
    const info = (await request(base, 'GET', '/judge0/config_info')).body;
    t.match(info, {
      enable_wait_result: true,
      enable_callbacks: true,
      max_submission_batch_size: 20,
      max_wall_time_limit: service.config.runTimeMaxMs / 1000,
    });
    t.equal(Object.keys(info).length, 40, "every key of Judge0's config_info");
    const workers = (await request(base, 'GET', '/judge0/workers')).body;
    t.match(workers, [{ queue: String, size: Number, available: Number, working: Number }]);
  });
});

t.test('Judge0 facade with API keys: X-Auth-Token, ownership, admin listing', async (t) => {
  const keys = { alice: 'alice-key', bob: 'bob-key', root: 'root-key' };
  const API_KEYS = [
    `alice:runs+read:${sha256Hex(keys.alice)}`,
    `bob:runs+read:${sha256Hex(keys.bob)}`,
    `root:admin:${sha256Hex(keys.root)}`,
  ].join(',');
  const { url } = await startService(t, { worker: false, env: { API_KEYS } });
  const submission = { language_id: 46, source_code: 'echo hi' };

  const anonymous = await request(url, 'POST', '/judge0/submissions', submission);
  t.equal(anonymous.status, 401, 'no key: 401');
  const created = await request(url, 'POST', '/judge0/submissions', submission, { 'x-auth-token': keys.alice });
  t.equal(created.status, 201, 'X-Auth-Token carries a runbox key');
  t.equal((await request(url, 'GET', `/judge0/submissions/${created.body.token}`, undefined, { 'x-auth-token': keys.alice })).status, 200);
  t.equal(
    (await request(url, 'GET', `/judge0/submissions/${created.body.token}`, undefined, { 'x-auth-token': keys.bob })).status,
    404,
    "another key's submission is not found",
  );
  t.equal((await request(url, 'GET', '/judge0/submissions', undefined, { 'x-auth-token': keys.alice })).status, 403, 'listing needs admin');
  const listed = await request(url, 'GET', '/judge0/submissions?per_page=5&fields=token,status', undefined, { 'x-auth-user': keys.root });
  t.equal(listed.status, 200);
  t.match(listed.body, {
    submissions: [{ token: created.body.token, status: { id: 1, description: 'In Queue' } }],
    meta: { current_page: 1, total_count: 1, total_pages: 1, next_page: null, prev_page: null },
  });
  t.same((await request(url, 'GET', '/judge0/submissions?page=-4', undefined, { 'x-auth-user': keys.root })).body, {
    error: 'invalid page: -4',
  });
  const cancelled = await request(url, 'DELETE', `/judge0/submissions/${created.body.token}?fields=status,runbox_status`, undefined, {
    'x-auth-token': keys.alice,
  });
  t.same(
    cancelled.body,
    { status: { id: 13, description: 'Internal Error' }, runbox_status: 'cancelled' },
    'a queued submission is cancelled by DELETE',
  );
  const callback = await request(
    url,
    'POST',
    '/judge0/submissions',
    { ...submission, callback_url: 'http://127.0.0.1:9/x' },
    { 'x-auth-token': keys.alice },
  );
  t.same([callback.status, callback.body], [422, { callback_url: ['setting callback is not allowed'] }], 'callbacks need WEBHOOK_SECRET');
});
