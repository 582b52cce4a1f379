// The reading of `perf script` that npm run bench:profile prints: which kind of work and which
// library each on-CPU sample of the service was in.
import t from 'tap';
import { libraryOf, parsePerfScript, profileShares } from '../../scripts/perf-samples.js';

const ROOT = '/work/main';
// Five samples as `perf script -F comm,tid,ip,sym,dso` prints them (headers end in a space).
const text = [
  'node 17591 ',
  '\t    7f753a4f42b9 JS:*sendCommand /work/main/node_modules/ioredis/built/Redis.js:353:16 (/tmp/perf-17591.map)',
  '\t    7f753a4f6290 JS:*execute /work/main/dist/sandbox/runner-channel.js:92:5 (/tmp/perf-17591.map)',
  '\t         14cde03 Builtins_JSEntry (/usr/bin/node)',
  '',
  'node 17591 ',
  '\t         1b0094e llhttp__internal_execute (/usr/bin/node)',
  '\t    7f753a4f42b9 JS:*socketOnData node:_http_client:537:22 (/tmp/perf-17591.map)',
  '\t    7f753a4f6290 JS:* /work/main/node_modules/@fastify/websocket/index.js:12:3 (/tmp/perf-17591.map)',
  '',
  'node 17591 ',
  '\t    7f753a45dac2 JS:*onStreamRead node:internal/stream_base_commons:168:22 (/tmp/perf-17591.map)',
  '\t         14ce0dc Builtins_JSEntryTrampoline (/usr/bin/node)',
  '',
  'node 17600 ',
  '\t          c494db v8::internal::Scavenger::ScavengeObject (/usr/bin/node)',
  '\t          c4a574 v8::internal::(anonymous namespace)::Invoke (/usr/bin/node)',
  '',
  'node 17591 ',
  '\tffffffff813ae453 finish_task_switch.isra.0 ([kernel.kallsyms])',
  '\tffffffff8225bc41 do_syscall_64 ([kernel.kallsyms])',
  '',
].join('\n');

t.test('every sample is read with its frames, innermost first, and each frame its object', async (t) => {
  const samples = parsePerfScript(text);
  t.equal(samples.length, 5);
  t.same(samples[0][0], { symbol: 'JS:*sendCommand /work/main/node_modules/ioredis/built/Redis.js:353:16', dso: '/tmp/perf-17591.map' });
  t.same(samples[3][1], { symbol: 'v8::internal::(anonymous namespace)::Invoke', dso: '/usr/bin/node' });
  t.equal(samples[4][0].dso, '[kernel.kallsyms]');
});

t.test('a JavaScript frame is charged to its package, a runbox module or node core', async (t) => {
  t.equal(libraryOf('JS:*f /work/main/node_modules/ioredis/built/Redis.js:1:1', ROOT), 'ioredis');
  t.equal(libraryOf('JS:* /work/main/node_modules/@fastify/websocket/index.js:1:1', ROOT), '@fastify/websocket');
  t.equal(libraryOf('JS:*execute /work/main/dist/sandbox/runner-channel.js:92:5', ROOT), 'runbox sandbox/runner-channel');
  t.equal(libraryOf('JS:*socketOnData node:_http_client:537:22', ROOT), 'node core');
  t.equal(libraryOf('Builtins_LoadIC', ROOT), undefined, 'a V8 builtin is not a library');
});

t.test('the shares: the innermost library, the kind of work, the innermost function', async (t) => {
  const profile = profileShares(parsePerfScript(text), ROOT);
  t.equal(profile.samples, 5);
  t.same(Object.fromEntries(profile.libraries), {
    ioredis: 0.2,
    '@fastify/websocket': 0.2,
    'node core': 0.2,
    '(no JavaScript frame: garbage collection)': 0.2,
    '(no JavaScript frame: kernel, no user frame)': 0.2,
  });
  t.same(Object.fromEntries(profile.kinds), { JavaScript: 0.6, 'garbage collection': 0.2, 'kernel, no user frame': 0.2 });
  t.equal(profile.functions.find(([name]) => name.startsWith('sendCommand'))?.[1], 0.2);
  t.ok(
    profile.kinds.every(([, share], i) => i === 0 || share <= profile.kinds[i - 1][1]),
    'largest first',
  );
});

t.test('an empty recording has no samples and no shares', async (t) => {
  t.same(profileShares(parsePerfScript(''), ROOT), { samples: 0, kinds: [], libraries: [], functions: [] });
});
