import t, { type Test } from 'tap';
import { ApiError } from '../../../src/api/errors.js';
import { prepareSubmission } from '../../../src/api/run-submission.js';
import { RunRequestSchema, type RunRequestBody } from '../../../src/api/schemas.js';
import { createBodyValidator } from '../../../src/api/validators.js';
import { limitsFromConfig, loadConfig, type Config } from '../../../src/config/config.js';
import { runtimeCatalogue } from '../../../src/domain/runtimes.js';

const config = loadConfig({});
const now = new Date('2030-01-02T03:04:05.000Z');
const validate = createBodyValidator(RunRequestSchema);
/** What POST /runs does with a body: the schema first (its message as a 400), then prepareSubmission. */
const submit = (body: RunRequestBody, cfg: Config = config) => {
  const problem = validate(body);
  if (problem) throw new ApiError('invalid_request', problem);
  return prepareSubmission(body, cfg, runtimeCatalogue, 'run-1', now);
};
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** Asserts that `body` is refused with `code`, and that the message matches `message`. */
function refuses(t: Test, body: RunRequestBody, code: string, message?: RegExp, cfg: Config = config) {
  t.throws(() => submit(body, cfg), { name: 'ApiError', code, ...(message ? { message } : {}) });
  try {
    submit(body, cfg);
  } catch (error) {
    t.equal(error instanceof ApiError, true, 'an ApiError, so the handler maps it');
  }
}

t.test('queues a source run with the server defaults', async (t) => {
  const { record, request } = submit({ language: 'python', source: 'print(1)' });
  t.same(record, {
    id: 'run-1',
    language: 'python',
    status: 'queued',
    verdict: null,
    createdAt: '2030-01-02T03:04:05.000Z',
    startedAt: null,
    finishedAt: null,
    exitCode: null,
    signal: null,
    timeMs: null,
    cpuTimeMs: null,
    memoryBytes: null,
    stdout: '',
    stderr: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    compile: null,
    limits: limitsFromConfig(config).defaults,
    interactive: false,
  });
  t.same(request, { files: [{ name: 'main.py', content: b64('print(1)') }], stdin: '', args: [], env: {}, network: false });
});

t.test('applies the defaults from the config it is given', async (t) => {
  const custom = loadConfig({
    RUN_TIME_LIMIT_MS: '1234',
    RUN_CPU_TIME_LIMIT_MS: '600',
    RUN_MEMORY_MB: '99',
    RUN_CPUS: '0.25',
    RUN_PIDS: '10',
    RUN_OUTPUT_BYTES: '2048',
    RUN_DISK_MB: '7',
  });
  t.same(submit({ language: 'python', source: '' }, custom).record.limits, {
    timeMs: 1234,
    cpuTimeMs: 600,
    memoryMb: 99,
    cpus: 0.25,
    pids: 10,
    outputBytes: 2048,
    diskMb: 7,
  });
});

t.test('takes the requested limits up to the maximum and defaults for the rest', async (t) => {
  const { record } = submit({ language: 'python', source: '', limits: { timeMs: 60_000, memoryMb: 2048 } });
  t.same(record.limits, { ...limitsFromConfig(config).defaults, timeMs: 60_000, memoryMb: 2048 });
});

t.test('resolves an alias to the runtime id, case-insensitively', async (t) => {
  t.equal(submit({ language: 'py', source: '' }).record.language, 'python');
  t.equal(submit({ language: 'PY', source: '' }).record.language, 'python');
  t.equal(submit({ language: 'node', source: '' }).record.language, 'javascript');
  t.equal(submit({ language: 'c++', source: '' }).record.language, 'cpp');
});

t.test("saves source under the runtime's file name", async (t) => {
  t.equal(submit({ language: 'js', source: 'x' }).request.files[0].name, 'main.js');
  t.equal(submit({ language: 'c', source: 'x' }).request.files[0].name, 'main.c');
});

t.test('passes stdin, args, env and interactive on', async (t) => {
  const { record, request } = submit({
    language: 'python',
    source: '',
    stdin: 'in\n',
    args: ['-x', 'two words'],
    env: { GREETING: 'hi' },
    interactive: true,
  });
  t.equal(record.interactive, true);
  t.match(request, { stdin: 'in\n', args: ['-x', 'two words'], env: { GREETING: 'hi' } });
});

t.test('base64-encodes every file in the request, in order, decoding base64 input first', async (t) => {
  const binary = Buffer.from([0, 1, 2, 0xff, 0xfe]);
  const { request } = submit({
    language: 'python',
    files: [
      { name: 'main.py', content: 'import lib' },
      { name: 'pkg/lib.py', content: b64('x = "é"'), encoding: 'base64' },
      { name: 'data.bin', content: binary.toString('base64'), encoding: 'base64' },
      { name: 'notes.txt', content: 'é€😀', encoding: 'utf8' },
    ],
  });
  t.same(request.files, [
    { name: 'main.py', content: b64('import lib') },
    { name: 'pkg/lib.py', content: b64('x = "é"') },
    { name: 'data.bin', content: binary.toString('base64') },
    { name: 'notes.txt', content: b64('é€😀') },
  ]);
});

