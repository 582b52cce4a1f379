// A Judge0 submission body turned into a runbox run: the POST /runs body, the commands that
// replace the runtime's where Judge0's options need them, and the meta kept to answer in
// Judge0's terms later. Field errors come back in Judge0's 422 shape, {field: [messages]}, in
// Rails' words, checked against runbox's own maxima (in Judge0's units). Whatever passes here
// then goes through the same prepareSubmission as POST /runs.
import type { Config } from '../../config/config.js';
import { judge0LanguageById, MULTI_FILE_PROGRAM_ID } from '../../domain/judge0/languages.js';
import { KEPT_INPUT_BYTES, type Judge0Meta } from '../../domain/judge0/submission.js';
import type { CommandTemplates } from '../../domain/run-spec.js';
import { findRuntime, type Runtime } from '../../domain/runtimes.js';
import { splitShellWords, ShellWordsError } from '../../lib/shell-words.js';
import { ArchiveError, createArchiveBudget } from '../../lib/archive-budget.js';
import { readZip } from '../../lib/zip-reader.js';
import { Value } from '@sinclair/typebox/value';
import { ApiError } from '../errors.js';
import { prepareJudgeProgram } from '../judge-submission.js';
import { judgeProgramSchema, type JudgeProgramBody, type RunRequestBody } from '../schemas.js';

export type Judge0FieldErrors = Record<string, string[]>;

export interface Judge0Plan {
  body: RunRequestBody;
  commands?: CommandTemplates;
  meta: Judge0Meta;
}

