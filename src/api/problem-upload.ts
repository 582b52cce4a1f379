// An uploaded problem archive made into a problem: its files read within the archive limits,
// laid out as tests/NAME.in + tests/NAME.ans, checker/, interactor/ and problem.json (one
// folder around all of it is allowed), checked, and packed into the bundle the store keeps
// once. Refusals are ApiErrors that name the file at fault.
import type { Config } from '../config/config.js';
import { DEFAULT_FLOAT_TOLERANCE } from '../domain/compare.js';
import { fileNameProblem } from '../domain/file-names.js';
import { LimitExceededError, resolveLimits } from '../domain/limits.js';
import { naturalCompare, testAnswerPath, testInputPath, type Problem, type ProblemProgram } from '../domain/problem.js';
import type { Runtime } from '../domain/runtimes.js';
import { groupsProblem, type TestGroup } from '../domain/scoring.js';
import { limitsFromConfig } from '../config/config.js';
import { ArchiveError, type ArchiveFile } from '../lib/archive-budget.js';
import { readArchive } from '../lib/archive-reader.js';
import { encodeBundle, type BundleFile } from '../lib/problem-bundle.js';
import { ApiError } from './errors.js';
import { JUDGE_FILE_NAMES } from './judge-submission.js';
import { limitsFor, runtimeOf } from './program-parts.js';
import { ProblemSettingsSchema, type ProblemSettings } from './problem-schemas.js';
import { createBodyValidator } from './validators.js';

const SETTINGS_FILE = 'problem.json';
const SETTINGS_MAX_BYTES = 1024 * 1024;
const TEST_NAME_MAX = 200;
const FOLDERS = ['tests', 'checker', 'interactor'] as const;

const validateSettings = createBodyValidator(ProblemSettingsSchema, SETTINGS_FILE);

export interface UploadedProblem {
  problem: Problem;
  blob: Buffer;
}

/** An archive's files, read within the server's limits; a limit passed is a 413, a malformed archive a 400. */
export async function readProblemArchive(archive: Buffer, config: Config): Promise<ArchiveFile[]> {
  try {
    return await readArchive(archive, {
      maxEntries: config.problemMaxFiles,
      maxFileBytes: config.problemMaxBytes,
      maxTotalBytes: config.problemMaxBytes,
      maxRatio: config.problemArchiveMaxRatio,
      timeMs: config.problemArchiveTimeMs,
    });
  } catch (error) {
    if (error instanceof ArchiveError) throw new ApiError(error.tooLarge ? 'payload_too_large' : 'invalid_request', error.message);
    throw error;
  }
}

/** Files all under one folder (an archive of a problem's folder) lose that folder. */
function withoutOuterFolder(files: ArchiveFile[]): ArchiveFile[] {
  const first = files[0]?.path.split('/')[0];
  if (!first || (FOLDERS as readonly string[]).includes(first) || first === SETTINGS_FILE) return files;
  if (!files.every((f) => f.path.startsWith(`${first}/`))) return files;
  return files.map((f) => ({ path: f.path.slice(first.length + 1), data: f.data }));
}

