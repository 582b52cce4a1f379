import t from 'tap';
import {
  buildDockerfile,
  definitionHash,
  dockerfileProblem,
  dockerInstructions,
  runtimeOfCustom,
  type CustomRuntime,
} from '../../../src/domain/custom-runtime.js';
import { findRuntime, imageOf, runtimeCatalogue } from '../../../src/domain/runtimes.js';

t.test('instructions: continuations joined, comments and blank lines left out', async (t) => {
  t.same(dockerInstructions('# a comment\nRUN apt-get update \\\n  # inside\n  && apt-get install -y x\n\nenv A=1\n'), [
    { keyword: 'RUN', line: 'RUN apt-get update && apt-get install -y x' },
    { keyword: 'ENV', line: 'env A=1' },
  ]);
  t.same(dockerInstructions('RUN echo a \\'), [{ keyword: 'RUN', line: 'RUN echo a' }], 'a continuation at the very end');
});

t.test('only instructions that stay on the base are allowed', async (t) => {
  for (const ok of [
    'RUN pip install x',
    'COPY a.py /opt/',
    'COPY --chown=1000:1000 a /b',
    'ENV PYTHONPATH=/opt',
    'WORKDIR /opt',
    'USER root',
    'ARG X=1',
    'LABEL a=b',
    'SHELL ["/bin/bash", "-c"]',
  ])
    t.equal(dockerfileProblem(ok), undefined, ok);
  for (const [text, problem] of [
    ['FROM debian', /uses FROM/],
    ['RUN true\nfrom alpine', /uses FROM/],
    ['ADD x.tar.gz /', /uses ADD/],
    ['COPY --from=other /x /y', /COPY --from/],
    ['COPY  --from other /x /y', /COPY --from/],
    ['VOLUME /v', /uses VOLUME/],
    ['LABEL runbox.build=other', /runbox\.\* label/],
    ['LABEL a=b "runbox.snapshot"=victim', /runbox\.\* label/],
    ["LABEL Runbox.Source-Hash='x'", /runbox\.\* label/],
    ['ENTRYPOINT x', /uses ENTRYPOINT/],
    ['CMD x', /uses CMD/],
    ['ONBUILD RUN x', /uses ONBUILD/],
    ['HEALTHCHECK NONE', /uses HEALTHCHECK/],
    ['# only a comment', /no instruction/],
    ['RUN a\0b', /NUL/],
    ['RUN x\n'.repeat(201), /more than 200/],
  ] as const)
    t.match(dockerfileProblem(text), problem, text.slice(0, 30));
});

t.test('the service wraps the instructions: its FROM and labels first, the supervisor and the sandbox user last', async (t) => {
  const text = buildDockerfile({
    baseImage: 'runbox/python:latest',
    name: 'np',
    hash: 'h',
    buildId: 'b1',
    dockerfile: 'RUN echo a \\\n  b \\',
  });
  const lines = text.trim().split('\n');
  t.equal(lines[0], 'FROM runbox/python:latest');
  t.match(lines[1], /^LABEL runbox\.custom-runtime="np" runbox\.source-hash="h" runbox\.build="b1"$/);
  t.ok(lines.includes('RUN echo a b'), 'the instruction on one line: its trailing backslash cannot swallow the next');
  t.same(lines.slice(-3), [
    'COPY --from=runbox/python:latest /usr/local/bin/runbox-run /usr/local/bin/runbox-run',
    'WORKDIR /work',
    'USER 1000:1000',
  ]);
});

t.test('the hash changes with anything that changes the image', async (t) => {
  const source = { dockerfile: 'RUN true', files: [{ name: 'a', content: 'YQ==' }] };
  const hash = definitionHash('python', 'runbox/python:latest', source);
  t.match(hash, /^[0-9a-f]{16}$/);
  t.equal(definitionHash('python', 'runbox/python:latest', { ...source }), hash);
  t.not(definitionHash('python', 'runbox/python:latest', { ...source, dockerfile: 'RUN false' }), hash);
  t.not(definitionHash('python', 'runbox/python:latest', { ...source, files: [] }), hash);
  t.not(definitionHash('bash', 'runbox/bash:latest', source), hash);
});

t.test("a custom runtime runs in its own image with its base's environment and limits", async (t) => {
  const java = findRuntime(runtimeCatalogue, 'java')!;
  const custom: CustomRuntime = {
    name: 'java-extra',
    base: 'java',
    fileName: 'Main.java',
    sourceExtension: '.java',
    compile: java.compile,
    run: java.run,
    status: 'ready',
    image: 'runbox/custom-java-extra:0123456789abcdef',
    hash: '0123456789abcdef',
    createdAt: new Date(0).toISOString(),
  };
  const runtime = runtimeOfCustom(custom, java);
  t.match(runtime, { language: 'java-extra', aliases: [], limits: { memoryMb: 512, pids: 128 }, compile: java.compile });
  t.equal(imageOf('runbox/', runtime), 'runbox/custom-java-extra:0123456789abcdef');
  t.equal(imageOf('runbox/', java), 'runbox/java:latest');
});
