// A runbox run seen as a Judge0 submission: Judge0's field names, units (seconds as decimal
// strings, kilobytes), nulls for empty output, Ruby's line-wrapped base64, and `fields`
// filtering. What Judge0 keeps but a run record does not (the source, the expected output,
// the options as given) is the submission's `Judge0Meta`, kept beside the record. Pure: the
// API renders responses with it, the worker the body of a callback.
import type { RunRecord } from '../run-record.js';
import { judge0IdOf, judge0LanguageById, judge0LanguageName } from './languages.js';
import { signalNumber } from '../signals.js';
import { judge0MessageOf, judge0StatusOf } from './statuses.js';

/** What a Judge0 submission asked for that the run record does not hold. */
export interface Judge0Meta {
  language_id: number;
  /** The inputs as given, each kept while it is at most KEPT_INPUT_BYTES (else null). */
  source_code: string | null;
  stdin: string | null;
  expected_output: string | null;
  /** base64 of the zip, kept while it is at most KEPT_INPUT_BYTES. */
  additional_files: string | null;
  compiler_options: string | null;
  command_line_arguments: string | null;
  number_of_runs: number;
  cpu_extra_time: number;
  stack_limit: number | null;
  redirect_stderr_to_stdout: boolean;
  enable_network: boolean;
  callback_url: string | null;
}

/** Inputs larger than this are not kept for reading back (they are still run). */
export const KEPT_INPUT_BYTES = 64 * 1024;

/** Every field a submission has, in Judge0's order; then runbox's own. */
export const judge0Fields = [
  'source_code',
  'language_id',
  'stdin',
  'expected_output',
  'stdout',
  'status_id',
  'created_at',
  'finished_at',
  'time',
  'memory',
  'stderr',
  'token',
  'number_of_runs',
  'cpu_time_limit',
  'cpu_extra_time',
  'wall_time_limit',
  'memory_limit',
  'stack_limit',
  'max_processes_and_or_threads',
  'enable_per_process_and_thread_time_limit',
  'enable_per_process_and_thread_memory_limit',
  'max_file_size',
  'compile_output',
  'exit_code',
  'exit_signal',
  'message',
  'wall_time',
  'compiler_options',
  'command_line_arguments',
  'redirect_stderr_to_stdout',
  'callback_url',
  'additional_files',
  'enable_network',
  'started_at',
  'queued_at',
  'updated_at',
  'queue_host',
  'execution_host',
  'status',
  'language',
  'runbox_status',
  'runbox_verdict',
] as const;
export type Judge0Field = (typeof judge0Fields)[number];

/** Judge0's answer when `fields` is absent. */
export const defaultJudge0Fields: readonly Judge0Field[] = [
  'token',
  'time',
  'memory',
  'stdout',
  'stderr',
  'compile_output',
  'message',
  'status',
];

/** The requested fields, or the names that are not fields (Judge0's 400 names them all). */
export function parseJudge0Fields(raw: string | undefined): { fields: readonly Judge0Field[] } | { invalid: string[] } {
  const names = (raw ?? '').split(',').filter((name) => name.length > 0);
  const invalid = names.filter((name) => name !== '*' && !(judge0Fields as readonly string[]).includes(name));
  if (invalid.length > 0) return { invalid };
  if (names.includes('*')) return { fields: judge0Fields };
  return { fields: names.length > 0 ? (names as Judge0Field[]) : defaultJudge0Fields };
}

/** Ruby's Base64.encode64, which Judge0 uses: a line break after every 60 characters and at the end. */
export function rubyBase64(text: string | Buffer): string {
  const plain = Buffer.from(text).toString('base64');
  let out = '';
  for (let i = 0; i < plain.length; i += 60) out += plain.slice(i, i + 60) + '\n';
  return out;
}

/** Seconds as Judge0 serialises its decimal columns: "0.023", "5.0". */
export function judge0Seconds(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined) return null;
  const seconds = ms / 1000;
  return Number.isInteger(seconds) ? seconds.toFixed(1) : String(seconds);
}

