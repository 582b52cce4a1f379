// The reading of `perf script` that npm run bench:profile prints: which kind of work, which
// library and which function each on-CPU sample of the service was in.
import t from 'tap';
import { libraryOf, parsePerfScript, profileShares } from '../../scripts/perf-samples.js';

const ROOT = '/work/main';
const MAP = '(/tmp/perf-17591.map)';
// Samples as `perf script -F comm,tid,ip,sym,dso` prints them (headers end in a space).
const sample = (...frames: string[]) => ['node 17591 ', ...frames.map((f) => `\t    7f753a4f42b9 ${f}`), ''];
const text = [
  // 0: ioredis called from a runbox module.
  ...sample(
    `JS:*sendCommand /work/main/node_modules/ioredis/built/Redis.js:353:16 ${MAP}`,
    `JS:~execute file:///work/main/dist/sandbox/runner-channel.js:92:5 ${MAP}`,
    'Builtins_JSEntry (/usr/bin/node)',
  ),
  // 1: node core under a package: the package's.
  ...sample(
    'llhttp__internal_execute (/usr/bin/node)',
    `JS:*socketOnData node:_http_client:537:22 ${MAP}`,
    `JS:* /work/main/node_modules/@fastify/websocket/index.js:12:3 ${MAP}`,
  ),
  // 2: node core alone (an event of the loop).
  ...sample(`JS:*onStreamRead node:internal/stream_base_commons:168:22 ${MAP}`, 'Builtins_JSEntryTrampoline (/usr/bin/node)'),
  // 3: a scavenge.
  ...sample('v8::internal::Scavenger::ScavengeObject (/usr/bin/node)', 'v8::internal::(anonymous namespace)::Invoke (/usr/bin/node)'),
  // 4: the kernel with no user frame.
  ...sample('finish_task_switch.isra.0 ([kernel.kallsyms])', 'do_syscall_64 ([kernel.kallsyms])'),
  // 5: the kernel (a module's code) in a system call from JavaScript: the kernel's, charged to the caller's library.
  ...sample(
    'nf_hook_slow ([nf_conntrack])',
    'do_syscall_64 ([kernel.kallsyms])',
    '__GI___libc_write (/usr/lib/x86_64-linux-gnu/libc.so.6)',
    `JS:^write file:///work/main/dist/store/run-store.js:10:3 ${MAP}`,
  ),
  // 6: TurboFan at a safepoint: compiling, not garbage collection.
  ...sample('v8::internal::LocalHeap::Safepoint (/usr/bin/node)', 'v8::internal::compiler::GraphReducer::ReduceTop (/usr/bin/node)'),
  // 7: the event loop waiting, in native code.
  ...sample('uv__io_poll (/usr/bin/node)', 'uv_run (/usr/bin/node)'),
].join('\n');

t.test('every sample is read with its frames, innermost first, and each frame its object', async (t) => {
  const samples = parsePerfScript(text);
  t.equal(samples.length, 8);
  t.same(samples[0][0], { symbol: 'JS:*sendCommand /work/main/node_modules/ioredis/built/Redis.js:353:16', dso: '/tmp/perf-17591.map' });
  t.same(samples[3][1], { symbol: 'v8::internal::(anonymous namespace)::Invoke', dso: '/usr/bin/node' }, 'parentheses in a symbol');
  t.equal(samples[4][0].dso, '[kernel.kallsyms]');
  t.same(parsePerfScript(text.replaceAll('\n', '\r\n')), samples, 'CRLF line ends read the same');
});

t.test('a JavaScript frame is charged to its package, a runbox module or node core', async (t) => {
  // [symbol, project root, library, what the case is]
  const cases: [string, string, string | undefined, string][] = [
    ['JS:*f /work/main/node_modules/ioredis/built/Redis.js:1:1', ROOT, 'ioredis', 'a package'],
    ['JS:* /work/main/node_modules/@fastify/websocket/index.js:1:1', ROOT, '@fastify/websocket', 'a scoped package'],
    ['JS:~g /work/main/node_modules/bullmq/node_modules/ioredis/built/x.js:1:1', ROOT, 'ioredis', 'the package itself, not its dependant'],
    ['JS:*h /work/main/node_modules/msgpackr/index.mjs:1:1', ROOT, 'msgpackr', 'an .mjs file'],
    ['JS:*execute /work/main/dist/sandbox/runner-channel.js:92:5', ROOT, 'runbox sandbox/runner-channel', 'a runbox module by its path'],
    [
      'JS:*execute file:///work/main/dist/sandbox/runner-channel.js:92:5',
      ROOT,
      'runbox sandbox/runner-channel',
      'an ES module, by its URL',
    ],
    ['Script:~ file:///work/main/dist/main.js:1:1', ROOT, 'runbox main', "a module's top level"],
    ['JS:*execute /a.b+c/dist/x.js:1:1', '/a.b+c', 'runbox x', 'a root with regular-expression characters'],
    ['JS:*execute /aXb+c/dist/x.js:1:1', '/a.b+c', undefined, "the root's characters are literal"],
    ['JS:*execute /work/main2/dist/x.js:1:1', ROOT, undefined, 'another folder that starts the same'],
    ['JS:*execute file:///work/main2/dist/x.js:1:1', ROOT, undefined, 'the same, as a URL'],
    ['JS:*socketOnData node:_http_client:537:22', ROOT, 'node core', "node's core"],
    ['Builtins_LoadIC', ROOT, undefined, 'a V8 builtin is not a library'],
  ];
  for (const [symbol, root, library, what] of cases) t.equal(libraryOf(symbol, root), library, what);
});

t.test('the shares: the innermost library, the kind of work, the innermost function', async (t) => {
  const profile = profileShares(parsePerfScript(text), ROOT);
  t.equal(profile.samples, 8);
  t.same(Object.fromEntries(profile.libraries), {
    ioredis: 1 / 8,
    '@fastify/websocket': 1 / 8,
    'node core': 1 / 8,
    'runbox store/run-store': 1 / 8,
    '(no JavaScript frame: garbage collection)': 1 / 8,
    '(no JavaScript frame: kernel, no user frame)': 1 / 8,
    '(no JavaScript frame: V8 compiling)': 1 / 8,
    '(no JavaScript frame: native (node, libuv, libc))': 1 / 8,
  });
  t.same(Object.fromEntries(profile.kinds), {
    JavaScript: 3 / 8,
    'garbage collection': 1 / 8,
    'kernel, no user frame': 1 / 8,
    'kernel, called from the process': 1 / 8,
    'V8 compiling': 1 / 8,
    'native (node, libuv, libc)': 1 / 8,
  });
  t.equal(profile.kinds[0][0], 'JavaScript', 'largest first');
  t.equal(profile.functions.find(([name]) => name.startsWith('sendCommand '))?.[1], 1 / 8, 'a function without its tier mark');
});

t.test("a function's tiers (interpreted, baseline, optimized) are one function", async (t) => {
  const tiers = ['JS:~f', 'JS:^f', 'JS:*f', 'JS:+f'].flatMap((tier) => sample(`${tier} /work/main/dist/x.js:1:1 ${MAP}`)).join('\n');
  t.same(profileShares(parsePerfScript(tiers), ROOT).functions, [['f /work/main/dist/x.js:1:1', 1]]);
});

t.test('an empty recording has no samples and no shares', async (t) => {
  t.same(profileShares(parsePerfScript(''), ROOT), { samples: 0, kinds: [], libraries: [], functions: [] });
});
