import t from 'tap';
import { ApiError } from '../../../src/api/errors.js';
import { prepareDefinition } from '../../../src/api/runtime-definition.js';
import { loadConfig } from '../../../src/config/config.js';
import { runtimeCatalogue } from '../../../src/domain/runtimes.js';

const config = loadConfig({});
const now = new Date('2027-01-01T00:00:00Z');
const prepare = (body: Record<string, unknown>) =>
  prepareDefinition({ name: 'np', base: 'python', dockerfile: 'RUN true', ...body } as never, config, runtimeCatalogue, now);
const refusal = (body: Record<string, unknown>) => {
  try {
    prepare(body);
  } catch (error) {
    return error instanceof ApiError ? { code: error.code, message: error.message } : error;
  }
  return undefined;
};

t.test("a definition takes its base's file name and commands unless it gives its own", async (t) => {
  const { runtime, source } = prepare({ base: 'py', files: [{ name: 'm.py', content: 'eA==', encoding: 'base64' }] });
  t.match(runtime, {
    name: 'np',
    base: 'python',
    fileName: 'main.py',
    sourceExtension: '.py',
    run: ['python3', '{entry}'],
    status: 'building',
    image: /^runbox\/custom-np:[0-9a-f]{16}$/,
    createdAt: now.toISOString(),
  });
  t.notOk('compile' in runtime);
  t.same(source, { dockerfile: 'RUN true', files: [{ name: 'm.py', content: 'eA==' }] });
  const own = prepare({ base: 'c', fileName: 'prog.cc', compile: ['g++', '-o', 'main', '{sources}'], version: 'g++ 12 + boost' }).runtime;
  t.match(own, {
    fileName: 'prog.cc',
    sourceExtension: '.cc',
    compile: ['g++', '-o', 'main', '{sources}'],
    run: ['./main'],
    version: 'g++ 12 + boost',
  });
});

t.test('refusals say what is wrong', async (t) => {
  t.match(refusal({ name: 'python' }), { code: 'conflict' });
  t.match(refusal({ name: 'js' }), { code: 'conflict', message: /alias of javascript/ });
  t.match(refusal({ base: 'nope' }), { code: 'unknown_language' });
  t.match(refusal({ dockerfile: 'FROM x' }), { code: 'invalid_request', message: /dockerfile uses FROM/ });
  t.match(refusal({ files: [{ name: '.runbox.Dockerfile', content: '' }] }), { code: 'invalid_file_name' });
  t.match(refusal({ files: [{ name: '.dockerignore', content: '*' }] }), { code: 'invalid_file_name' });
  t.match(
    refusal({
      files: [
        { name: 'a', content: '' },
        { name: 'a', content: '' },
      ],
    }),
    { code: 'invalid_file_name', message: /twice/ },
  );
  t.match(
    refusal({
      files: [
        { name: 'a', content: '' },
        { name: 'a/b', content: '' },
      ],
    }),
    { code: 'invalid_file_name', message: /folder/ },
  );
  t.match(refusal({ files: [{ name: 'a', content: '%%', encoding: 'base64' }] }), { code: 'invalid_request' });
  t.match(refusal({ fileName: '../main.py' }), { code: 'invalid_file_name' });
});
