// The judge fields of a submission (tests, comparison, checker, interactor, groups, or a
// problem that brings them), checked and turned into what the worker needs. Pure.
import type { Config } from '../config/config.js';
import { DEFAULT_FLOAT_TOLERANCE } from '../domain/compare.js';
import type { Problem, ProblemProgram } from '../domain/problem.js';
import { groupsProblem } from '../domain/scoring.js';
import type { JudgeProgramSpec, JudgeSpec } from '../domain/run-spec.js';
import { checkArtifactGlobs } from './artifact-globs.js';
import { ApiError } from './errors.js';
import { decodeFiles, limitsFor, runtimeOf } from './program-parts.js';
import type { JudgeProgramBody, RunRequestBody } from './schemas.js';
import type { Runtime } from '../domain/runtimes.js';

/** The files a checker or an interactor is given beside its own: they cannot be its own files' names. */
export const JUDGE_FILE_NAMES = ['input.txt', 'output.txt', 'answer.txt'] as const;

type Role = 'checker' | 'interactor';

function checkNoReservedNames(names: readonly string[], role: Role): void {
  const reserved = names.find((name) => (JUDGE_FILE_NAMES as readonly string[]).includes(name));
  if (reserved) throw new ApiError('invalid_file_name', `${role} files may not be called ${reserved}: the judge gives it that file`);
}

/** A checker or an interactor of the request: its runtime, its own limits (the server's defaults, never the run's), its files. */
export function prepareJudgeProgram(body: JudgeProgramBody, role: Role, config: Config, catalogue: readonly Runtime[]): JudgeProgramSpec {
  const runtime = runtimeOf(body.language, catalogue);
  const limits = limitsFor(body.limits, runtime, config);
  const files = decodeFiles(body, runtime, config, limits, `${role}.`);
  checkNoReservedNames(
    files.map((f) => f.name),
    role,
  );
  return {
    language: runtime.language,
    entry: files[0].name,
    limits,
    files: files.map((f) => ({ name: f.name, content: f.content.toString('base64') })),
  };
}

/** A problem's checker or interactor: files in its folder of the bundle, limits resolved now. */
function problemProgram(program: ProblemProgram, role: Role, config: Config, catalogue: readonly Runtime[]): JudgeProgramSpec {
  const runtime = runtimeOf(program.language, catalogue);
  return {
    language: runtime.language,
    entry: program.entry,
    limits: limitsFor(undefined, runtime, config, program.limits),
    files: { folder: role, names: program.files },
  };
}

function checkTestCount(count: number, config: Config): void {
  if (count > config.judgeMaxTests)
    throw new ApiError('limit_exceeded', `${count} tests, above the server maximum of ${config.judgeMaxTests}`);
}

/** A run against a problem (the schema has refused the fields the problem brings). */
function fromProblem(body: RunRequestBody, problem: Problem, config: Config, catalogue: readonly Runtime[]): JudgeSpec {
  checkTestCount(problem.tests.length, config);
  return {
    tests: problem.tests.map((t) => ({ name: t.name, problemFiles: { answer: t.answerBytes !== null } })),
    compare: problem.compare,
    floatTolerance: problem.floatTolerance,
    stopOnFailure: Boolean(problem.stopOnFirstFailure || body.stopOnFailure || body.stopOnFirstFailure),
    isolateTests: body.isolateTests ?? false,
    ...(problem.checker ? { checker: problemProgram(problem.checker, 'checker', config, catalogue) } : {}),
    ...(problem.interactor ? { interactor: problemProgram(problem.interactor, 'interactor', config, catalogue) } : {}),
    ...(problem.groups ? { groups: problem.groups } : {}),
    problem: { id: problem.id, hash: problem.hash },
  };
}

/** The judge part of a run, or undefined for a run without tests. */
export function prepareJudge(
  body: RunRequestBody,
  config: Config,
  catalogue: readonly Runtime[],
  problem?: Problem,
): JudgeSpec | undefined {
  // The schema has refused judge options without tests, tests with stdin or interactive, a
  // test without expected where nothing else decides, and what a problem brings beside it.
  const tests = body.tests;
  if (problem) return fromProblem(body, problem, config, catalogue);
  if (!tests) return undefined;

  checkTestCount(tests.length, config);
  const expectedBytes = tests.reduce((sum, t) => sum + Buffer.byteLength(t.expected ?? ''), 0);
  if (expectedBytes > config.judgeExpectedMaxBytes) {
    throw new ApiError(
      'limit_exceeded',
      `the expected outputs add up to ${expectedBytes} bytes, above the server maximum of ${config.judgeExpectedMaxBytes}`,
    );
  }
  if (body.groups) {
    const problemWithGroups = groupsProblem(body.groups, tests.length);
    if (problemWithGroups) throw new ApiError('invalid_request', problemWithGroups);
  }
  return {
    tests: tests.map((t, i) => ({
      name: t.name ?? `test-${i + 1}`,
      stdin: t.stdin ?? '',
      expected: t.expected ?? '',
      ...(t.artifacts ? { artifacts: checkArtifactGlobs(t.artifacts) } : {}),
    })),
    compare: body.compare ?? 'trim',
    floatTolerance: body.floatTolerance ?? DEFAULT_FLOAT_TOLERANCE,
    stopOnFailure: Boolean(body.stopOnFailure || body.stopOnFirstFailure),
    isolateTests: body.isolateTests ?? false,
    ...(body.checker ? { checker: prepareJudgeProgram(body.checker, 'checker', config, catalogue) } : {}),
    ...(body.interactor ? { interactor: prepareJudgeProgram(body.interactor, 'interactor', config, catalogue) } : {}),
    ...(body.groups ? { groups: body.groups } : {}),
  };
}