function parseSettings(file: ArchiveFile | undefined): ProblemSettings {
  if (!file) return {};
  if (file.data.length > SETTINGS_MAX_BYTES)
    throw new ApiError('payload_too_large', `${SETTINGS_FILE} is larger than ${SETTINGS_MAX_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(file.data.toString('utf8'));
  } catch (error) {
    throw new ApiError('invalid_request', `${SETTINGS_FILE} is not JSON: ${(error as Error).message}`);
  }
  const problem = validateSettings(value);
  if (problem) throw new ApiError('invalid_request', problem);
  return value as ProblemSettings;
}

/** A checker's or interactor's settings and files: its entry found, its names checked, its limits within the maxima. */
function programOf(
  role: 'checker' | 'interactor',
  settings: ProblemSettings['checker'],
  files: BundleFile[],
  config: Config,
  catalogue: readonly Runtime[],
): ProblemProgram | undefined {
  if (!settings && files.length === 0) return undefined;
  if (!settings) throw new ApiError('invalid_request', `${role}/ needs ${role}.language in ${SETTINGS_FILE}`);
  if (files.length === 0) throw new ApiError('invalid_request', `${SETTINGS_FILE} names a ${role}, and the archive has no ${role}/ files`);
  const runtime = runtimeOf(settings.language, catalogue);
  const names = files.map((f) => f.path.slice(role.length + 1));
  for (const name of names) {
    const problem = fileNameProblem(name, { maxBytes: config.fileNameMaxBytes });
    if (problem) throw new ApiError('invalid_file_name', `${role}/${name} ${problem}`);
  }
  const reserved = names.find((name) => (JUDGE_FILE_NAMES as readonly string[]).includes(name));
  if (reserved)
    throw new ApiError('invalid_file_name', `${role}/${reserved}: the judge gives the ${role} that file, it cannot be one of its own`);
  const sources = names.filter((name) => name.endsWith(runtime.sourceExtension));
  const entry = settings.entry ?? (names.includes(runtime.fileName) ? runtime.fileName : sources.length === 1 ? sources[0] : undefined);
  if (!entry) throw new ApiError('invalid_request', `say which file of ${role}/ is the program: ${role}.entry in ${SETTINGS_FILE}`);
  if (!names.includes(entry)) throw new ApiError('invalid_request', `${role}.entry ${JSON.stringify(entry)} is not in ${role}/`);
  limitsFor(settings.limits, runtime, config); // refuses a limit above the maximum now, not at every run
  return {
    language: runtime.language,
    entry,
    files: [entry, ...names.filter((n) => n !== entry)],
    ...(settings.limits ? { limits: settings.limits } : {}),
  };
}

function groupsOf(settings: ProblemSettings, names: string[]): TestGroup[] | undefined {
  if (!settings.groups) return undefined;
  const index = new Map(names.map((name, i) => [name, i]));
  const groups = settings.groups.map((group, g) => ({
    ...group,
    tests: group.tests.map((test) => {
      if (typeof test === 'number') return test;
      const at = index.get(test);
      if (at === undefined)
        throw new ApiError('invalid_request', `groups[${g}] names test ${JSON.stringify(test)}, which has no tests/${test}.in`);
      return at;
    }),
  }));
  const problem = groupsProblem(groups, names.length);
  if (problem) throw new ApiError('invalid_request', `${SETTINGS_FILE}: ${problem}`);
  return groups;
}

/** The problem `id` made of an archive's files. */
export function buildProblem(
  archiveFiles: ArchiveFile[],
  id: string,
  owner: string,
  now: Date,
  config: Config,
  catalogue: readonly Runtime[],
): UploadedProblem {
  const files = withoutOuterFolder(archiveFiles);
  const inputs = new Map<string, Buffer>();
  const answers = new Map<string, Buffer>();
  const programFiles: Record<'checker' | 'interactor', BundleFile[]> = { checker: [], interactor: [] };
  let settingsFile: ArchiveFile | undefined;
  for (const file of files) {
    const [top, ...rest] = file.path.split('/');
    if (file.path === SETTINGS_FILE) settingsFile = file;
    else if (top === 'checker' || top === 'interactor') programFiles[top].push(file);
    else if (top === 'tests' && rest.length === 1 && /\.(in|ans)$/.test(rest[0])) {
      const name = rest[0].replace(/\.(in|ans)$/, '');
      const problem = name.length > TEST_NAME_MAX ? `is longer than ${TEST_NAME_MAX} characters` : fileNameProblem(name, { maxBytes: 255 });
      if (problem) throw new ApiError('invalid_file_name', `the test name of ${file.path} ${problem}`);
      (rest[0].endsWith('.in') ? inputs : answers).set(name, file.data);
    } else {
      throw new ApiError(
        'invalid_request',
        `${JSON.stringify(file.path)} has no place in a problem: only tests/NAME.in, tests/NAME.ans, checker/, interactor/ and ${SETTINGS_FILE}`,
      );
    }
  }
  const settings = parseSettings(settingsFile);
  const checker = programOf('checker', settings.checker, programFiles.checker, config, catalogue);
  const interactor = programOf('interactor', settings.interactor, programFiles.interactor, config, catalogue);

  const names = [...inputs.keys()].sort(naturalCompare);
  if (names.length === 0) throw new ApiError('invalid_request', 'the archive has no tests (tests/NAME.in)');
  if (names.length > config.judgeMaxTests)
    throw new ApiError('limit_exceeded', `${names.length} tests, above the server maximum of ${config.judgeMaxTests}`);
  const orphan = [...answers.keys()].find((name) => !inputs.has(name));
  if (orphan) throw new ApiError('invalid_request', `tests/${orphan}.ans has no tests/${orphan}.in`);
  const unanswered = names.find((name) => !answers.has(name));
  if (unanswered && !interactor)
    throw new ApiError(
      'invalid_request',
      `tests/${unanswered}.in has no tests/${unanswered}.ans (only an interactive problem may do without)`,
    );
  const groups = groupsOf(settings, names);
  const { defaults, maxima } = limitsFromConfig(config);
  try {
    resolveLimits(settings.limits, defaults, maxima);
  } catch (error) {
    if (error instanceof LimitExceededError) throw new ApiError('limit_exceeded', `${SETTINGS_FILE}: ${error.message}`);
    throw error;
  }

  const bundleFiles: BundleFile[] = [
    ...names.flatMap((name) => [
      { path: testInputPath(name), data: inputs.get(name)! },
      ...(answers.has(name) ? [{ path: testAnswerPath(name), data: answers.get(name)! }] : []),
    ]),
    ...programFiles.checker,
    ...programFiles.interactor,
  ];
  const { blob, hash } = encodeBundle(bundleFiles);
  const problem: Problem = {
    id,
    hash,
    bytes: blob.length,
    owner,
    createdAt: now.toISOString(),
    tests: names.map((name) => ({ name, inputBytes: inputs.get(name)!.length, answerBytes: answers.get(name)?.length ?? null })),
    limits: settings.limits ?? {},
    compare: settings.compare ?? 'trim',
    floatTolerance: settings.floatTolerance ?? DEFAULT_FLOAT_TOLERANCE,
    stopOnFirstFailure: settings.stopOnFirstFailure ?? false,
    ...(checker ? { checker } : {}),
    ...(interactor ? { interactor } : {}),
    ...(groups ? { groups } : {}),
  };
  return { problem, blob };
}
