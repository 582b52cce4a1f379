// The run record: its lifecycle, verdicts and every field clients read back. The schema is
// the one source for validation, TypeScript types and openapi.yaml.
import { Type, type Static } from '@sinclair/typebox';
import { artifactBytes, ArtifactListingSchema } from './artifacts.js';
import { LimitsSchema } from './limits.js';

export { LimitsSchema };

export const RunStatus = {
  queued: 'queued',
  running: 'running',
  completed: 'completed',
  cancelled: 'cancelled',
  failed: 'failed',
} as const;
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];

export const Verdict = {
  ok: 'ok',
  accepted: 'accepted',
  wrongAnswer: 'wrong_answer',
  runtimeError: 'runtime_error',
  timeLimitExceeded: 'time_limit_exceeded',
  memoryLimitExceeded: 'memory_limit_exceeded',
  outputLimitExceeded: 'output_limit_exceeded',
  compilationError: 'compilation_error',
  // A checker's or an interactor's verdicts (docs/judge.md).
  presentationError: 'presentation_error',
  partiallyAccepted: 'partially_accepted',
  /** A test not run: the run or its group stopped, or a group it depends on fell short. */
  skipped: 'skipped',
} as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

const Nullable = <T extends ReturnType<typeof Type.Integer> | ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const CompileResultSchema = Type.Object({
  exitCode: Nullable(Type.Integer()),
  stdout: Type.String(),
  stderr: Type.String(),
  timeMs: Type.Integer(),
});

/** What a judged test or run can end with; a test may also be `skipped`, a run `ok` (no tests) or `compilation_error`. */
const judgedVerdicts = () =>
  [
    Type.Literal('accepted'),
    Type.Literal('wrong_answer'),
    Type.Literal('presentation_error'),
    Type.Literal('partially_accepted'),
    Type.Literal('runtime_error'),
    Type.Literal('time_limit_exceeded'),
    Type.Literal('memory_limit_exceeded'),
    Type.Literal('output_limit_exceeded'),
  ] as const;
const TestVerdictSchema = Type.Union([...judgedVerdicts(), Type.Literal('skipped')]);

export const TestResultSchema = Type.Object({
  name: Type.String(),
  verdict: TestVerdictSchema,
  exitCode: Nullable(Type.Integer()),
  signal: Nullable(Type.String()),
  timeMs: Type.Integer({ description: 'wall time of this test, milliseconds' }),
  cpuTimeMs: Nullable(Type.Integer({ description: 'CPU time of this test, milliseconds' })),
  memoryBytes: Nullable(Type.Integer({ description: "peak resident memory of this test's processes" })),
  stdout: Type.String({ description: 'up to JUDGE_TEST_OUTPUT_BYTES of it' }),
  stderr: Type.String(),
  stdoutTruncated: Type.Boolean(),
  stderrTruncated: Type.Boolean(),
  score: Type.Optional(
    Type.Number({
      minimum: 0,
      maximum: 1,
      description: "with a checker, an interactor or groups: 1 accepted, the checker's fraction when partially accepted, else 0",
    }),
  ),
  message: Type.Optional(Type.String({ description: "with a checker or an interactor: its stderr (testlib's comment), up to 4 KiB" })),
});
export type TestResult = Static<typeof TestResultSchema>;

export const GroupResultSchema = Type.Object({
  points: Type.Number({ description: 'what the group is worth' }),
  score: Type.Number({ description: 'points x the lowest score of its tests; 0 when a group it depends on scored below its points' }),
  verdict: TestVerdictSchema,
});
export type GroupResult = Static<typeof GroupResultSchema>;