t.test('returns 400 unknown_language for a language no runtime has', async (t) => {
  refuses(t, { language: 'cobol', source: '' }, 'unknown_language', /cobol/);
  refuses(t, { language: 'python ', source: '' }, 'unknown_language');
});

for (const [limit, value] of [
  ['timeMs', 60_001],
  ['memoryMb', 2049],
  ['cpus', 2.5],
  ['pids', 513],
  ['outputBytes', 16 * 1024 * 1024 + 1],
  ['diskMb', 513],
] as const) {
  t.test(`returns 400 limit_exceeded when ${limit} is above the maximum`, async (t) => {
    refuses(
      t,
      { language: 'python', source: '', limits: { [limit]: value } },
      'limit_exceeded',
      new RegExp(`limits\\.${limit} is ${value}`),
    );
  });
}

t.test('returns 403 forbidden when the run asks for network and the server does not allow it', async (t) => {
  refuses(t, { language: 'python', source: '', network: true }, 'forbidden');
  t.equal(new ApiError('forbidden').statusCode, 403);
});

t.test('allows network where the config does', async (t) => {
  const open = loadConfig({ NETWORK_ALLOWED: 'true' });
  t.equal(submit({ language: 'python', source: '', network: true }, open).request.network, true);
  t.equal(submit({ language: 'python', source: '', network: false }).request.network, false);
});

t.test('returns 400 invalid_request when both source and files are given', async (t) => {
  refuses(
    t,
    { language: 'python', source: 'a', files: [{ name: 'a.py', content: '' }] },
    'invalid_request',
    /exactly one of source and files/,
  );
});

t.test('returns 400 invalid_request when neither source nor files is given', async (t) => {
  refuses(t, { language: 'python' }, 'invalid_request', /exactly one of source and files/);
});

t.test('accepts an empty source', async (t) => {
  t.equal(submit({ language: 'python', source: '' }).request.files[0].content, '');
});

for (const name of ['../x.py', '/etc/passwd', 'a/../b', 'a\0b', 'a\\b', 'a//b', '']) {
  t.test(`returns 400 invalid_file_name for ${JSON.stringify(name)}`, async (t) => {
    refuses(
      t,
      {
        language: 'python',
        files: [
          { name: 'main.py', content: '' },
          { name, content: '' },
        ],
      },
      'invalid_file_name',
    );
  });
}

t.test('returns 400 invalid_file_name for a name over FILE_NAME_MAX_BYTES', async (t) => {
  const cfg = loadConfig({ FILE_NAME_MAX_BYTES: '10' });
  refuses(
    t,
    { language: 'python', files: [{ name: 'abcdefg.py', content: '' }] },
    'invalid_file_name',
    undefined,
    loadConfig({ FILE_NAME_MAX_BYTES: '9' }),
  );
  t.equal(submit({ language: 'python', files: [{ name: 'abcdefg.py', content: '' }] }, cfg).request.files.length, 1);
});

t.test('returns 400 invalid_file_name when a name is given twice', async (t) => {
  refuses(
    t,
    {
      language: 'python',
      files: [
        { name: 'main.py', content: 'a' },
        { name: 'main.py', content: 'b' },
      ],
    },
    'invalid_file_name',
    /given twice/,
  );
});

t.test('returns 400 invalid_file_name when a name is also a folder of another file', async (t) => {
  refuses(
    t,
    {
      language: 'python',
      files: [
        { name: 'lib', content: '' },
        { name: 'lib/x.py', content: '' },
      ],
    },
    'invalid_file_name',
    /"lib" is also a folder/,
  );
  refuses(
    t,
    {
      language: 'python',
      files: [
        { name: 'a/b/c.py', content: '' },
        { name: 'a/b', content: '' },
      ],
    },
    'invalid_file_name',
    /"a\/b" is also a folder/,
  );
});

t.test('accepts names that only share a prefix with another', async (t) => {
  const { request } = submit({
    language: 'python',
    files: [
      { name: 'lib', content: '' },
      { name: 'lib2/x.py', content: '' },
      { name: 'lib.py', content: '' },
    ],
  });
  t.same(
    request.files.map((f) => f.name),
    ['lib', 'lib2/x.py', 'lib.py'],
  );
});

t.test('returns 400 invalid_request for content that is not base64', async (t) => {
  for (const content of ['not base64!', 'YQ==YQ==', 'a b', 'YWJj\n']) {
    refuses(t, { language: 'python', files: [{ name: 'main.py', content, encoding: 'base64' }] }, 'invalid_request', /not valid base64/);
  }
});

t.test('returns 400 invalid_request for a NUL in args or env values', async (t) => {
  refuses(t, { language: 'python', source: '', args: ['ok', 'a\0b'] }, 'invalid_request', /NUL/);
  refuses(t, { language: 'python', source: '', env: { X: 'a\0' } }, 'invalid_request', /NUL/);
});

