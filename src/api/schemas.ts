// Request and reply schemas of the HTTP API: the one source for validation, types and
// openapi.yaml (scripts/write-openapi.ts).
import { Type, type Static } from '@sinclair/typebox';
import { ARTIFACT_GLOBS_MAX } from '../domain/artifacts.js';
import { ALLOWED_INSTRUCTIONS, CUSTOM_NAME_PATTERN, DOCKERFILE_MAX_BYTES } from '../domain/custom-runtime.js';
import { GLOB_MAX_BYTES } from '../domain/glob.js';
import { PROBLEM_ID_PATTERN } from '../domain/problem.js';
import { LimitsSchema, RunRecordSchema } from '../domain/run-record.js';
import { CompareModeSchema } from '../domain/run-spec.js';
import { TestGroupSchema } from '../domain/scoring.js';
import { rule } from './validators.js';

export const ErrorSchema = Type.Object(
  {
    statusCode: Type.Integer(),
    error: Type.String(),
    code: Type.String(),
    message: Type.String(),
  },
  { $id: 'Error' },
);

/** The error answers a route that creates something may give (bad input, scope, ownership, state, size, rate, room). */
export const CreateErrorResponses = {
  400: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  409: ErrorSchema,
  413: ErrorSchema,
  429: ErrorSchema,
  503: ErrorSchema,
};

export const FileSchema = Type.Object(
  {
    name: Type.String({ description: 'relative path in the work folder; sub-folders allowed (rules: docs/sandbox.md)' }),
    content: Type.String(),
    encoding: Type.Optional(Type.Union([Type.Literal('utf8'), Type.Literal('base64')], { default: 'utf8' })),
  },
  { additionalProperties: false },
);

const artifactGlobs = (description: string) =>
  Type.Array(Type.String({ minLength: 1, maxLength: GLOB_MAX_BYTES }), { minItems: 1, maxItems: ARTIFACT_GLOBS_MAX, description });

export const TestCaseSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200, description: 'default: test-1, test-2, ...' })),
    stdin: Type.String({ default: '' }),
    expected: Type.Optional(
      Type.String({
        description:
          'the output the program must print, compared by `compare`; with a checker, its answer.txt. Required unless the run has a checker or an interactor',
      }),
    ),
    artifacts: Type.Optional(artifactGlobs("globs of files kept after this test, besides the run's `artifacts`")),
  },
  { additionalProperties: false },
);

/** A checker or an interactor: a program of any runtime, with its own files and limits. */
export const judgeProgramSchema = (role: string, description: string) =>
  Type.Object(
    {
      language: Type.String({ minLength: 1, description: 'a runtime id or alias from GET /runtimes' }),
      source: Type.Optional(Type.String({ description: "one file, saved under the runtime's fileName" })),
      files: Type.Optional(
        Type.Array(FileSchema, { minItems: 1, description: 'the first file is the entry point (a C++ checker brings its testlib.h here)' }),
      ),
      limits: Type.Optional(Type.Partial(LimitsSchema, { description: "its own limits, over the server's defaults (never the run's)" })),
    },
    {
      additionalProperties: false,
      description,
      allOf: [rule({ oneOf: [{ required: ['source'] }, { required: ['files'] }] }, `give exactly one of ${role}.source and ${role}.files`)],
    },
  );
export type JudgeProgramBody = Static<ReturnType<typeof judgeProgramSchema>>;

/** The judge options: only with tests (or a problem, which brings its tests). */
const judgeFields = [
  'compare',
  'floatTolerance',
  'stopOnFailure',
  'stopOnFirstFailure',
  'isolateTests',
  'checker',
  'interactor',
  'groups',
] as const;
/** What a problem brings: a run against one may not give it. */
const problemFields = ['tests', 'compare', 'floatTolerance', 'checker', 'interactor', 'groups'] as const;
const judged = { anyOf: [{ required: ['tests'] }, { required: ['problem'] }] };

/** An argument or environment value: the kernel ends a string at NUL, so none may hold one. */
const NoNulString = Type.String(rule({ pattern: '^[^\\u0000]*$' }, 'args and env values may not contain NUL'));