export const RunRecordSchema = Type.Object(
  {
    id: Type.String(),
    language: Type.String(),
    status: Type.Union([
      Type.Literal('queued'),
      Type.Literal('running'),
      Type.Literal('completed'),
      Type.Literal('cancelled'),
      Type.Literal('failed'),
    ]),
    verdict: Type.Union([Type.Literal('ok'), ...judgedVerdicts(), Type.Literal('compilation_error'), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
    startedAt: Nullable(Type.String({ format: 'date-time' })),
    finishedAt: Nullable(Type.String({ format: 'date-time' })),
    exitCode: Nullable(Type.Integer()),
    signal: Nullable(Type.String({ description: 'name of the signal that ended the program, e.g. SIGKILL' })),
    timeMs: Nullable(Type.Integer({ description: 'wall time of the program, milliseconds' })),
    cpuTimeMs: Nullable(Type.Integer({ description: 'CPU time (user + system) of the program, milliseconds' })),
    memoryBytes: Nullable(Type.Integer({ description: 'peak memory of the sandbox, from its cgroup' })),
    stdout: Type.String(),
    stderr: Type.String(),
    stdoutTruncated: Type.Boolean(),
    stderrTruncated: Type.Boolean(),
    compile: Type.Union([CompileResultSchema, Type.Null()]),
    tests: Type.Optional(Type.Array(TestResultSchema, { description: 'judge mode: one result per test run' })),
    score: Type.Optional(Type.Number({ description: "with groups: the points scored, the sum of the groups' scores" })),
    maxScore: Type.Optional(Type.Number({ description: 'with groups: the points of all groups' })),
    groups: Type.Optional(Type.Array(GroupResultSchema, { description: 'with groups: one result per group, in order' })),
    problem: Type.Optional(Type.String({ description: 'the problem the run was judged against (POST /runs with problem)' })),
    limits: LimitsSchema,
    interactive: Type.Boolean(),
    webhook: Type.Optional(Type.String({ description: 'where the final record is POSTed' })),
    error: Type.Optional(Type.String({ description: 'why the service could not run it (status failed)' })),
    snapshot: Type.Optional(
      Type.String({
        description:
          'with snapshot: true, the id of the snapshot of the exited sandbox (its work folder as an image: POST /sessions {snapshot} opens a session on it); absent until the run ends, or when it could not be made (snapshotError)',
      }),
    ),
    snapshotError: Type.Optional(
      Type.String({ description: 'why the snapshot asked for could not be made (the run itself is not affected)' }),
    ),
    artifacts: Type.Optional(ArtifactListingSchema),
    errorCode: Type.Optional(
      Type.Literal('judge_error', {
        description:
          'status failed because of the judge, never the program: a checker or interactor that did not compile, crashed, ran out of its limits or exited 3 (fail)',
      }),
    ),
    outputOmitted: Type.Optional(
      Type.Literal(true, {
        description:
          'only in a GET /runs?ids= answer past its output budget (LIST_OUTPUT_BUDGET_BYTES): stdout, stderr and the output of the compiler and of each test are empty here; read GET /runs/{id} for the whole output',
      }),
    ),
  },
  { $id: 'RunRecord' },
);
export type RunRecord = Static<typeof RunRecordSchema>;
// The schema spells the values out for TypeBox's types; these keep them equal to the constants.
const _statusesMatch: RunRecord['status'] extends RunStatus ? (RunStatus extends RunRecord['status'] ? true : never) : never = true;
/** A run's verdict: any but `skipped`, which only a test has. */
type RunVerdict = Exclude<Verdict, typeof Verdict.skipped>;
const _verdictsMatch: Exclude<RunRecord['verdict'], null> extends RunVerdict
  ? RunVerdict extends RunRecord['verdict']
    ? true
    : never
  : never = true;
const _testVerdictsMatch: TestResult['verdict'] extends Verdict ? true : never = true;
void _statusesMatch;
void _verdictsMatch;
void _testVerdictsMatch;
export type CompileResult = Static<typeof CompileResultSchema>;

/** A run as it is submitted: queued, with nothing run yet. */
export function queuedRun({
  id,
  language,
  createdAt,
  limits,
  interactive = false,
  webhook,
}: Pick<RunRecord, 'id' | 'language' | 'createdAt' | 'limits'> & Partial<Pick<RunRecord, 'interactive' | 'webhook'>>): RunRecord {
  return {
    id,
    language,
    status: RunStatus.queued,
    verdict: null,
    createdAt,
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
    limits,
    interactive,
    ...(webhook ? { webhook } : {}),
  };
}

const bytes = (text: string | undefined) => (text ? Buffer.byteLength(text) : 0);

/**
 * Bytes of output a finished run keeps in Redis: its record's stdout and stderr, its
 * compiler's and its tests', the same again in its event stream, and its artifacts' data. A test's output in the
 * record is clipped (JUDGE_TEST_OUTPUT_BYTES) while its frames in the stream are not, so a
 * test whose output was clipped or cut counts its cap, `outputBytesLimit`, for the stream.
 */
export function keptOutputBytes(
  record: Pick<Partial<RunRecord>, 'stdout' | 'stderr' | 'compile' | 'tests' | 'artifacts'>,
  outputBytesLimit: number,
): number {
  const run = bytes(record.stdout) + bytes(record.stderr) + bytes(record.compile?.stdout) + bytes(record.compile?.stderr);
  let tests = 0;
  let testFrames = 0;
  for (const test of record.tests ?? []) {
    for (const [text, cut] of [
      [test.stdout, test.stdoutTruncated],
      [test.stderr, test.stderrTruncated],
    ] as const) {
      tests += bytes(text);
      testFrames += cut ? Math.max(outputBytesLimit, bytes(text)) : bytes(text);
    }
    tests += bytes(test.message);
  }
  return 2 * run + tests + testFrames + artifactBytes(record.artifacts);
}

/** The record with its output left out (stdout, stderr, the compiler's and each test's), saying so. */
export function omitOutput(record: RunRecord): RunRecord {
  return {
    ...record,
    stdout: '',
    stderr: '',
    compile: record.compile && { ...record.compile, stdout: '', stderr: '' },
    ...(record.tests ? { tests: record.tests.map((test) => ({ ...test, stdout: '', stderr: '' })) } : {}),
    outputOmitted: true,
  };
}