export interface RenderOptions {
  fields: readonly Judge0Field[];
  base64: boolean;
  /** The version of a runtime, for language.name; absent where it does not matter (a callback). */
  versionOf?: (runtime: string) => string | undefined;
}

const emptyToNull = (text: string | undefined | null) => (text ? text : null);

/** The submission as Judge0 would serialise it, with only the requested fields. */
export function renderJudge0Submission(record: RunRecord, meta: Judge0Meta | undefined, options: RenderOptions): Record<string, unknown> {
  const encode = (text: string | null) => (text !== null && options.base64 ? rubyBase64(text) : text);
  const result = record.tests?.[0] ?? record;
  const compiled = record.verdict !== 'compilation_error';
  const ran = record.status === 'completed' && compiled;
  const compileOutput = record.compile ? emptyToNull(record.compile.stdout + record.compile.stderr) : null;
  const status = judge0StatusOf(record);
  const languageId = meta?.language_id ?? judge0IdOf(record.language) ?? null;
  const language = languageId === null ? undefined : judge0LanguageById(languageId);
  const limits = record.limits;
  const value = (field: Judge0Field): unknown => {
    switch (field) {
      case 'source_code':
      case 'stdin':
      case 'expected_output':
        return encode(meta?.[field] ?? null);
      case 'language_id':
        return languageId;
      case 'stdout':
        return encode(ran ? emptyToNull(result.stdout) : null);
      case 'stderr':
        return encode(ran ? emptyToNull(result.stderr) : null);
      case 'status_id':
        return status.id;
      case 'created_at':
      case 'queued_at':
        return record.createdAt;
      case 'finished_at':
        return record.finishedAt;
      case 'started_at':
        return record.startedAt;
      case 'updated_at':
        return record.finishedAt ?? record.startedAt ?? record.createdAt;
      case 'time':
        return ran ? judge0Seconds(record.cpuTimeMs) : null;
      case 'wall_time':
        return ran ? judge0Seconds(record.timeMs) : null;
      case 'memory':
        return ran && record.memoryBytes !== null ? Math.round(record.memoryBytes / 1024) : null;
      case 'token':
        return record.id;
      case 'number_of_runs':
        return meta?.number_of_runs ?? 1;
      case 'cpu_time_limit':
        return judge0Seconds(limits.cpuTimeMs);
      case 'cpu_extra_time':
        return judge0Seconds((meta?.cpu_extra_time ?? 0) * 1000);
      case 'wall_time_limit':
        return judge0Seconds(limits.timeMs);
      case 'memory_limit':
        return limits.memoryMb * 1024;
      case 'stack_limit':
        return meta?.stack_limit ?? null;
      case 'max_processes_and_or_threads':
        return limits.pids;
      case 'enable_per_process_and_thread_time_limit':
      case 'enable_per_process_and_thread_memory_limit':
        return false;
      case 'max_file_size':
        return Math.floor(limits.outputBytes / 1024);
      case 'compile_output':
        return encode(compileOutput);
      case 'exit_code':
        return ran ? (record.exitCode ?? 0) : null;
      case 'exit_signal':
        return ran ? signalNumber(record.signal) : null;
      case 'message':
        return encode(judge0MessageOf(record));
      case 'compiler_options':
      case 'command_line_arguments':
      case 'callback_url':
        return meta?.[field] ?? null;
      case 'additional_files':
        return meta?.additional_files ? rubyBase64(Buffer.from(meta.additional_files, 'base64')) : null;
      case 'redirect_stderr_to_stdout':
      case 'enable_network':
        return meta?.[field] ?? false;
      case 'queue_host':
      case 'execution_host':
        return null;
      case 'status':
        return { id: status.id, description: status.description };
      case 'language':
        return language
          ? { id: languageId, name: judge0LanguageName(language, language.runtime && options.versionOf?.(language.runtime)) }
          : null;
      case 'runbox_status':
        return record.status;
      case 'runbox_verdict':
        return record.verdict;
    }
  };
  return Object.fromEntries(options.fields.map((field) => [field, value(field)]));
}
