// A Piston v2 job (POST /api/v2/execute, or the WebSocket's init frame) turned into a runbox
// run body, checked in Piston's order and words (each refusal is a 400 whose `message` is
// Piston's). Limits are runbox's: a value above runbox's maximum is refused as Piston refuses
// one above its configured limit. What passes then goes through prepareSubmission like any run.
import type { Config } from '../../config/config.js';
import type { Runtime } from '../../domain/runtimes.js';
import { ApiError } from '../errors.js';
import type { RunRequestBody } from '../schemas.js';
import { findPistonRuntime } from './piston-runtimes.js';

const MiB = 1024 * 1024;

export interface PistonPlan {
  runtime: Runtime;
  body: RunRequestBody;
}

const refuse = (message: string): never => {
  throw new ApiError('invalid_request', message);
};

type Raw = Record<string, unknown>;

/** The configured limit of each constraint, in Piston's units (ms, bytes). */
function configuredLimits(config: Config): Record<string, number> {
  return {
    run_timeout: config.runTimeMaxMs,
    compile_timeout: config.compileTimeMs,
    run_cpu_time: config.runCpuTimeMaxMs,
    compile_cpu_time: config.compileTimeMs,
    run_memory_limit: config.runMemoryMaxMb * MiB,
    compile_memory_limit: config.compileMemoryMb * MiB,
  };
}

/** Piston's checks of one constraint: absent, 0 or -1 (a memory limit's "none") takes the default. */
function constraint(raw: Raw, name: string, limit: number): number | undefined {
  const value = raw[name];
  if (!value || (value === -1 && name.endsWith('memory_limit'))) return undefined;
  if (typeof value !== 'number') return refuse(`If specified, ${name} must be a number`);
  if (value > limit) return refuse(`${name} cannot exceed the configured limit of ${limit}`);
  if (value < 0) return refuse(`${name} must be non-negative`);
  return value;
}

function decode(content: string, encoding: unknown): { content: string; encoding: 'utf8' | 'base64' } {
  if (encoding === 'base64') return { content, encoding: 'base64' };
  if (encoding === 'hex') return { content: Buffer.from(content, 'hex').toString('base64'), encoding: 'base64' };
  return { content, encoding: 'utf8' };
}

export interface PistonPlanOptions {
  config: Config;
  catalogue: readonly Runtime[];
  versions: Record<string, string>;
  /** The WebSocket: stdin comes from data frames, so `stdin` is not taken. */
  interactive: boolean;
}

export function planPistonJob(body: unknown, { config, catalogue, versions, interactive }: PistonPlanOptions): PistonPlan {
  const raw: Raw = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Raw) : {};
  const { language, version, files } = raw;
  if (!language || typeof language !== 'string') refuse('language is required as a string');
  if (!version || typeof version !== 'string') refuse('version is required as a string');
  if (!Array.isArray(files)) return refuse('files is required as an array');
  for (const [i, file] of files.entries()) {
    if (typeof (file as Raw | null)?.content !== 'string') refuse(`files[${i}].content is required as a string`);
  }
  const runtime = findPistonRuntime(catalogue, language as string, version as string, versions);
  if (!runtime) return refuse(`${language}-${version} runtime is unknown`);
  const typed = files as { name?: unknown; content: string; encoding?: unknown }[];
  if (!typed.some((f) => !f.encoding || f.encoding === 'utf8')) refuse('files must include at least one utf8 encoded file');
  const limits = configuredLimits(config);
  const values = Object.fromEntries(Object.entries(limits).map(([name, limit]) => [name, constraint(raw, name, limit)]));
  const args = raw.args ?? [];
  if (!Array.isArray(args) || args.some((a) => typeof a !== 'string')) refuse('args must be an array of strings');
  const stdin = raw.stdin ?? '';
  if (typeof stdin !== 'string') refuse('stdin must be a string');

  const runLimits: NonNullable<RunRequestBody['limits']> = {};
  if (values.run_timeout !== undefined) runLimits.timeMs = Math.max(1, Math.round(values.run_timeout));
  if (values.run_cpu_time !== undefined) runLimits.cpuTimeMs = Math.max(1, Math.round(values.run_cpu_time));
  if (values.run_memory_limit !== undefined) runLimits.memoryMb = Math.max(8, Math.ceil(values.run_memory_limit / MiB));
  return {
    runtime,
    body: {
      language: runtime.language,
      // A file without a name: the runtime's own name for the entry point, Piston's file<i>.code for the rest.
      files: typed.map((file, i) => ({
        name: typeof file.name === 'string' && file.name !== '' ? file.name : i === 0 ? runtime.fileName : `file${i}.code`,
        ...decode(file.content, file.encoding),
      })),
      args: args as string[],
      // Piston ends stdin with a newline when it has none; WebSocket stdin is the client's.
      ...(interactive ? { interactive: true } : { stdin: (stdin as string).endsWith('\n') ? (stdin as string) : `${stdin as string}\n` }),
      ...(Object.keys(runLimits).length > 0 ? { limits: runLimits } : {}),
    },
  };
}