t.test('returns 400 invalid_request when the files add up to more than FILES_MAX_BYTES', async (t) => {
  const cfg = loadConfig({ FILES_MAX_BYTES: '10' });
  refuses(
    t,
    {
      language: 'python',
      files: [
        { name: 'a.py', content: '123456' },
        { name: 'b.py', content: '12345' },
      ],
    },
    'invalid_request',
    /11 bytes, above the maximum of 10/,
    cfg,
  );
  t.equal(
    submit(
      {
        language: 'python',
        files: [
          { name: 'a.py', content: '12345' },
          { name: 'b.py', content: '12345' },
        ],
      },
      cfg,
    ).request.files.length,
    2,
    'exactly the maximum is fine',
  );
  refuses(t, { language: 'python', source: 'x'.repeat(11) }, 'invalid_request', /above the maximum/, cfg);
});

t.test('counts decoded bytes, not base64 characters, against FILES_MAX_BYTES', async (t) => {
  const cfg = loadConfig({ FILES_MAX_BYTES: '9' });
  t.equal(
    submit({ language: 'python', files: [{ name: 'a.bin', content: b64('123456789'), encoding: 'base64' }] }, cfg).request.files.length,
    1,
  );
});

t.test('returns 400 invalid_request for more than FILES_MAX_COUNT files', async (t) => {
  const cfg = loadConfig({ FILES_MAX_COUNT: '2' });
  refuses(
    t,
    { language: 'python', files: ['a', 'b', 'c'].map((name) => ({ name, content: '' })) },
    'invalid_request',
    /at most 2 files/,
    cfg,
  );
});

t.test('returns 400 invalid_request when the files do not fit in limits.diskMb', async (t) => {
  refuses(t, { language: 'python', source: 'x'.repeat(1024 * 1024 + 1), limits: { diskMb: 1 } }, 'invalid_request', /diskMb/);
});

t.test('checks the language before anything else that needs the server', async (t) => {
  refuses(t, { language: 'cobol', source: '', network: true, limits: { memoryMb: 1e6 } }, 'unknown_language');
});

t.test('judge mode: names tests, applies the comparison defaults, keeps expected outputs for the worker', async (t) => {
  const { request, record } = submit({
    language: 'python',
    source: '',
    tests: [
      { stdin: '1', expected: '2' },
      { name: 'big', stdin: '9', expected: '18' },
    ],
  });
  t.same(request.judge, {
    tests: [
      { name: 'test-1', stdin: '1', expected: '2' },
      { name: 'big', stdin: '9', expected: '18' },
    ],
    compare: 'trim',
    floatTolerance: 1e-6,
    stopOnFailure: false,
    isolateTests: false,
  });
  t.notOk('tests' in record && record.tests, 'the queued record has no test results yet');
});

t.test('judge mode: refuses what cannot go with tests, and more tests than the maximum', async (t) => {
  const tests = [{ stdin: '', expected: '' }];
  refuses(t, { language: 'python', source: '', tests, interactive: true }, 'invalid_request', /interactive/);
  refuses(t, { language: 'python', source: '', tests, stdin: 'x' }, 'invalid_request', /stdin/);
  refuses(t, { language: 'python', source: '', compare: 'exact' }, 'invalid_request', /need tests/);
  refuses(t, { language: 'python', source: '', stopOnFailure: false }, 'invalid_request', /need tests/);
  const few = loadConfig({ JUDGE_MAX_TESTS: '2', JUDGE_EXPECTED_MAX_BYTES: '5' });
  refuses(t, { language: 'python', source: '', tests: [...tests, ...tests, ...tests] }, 'limit_exceeded', /3 tests/, few);
  refuses(t, { language: 'python', source: '', tests: [{ stdin: '', expected: '123456' }] }, 'limit_exceeded', /expected outputs/, few);
});

t.test('stdin above STDIN_MAX_BYTES, for the run or one test, is 413 payload_too_large', async (t) => {
  const small = loadConfig({ STDIN_MAX_BYTES: '4' });
  refuses(t, { language: 'python', source: '', stdin: '12345' }, 'payload_too_large', /stdin of 5 bytes/, small);
  refuses(
    t,
    {
      language: 'python',
      source: '',
      tests: [
        { stdin: '1', expected: '' },
        { stdin: '123456', expected: '' },
      ],
    },
    'payload_too_large',
    /stdin of 6 bytes/,
    small,
  );
  t.equal(submit({ language: 'python', source: '', stdin: '1234' }, small).request.stdin, '1234');
});

t.test('root inside: refused under plain runc, allowed under gVisor or with userns-remap', async (t) => {
  refuses(t, { language: 'python', source: '', root: true }, 'forbidden', /gVisor|userns-remap/, loadConfig({ SANDBOX_RUNTIME: 'runc' }));
  t.equal(submit({ language: 'python', source: '', root: true }, loadConfig({ SANDBOX_RUNTIME: 'runsc' })).request.root, true);
  t.equal(submit({ language: 'python', source: '', root: true }, loadConfig({ USERNS_REMAP: 'true' })).request.root, true);
  t.equal(submit({ language: 'python', source: '' }).request.root, undefined);
});