/** Judge0's cap on compiler_options and command_line_arguments. */
const OPTIONS_MAX_CHARS = 512;
/** Judge0's maxima for what runbox only checks (number_of_runs is accepted, the program runs once). */
const NUMBER_OF_RUNS_MAX = 20;
const CPU_EXTRA_TIME_MAX_S = 5;
/** An archive whose files inflate to more than this many times its size (and past 1 MiB) is refused. */
const ZIP_MAX_RATIO = 200;
const ZIP_MAX_MS = 2000;
/** Judge0 strips these before its shell sees compiler_options and command_line_arguments. */
const SHELL_SPECIALS = /[$&;<>|`]/g;
/** Runtimes whose compile template cannot take compiler options (OCaml sorts its sources through ocamldep first). */
const NO_COMPILER_OPTIONS = new Set(['ocaml']);

type Raw = Record<string, unknown>;

class Errors {
  readonly found: Judge0FieldErrors = {};
  add(field: string, message: string): void {
    (this.found[field] ??= []).push(message);
  }
  get any(): boolean {
    return Object.keys(this.found).length > 0;
  }
}

const isBlank = (value: unknown) => value === undefined || value === null || (typeof value === 'string' && value.trim() === '');

/** A number as Rails casts it (numbers, or strings that are numbers); undefined when absent. */
function number(raw: Raw, field: string, errors: Errors): number | undefined {
  const value = raw[field];
  if (value === undefined || value === null || value === '') return undefined;
  const parsed = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(parsed)) {
    errors.add(field, 'is not a number');
    return undefined;
  }
  return parsed;
}

interface Bounds {
  /** Exclusive lower bound. */
  above?: number;
  atLeast?: number;
  atMost?: number;
  integer?: boolean;
}

function bounded(raw: Raw, field: string, bounds: Bounds, errors: Errors): number | undefined {
  const value = number(raw, field, errors);
  if (value === undefined) return undefined;
  const before = Object.keys(errors.found).length;
  if (bounds.integer && !Number.isInteger(value)) errors.add(field, 'must be an integer');
  if (bounds.above !== undefined && !(value > bounds.above)) errors.add(field, `must be greater than ${bounds.above}`);
  if (bounds.atLeast !== undefined && value < bounds.atLeast) errors.add(field, `must be greater than or equal to ${bounds.atLeast}`);
  if (bounds.atMost !== undefined && value > bounds.atMost) errors.add(field, `must be less than or equal to ${bounds.atMost}`);
  return Object.keys(errors.found).length === before ? value : undefined;
}

function boolean(raw: Raw, field: string, errors: Errors): boolean | undefined {
  const value = raw[field];
  if (value === undefined || value === null || value === '') return undefined;
  if (value === true || value === 'true' || value === 1 || value === '1') return true;
  if (value === false || value === 'false' || value === 0 || value === '0') return false;
  errors.add(field, 'is not a boolean');
  return undefined;
}

function text(raw: Raw, field: string, errors: Errors): string | undefined {
  const value = raw[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    errors.add(field, 'must be a string');
    return undefined;
  }
  return value;
}

/** A text input, base64-decoded when base64_encoded (Ruby's decoder, like Node's, skips what is not base64). */
function input(raw: Raw, field: string, base64: boolean, errors: Errors): Buffer | undefined {
  const value = text(raw, field, errors);
  if (value === undefined) return undefined;
  return base64 ? Buffer.from(value, 'base64') : Buffer.from(value, 'utf8');
}

/** compiler_options and command_line_arguments: Judge0's cleaning, then a shell's word splitting. */
function words(value: string | undefined, field: string, errors: Errors): string[] {
  if (value === undefined) return [];
  if (value.length > OPTIONS_MAX_CHARS) {
    errors.add(field, `is too long (maximum is ${OPTIONS_MAX_CHARS} characters)`);
    return [];
  }
  try {
    return splitShellWords(value.replace(SHELL_SPECIALS, '').trim());
  } catch (error) {
    if (error instanceof ShellWordsError) errors.add(field, `has an ${error.message}`);
    else throw error;
    return [];
  }
}

/** The runtime a multi-file program runs on: the one whose sources it holds most of (bash when none). */
export function projectRuntime(names: readonly string[], catalogue: readonly Runtime[]): Runtime {
  let best: Runtime | undefined;
  let bestCount = 0;
  for (const runtime of catalogue) {
    const count = names.filter((name) => name.endsWith(runtime.sourceExtension)).length;
    if (count > bestCount) [best, bestCount] = [runtime, count];
  }
  return best ?? findRuntime(catalogue, 'bash')!;
}

/** The compile template with the client's options before its sources, so they come after (and override) runbox's own flags. */
function withCompilerOptions(template: readonly string[], options: readonly string[]): string[] {
  const at = template.findIndex((part) => part.includes('{sources}') || part.includes('{entry}'));
  const index = at === -1 ? template.length : at;
  return [...template.slice(0, index), ...options, ...template.slice(index)];
}

/** The run template started through sh where Judge0's options need it: a stack limit, stderr into stdout. */
function wrappedRun(template: readonly string[], stackKb: number | undefined, redirect: boolean): string[] | undefined {
  if (!stackKb && !redirect) return undefined;
  const script = `${stackKb ? `ulimit -s ${stackKb} 2>/dev/null; ` : ''}exec "$@"${redirect ? ' 2>&1' : ''}`;
  return ['sh', '-c', script, 'sh', ...template];
}

/** runbox's extension: a checker in the native API's shape, deciding the submission's one test. */
const CheckerSchema = judgeProgramSchema('runbox_checker', 'a checker as POST /runs takes one: {language, source | files, limits?}');

/** `runbox_checker`, checked by the native API's rules (its runtime, limits, files), or undefined. */
function checkerOf(raw: Raw, errors: Errors, { config, catalogue }: PlanContext): JudgeProgramBody | undefined {
  const value = raw.runbox_checker;
  if (value === undefined || value === null) return undefined;
  if (!Value.Check(CheckerSchema, value)) {
    errors.add('runbox_checker', 'must be {language, source or files, limits?}, as the checker of POST /runs');
    return undefined;
  }
  if ((value.source === undefined) === (value.files === undefined)) {
    errors.add('runbox_checker', 'give exactly one of source and files');
    return undefined;
  }
  try {
    prepareJudgeProgram(value, 'checker', config, catalogue);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    errors.add('runbox_checker', error.message);
    return undefined;
  }
  return value;
}

const kept = (content: Buffer | undefined, encoding: 'utf8' | 'base64') =>
  content && content.length <= KEPT_INPUT_BYTES ? content.toString(encoding) : null;

/**
 * How the one run is decided: by Judge0's comparison of expected_output (trim), by a checker
 * (expected_output, when given, is its answer file), or not at all (a plain run with stdin).
 */
function judgedBy(stdin: string, expected: string | undefined, checker: JudgeProgramBody | undefined): Partial<RunRequestBody> {
  if (checker) return { tests: [{ stdin, ...(expected !== undefined ? { expected } : {}) }], checker };
  if (expected !== undefined) return { tests: [{ stdin, expected }], compare: 'trim' };
  return { stdin };
}

export interface PlanContext {
  config: Config;
  catalogue: readonly Runtime[];
}

/** The run a Judge0 submission body asks for, or its field errors. */
export async function planJudge0Submission(
  body: unknown,
  base64: boolean,
  { config, catalogue }: PlanContext,
): Promise<{ plan: Judge0Plan } | { errors: Judge0FieldErrors }> {
  const raw: Raw = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Raw) : {};
  const errors = new Errors();

  let language: ReturnType<typeof judge0LanguageById>;
  const languageId = raw.language_id;
  if (isBlank(languageId)) errors.add('language_id', "can't be blank");
  else {
    const id = Number(languageId);
    language = Number.isInteger(id) ? judge0LanguageById(id) : undefined;
    if (!language) errors.add('language_id', `language with id ${String(languageId)} doesn't exist`);
  }
  const isProject = language?.id === MULTI_FILE_PROGRAM_ID;

  const source = input(raw, 'source_code', base64, errors);
  if (isProject && !isBlank(raw.source_code)) errors.add('source_code', 'must be blank');
  if (!isProject && language && isBlank(raw.source_code)) errors.add('source_code', "can't be blank");
  const stdin = input(raw, 'stdin', base64, errors);
  const expected = input(raw, 'expected_output', base64, errors);
  const archive = text(raw, 'additional_files', errors);
  if (isProject && isBlank(archive)) errors.add('additional_files', "can't be blank");
  const checker = checkerOf(raw, errors, { config, catalogue });

  const maxima = {
    cpuS: config.runCpuTimeMaxMs / 1000,
    wallS: config.runTimeMaxMs / 1000,
    memoryKb: config.runMemoryMaxMb * 1024,
    fileKb: Math.floor(config.runOutputMaxBytes / 1024),
  };
  const cpuTime = bounded(raw, 'cpu_time_limit', { atLeast: 0, atMost: maxima.cpuS }, errors);
  const cpuExtra = bounded(raw, 'cpu_extra_time', { atLeast: 0, atMost: CPU_EXTRA_TIME_MAX_S }, errors);
  const wallTime = bounded(raw, 'wall_time_limit', { atLeast: 1, atMost: maxima.wallS }, errors);
  const memory = bounded(raw, 'memory_limit', { atLeast: 2048, atMost: maxima.memoryKb }, errors);
  const stack = bounded(raw, 'stack_limit', { atLeast: 0, atMost: maxima.memoryKb, integer: true }, errors);
  const processes = bounded(raw, 'max_processes_and_or_threads', { above: 0, atMost: config.runPidsMax, integer: true }, errors);
  const fileSize = bounded(raw, 'max_file_size', { atLeast: 0, atMost: maxima.fileKb, integer: true }, errors);
  const runs = bounded(raw, 'number_of_runs', { above: 0, atMost: NUMBER_OF_RUNS_MAX, integer: true }, errors);
  for (const field of ['enable_per_process_and_thread_time_limit', 'enable_per_process_and_thread_memory_limit']) {
    if (boolean(raw, field, errors)) errors.add(field, 'this option cannot be enabled');
  }
  const redirect = boolean(raw, 'redirect_stderr_to_stdout', errors) ?? false;
  const network = boolean(raw, 'enable_network', errors) ?? false;
  if (network && !config.networkAllowed) errors.add('enable_network', 'enabling network is not allowed');
  const callback = text(raw, 'callback_url', errors);
  if (!isBlank(callback) && !config.webhookSecret) errors.add('callback_url', 'setting callback is not allowed');

  const compilerOptionsText = text(raw, 'compiler_options', errors);
  const compilerOptions = words(compilerOptionsText, 'compiler_options', errors);
  const argsText = text(raw, 'command_line_arguments', errors);
  const args = words(argsText, 'command_line_arguments', errors);

  let files: { name: string; content: Buffer }[] = [];
  if (!isBlank(archive)) {
    try {
      const zip = Buffer.from(archive!, 'base64');
      const limits = {
        maxEntries: config.filesMaxCount - (isProject ? 0 : 1),
        maxFileBytes: config.filesMaxBytes,
        maxTotalBytes: config.filesMaxBytes,
        maxRatio: ZIP_MAX_RATIO,
        timeMs: ZIP_MAX_MS,
      };
      files = (await readZip(zip, createArchiveBudget(limits, zip.length))).map((f) => ({ name: f.path, content: f.data }));
    } catch (error) {
      if (!(error instanceof ArchiveError)) throw error;
      errors.add('additional_files', error.message);
    }
    if (isProject && !errors.found.additional_files && !files.some((f) => f.name === 'run')) {
      errors.add('additional_files', 'a multi-file program needs a run script at the root of the archive');
    }
  }

  const runtime = !language
    ? undefined
    : isProject
      ? projectRuntime(
          files.map((f) => f.name),
          catalogue,
        )
      : findRuntime(catalogue, language.runtime!);
  if (language && !runtime) errors.add('language_id', `language with id ${String(languageId)} doesn't exist`);
  if (compilerOptions.length > 0 && runtime) {
    if (isProject || !runtime.compile) errors.add('compiler_options', 'setting compiler options is only allowed for compiled languages');
    else if (NO_COMPILER_OPTIONS.has(runtime.language))
      errors.add('compiler_options', `setting compiler options is not allowed for ${language!.label}`);
  }
  if (errors.any || !language || !runtime) return { errors: errors.found };

  const entry = isProject ? [] : [{ name: runtime.fileName, content: source ?? Buffer.alloc(0) }];
  // Judge0 unzips without overwriting, so the source file wins over an archive entry of its name.
  const allFiles = [...entry, ...files.filter((f) => f.name !== runtime.fileName || isProject)];
  const limits: NonNullable<RunRequestBody['limits']> = {};
  if (cpuTime !== undefined) limits.cpuTimeMs = cpuTime === 0 ? config.runCpuTimeMaxMs : Math.max(1, Math.round(cpuTime * 1000));
  if (wallTime !== undefined) limits.timeMs = Math.round(wallTime * 1000);
  if (memory !== undefined) limits.memoryMb = Math.max(8, Math.ceil(memory / 1024));
  if (processes !== undefined) limits.pids = Math.max(4, processes);
  if (fileSize !== undefined) limits.outputBytes = Math.max(1, fileSize * 1024);

  const stdinText = stdin?.toString('utf8') ?? '';
  const runBody: RunRequestBody = {
    language: runtime.language,
    files: allFiles.map((f) => ({ name: f.name, content: f.content.toString('base64'), encoding: 'base64' as const })),
    ...judgedBy(stdinText, expected?.toString('utf8'), checker),
    ...(args.length > 0 ? { args } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
    ...(network ? { network } : {}),
    ...(!isBlank(callback) ? { webhook: callback } : {}),
  };

  const hasCompileScript = files.some((f) => f.name === 'compile');
  const compileTemplate = isProject ? (hasCompileScript ? ['bash', 'compile'] : null) : runtime.compile;
  const runTemplate = isProject ? ['bash', 'run'] : runtime.run;
  const stackKb = stack && stack > 0 ? stack : undefined;
  const commands: CommandTemplates = {
    ...(isProject ? { compile: compileTemplate } : {}),
    ...(compilerOptions.length > 0 && compileTemplate ? { compile: withCompilerOptions(compileTemplate, compilerOptions) } : {}),
    ...(isProject ? { run: runTemplate } : {}),
    ...(wrappedRun(runTemplate, stackKb, redirect) ? { run: wrappedRun(runTemplate, stackKb, redirect) } : {}),
  };

  const meta: Judge0Meta = {
    language_id: Number(languageId),
    source_code: kept(source, 'utf8'),
    stdin: kept(stdin, 'utf8'),
    expected_output: kept(expected, 'utf8'),
    additional_files: archive && archive.length <= KEPT_INPUT_BYTES ? Buffer.from(archive, 'base64').toString('base64') : null,
    compiler_options: compilerOptionsText ?? null,
    command_line_arguments: argsText ?? null,
    number_of_runs: runs ?? 1,
    cpu_extra_time: cpuExtra ?? 0,
    stack_limit: stack ?? null,
    redirect_stderr_to_stdout: redirect,
    enable_network: network,
    callback_url: isBlank(callback) ? null : callback!,
  };
  return { plan: { body: runBody, ...(Object.keys(commands).length > 0 ? { commands } : {}), meta } };
}