export const RunRequestSchema = Type.Object(
  {
    language: Type.String({ minLength: 1, description: 'a runtime id or alias from GET /runtimes' }),
    source: Type.Optional(Type.String({ description: "one file, saved under the runtime's fileName" })),
    files: Type.Optional(Type.Array(FileSchema, { minItems: 1, description: 'the first file is the entry point' })),
    stdin: Type.Optional(Type.String({ default: '' })),
    args: Type.Optional(Type.Array(NoNulString, { default: [] })),
    env: Type.Optional(
      Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), NoNulString, {
        default: {},
        additionalProperties: false,
        description: 'extra environment variables; names are letters, digits and _',
      }),
    ),
    limits: Type.Optional(Type.Partial(LimitsSchema)),
    network: Type.Optional(Type.Boolean({ default: false })),
    root: Type.Optional(
      Type.Boolean({
        description:
          'run the program as root inside; only where root is powerless outside (gVisor, or an engine with userns-remap), else 403',
      }),
    ),
    interactive: Type.Optional(Type.Boolean({ default: false, description: 'stdin comes from WebSocket frames instead of `stdin`' })),
    tests: Type.Optional(
      Type.Array(TestCaseSchema, {
        minItems: 1,
        description: 'judge mode: compile once, run each test as a fresh process (work folder restored between tests)',
      }),
    ),
    compare: Type.Optional(CompareModeSchema),
    floatTolerance: Type.Optional(
      Type.Number({ minimum: 0, description: 'judge mode, compare "float": absolute or relative tolerance (default 1e-6)' }),
    ),
    stopOnFailure: Type.Optional(Type.Boolean({ description: 'judge mode: stop at the first test that fails (default false)' })),
    stopOnFirstFailure: Type.Optional(
      Type.Boolean({
        description:
          'judge mode: stop at the first test that fails (default false); stopOnFailure is its older name. With groups the rest are recorded as skipped',
      }),
    ),
    checker: Type.Optional(
      judgeProgramSchema(
        'checker',
        'judge mode: a program that decides each test, run in its own sandbox as CHECKER input.txt output.txt answer.txt; exit 0 accepted, 1 wrong answer, 2 presentation error, 7 points (score on stderr), anything else the judge failed (testlib)',
      ),
    ),
    interactor: Type.Optional(
      judgeProgramSchema(
        'interactor',
        'judge mode: a program that talks with the submission over its stdin and stdout, run in its own sandbox as INTERACTOR input.txt output.txt, deciding as a checker does',
      ),
    ),
    groups: Type.Optional(
      Type.Array(TestGroupSchema, {
        minItems: 1,
        description: 'judge mode: tests in groups with points (subtasks); the record gets score, maxScore and groups',
      }),
    ),
    problem: Type.Optional(
      Type.String({
        pattern: PROBLEM_ID_PATTERN,
        description: 'judge against an uploaded problem (PUT /problems/{id}): its tests, checker, interactor, groups and limits',
      }),
    ),
    webhook: Type.Optional(
      Type.String({
        maxLength: 2048,
        description: 'http(s) URL POSTed the final record once the run ends, signed (X-Runbox-Signature: sha256=HMAC of the body)',
      }),
    ),
    isolateTests: Type.Optional(Type.Boolean({ description: 'judge mode: each test in a container of its own (default false)' })),
    snapshot: Type.Optional(
      Type.Boolean({
        description:
          "keep the exited sandbox's work folder as a snapshot (an image, SNAPSHOT_RETENTION_S): the record gets its id in `snapshot`; not with tests",
      }),
    ),
    artifacts: Type.Optional(
      artifactGlobs(
        "globs of the work folder's regular files to keep after the program (judge mode: after every test): * and ? within a segment, ** for any number of segments; listed at GET /runs/{id}/artifacts",
      ),
    ),
  },
  {
    additionalProperties: false,
    $id: 'RunRequest',
    // The rules between fields, stated where JSON Schema can say them (and so in
    // openapi.yaml); what needs the runtime catalogue or the server's settings is checked in
    // run-submission.ts.
    allOf: [
      rule({ oneOf: [{ required: ['source'] }, { required: ['files'] }] }, 'give exactly one of source and files'),
      rule({ not: { anyOf: judgeFields.map((field) => ({ required: [field] })), not: judged } }, `${judgeFields.join(', ')} need tests`),
      rule(
        { not: { ...judged, required: ['interactive'], properties: { interactive: { const: true } } } },
        'a run with tests cannot be interactive',
      ),
      rule(
        { not: { ...judged, required: ['stdin'], properties: { stdin: { minLength: 1 } } } },
        'give each test its stdin instead of stdin',
      ),
      rule(
        { not: { required: ['problem'], anyOf: problemFields.map((field) => ({ required: [field] })) } },
        `${problemFields.join(', ')} come from the problem; a run against one may not give them`,
      ),
      rule(
        {
          not: {
            required: ['tests'],
            not: { anyOf: [{ required: ['checker'] }, { required: ['interactor'] }] },
            properties: { tests: { contains: { not: { required: ['expected'] } } } },
          },
        },
        'every test needs expected unless a checker or an interactor decides',
      ),
    ],
  },
);
export type RunRequestBody = Static<typeof RunRequestSchema>;

export const RunIdParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const SubmitQuerySchema = Type.Object({
  wait: Type.Optional(Type.Boolean({ default: false, description: 'hold the request until the run ends (up to the server maximum)' })),
});

export const StreamQuerySchema = Type.Object({
  from: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'resume after output frame N' })),
  encoding: Type.Optional(Type.Union([Type.Literal('utf8'), Type.Literal('base64')], { default: 'utf8' })),
});

export const RuntimeSchema = Type.Object(
  {
    language: Type.String(),
    version: Type.String({ description: 'read from the runtime image; "unknown" until a worker has reported it' }),
    aliases: Type.Array(Type.String()),
    compiled: Type.Boolean(),
    fileName: Type.String(),
    status: Type.Union([Type.Literal('ready'), Type.Literal('building'), Type.Literal('failed'), Type.Literal('unknown')], {
      description:
        'ready: runs are taken; building: its image is being built, runs answer 503 runtime_not_ready; failed: its build failed (or its image is missing), runs answer 503; unknown: no worker has reported yet, runs are queued',
    }),
    progress: Type.Optional(Type.String({ description: 'while building: where the build is' })),
    error: Type.Optional(Type.String({ description: 'when failed: why' })),
    custom: Type.Optional(
      Type.Object(
        { base: Type.String({ description: 'the built-in runtime it is built on' }), createdAt: Type.String({ format: 'date-time' }) },
        { description: 'a custom runtime (POST /runtimes)' },
      ),
    ),
  },
  { $id: 'Runtime' },
);

export const CustomRuntimeRequestSchema = Type.Object(
  {
    name: Type.String({
      pattern: CUSTOM_NAME_PATTERN,
      description: "the runtime's language id: 2 to 32 lower-case letters, digits and inner dashes; not a built-in language or alias",
    }),
    base: Type.String({ minLength: 1, description: 'the built-in runtime (id or alias) whose image it is built FROM' }),
    dockerfile: Type.String({
      minLength: 1,
      maxLength: DOCKERFILE_MAX_BYTES,
      description: `Dockerfile instructions put after FROM the base's image, run as root: ${ALLOWED_INSTRUCTIONS.join(', ')} (no FROM, ADD, VOLUME, ENTRYPOINT, CMD, COPY --from)`,
    }),
    files: Type.Optional(Type.Array(FileSchema, { description: 'the build context: files COPY may take' })),
    fileName: Type.Optional(Type.String({ minLength: 1, description: "name `source` is saved under; default the base's" })),
    compile: Type.Optional(
      Type.Array(Type.String({ maxLength: 4096 }), {
        minItems: 1,
        maxItems: 64,
        description: "argv of the compile step ({entry}, {sources}); default the base's",
      }),
    ),
    run: Type.Optional(
      Type.Array(Type.String({ maxLength: 4096 }), {
        minItems: 1,
        maxItems: 64,
        description: "argv of the program ({entry}); default the base's",
      }),
    ),
    version: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: "the version GET /runtimes reports; default what the image's /etc/runbox-version says",
      }),
    ),
  },
  { additionalProperties: false },
);
export type CustomRuntimeRequest = Static<typeof CustomRuntimeRequestSchema>;

export const RuntimeNameParamsSchema = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) });

export const HealthSchema = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  checks: Type.Optional(Type.Record(Type.String(), Type.String())),
});

export { RunRecordSchema };
