// The parts every program of a submission has (the run's own, a checker's, an interactor's):
// its runtime, its limits in layers, its files decoded and checked. Pure.
import { limitsFromConfig, type Config } from '../config/config.js';
import { fileNameProblem } from '../domain/file-names.js';
import { LimitExceededError, resolveLimits, type Limits } from '../domain/limits.js';
import { findRuntime, type Runtime } from '../domain/runtimes.js';
import { ApiError } from './errors.js';
import type { RunRequestBody } from './schemas.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * A program's files (the run's, a checker's or an interactor's), decoded and checked: names,
 * count, total size (within FILES_MAX_BYTES and the work folder of `limits`). `what` names
 * whose they are in a refusal ("checker.").
 */
export function decodeFiles(
  body: Pick<RunRequestBody, 'source' | 'files'>,
  runtime: Runtime,
  config: Config,
  limits: Pick<Limits, 'diskMb'>,
  what = '',
): { name: string; content: Buffer }[] {
  const files = decodeNamedFiles(body, runtime, config, what);
  const totalBytes = files.reduce((sum, f) => sum + f.content.length, 0);
  if (totalBytes > config.filesMaxBytes)
    throw new ApiError('invalid_request', `${what}files add up to ${totalBytes} bytes, above the maximum of ${config.filesMaxBytes}`);
  if (totalBytes > limits.diskMb * 1024 * 1024)
    throw new ApiError(
      'invalid_request',
      `${what}files add up to ${totalBytes} bytes, more than the work folder (${what}limits.diskMb) holds`,
    );
  return files;
}

function decodeNamedFiles(
  body: Pick<RunRequestBody, 'source' | 'files'>,
  runtime: Runtime,
  config: Config,
  what: string,
): { name: string; content: Buffer }[] {
  // The schema has made sure of exactly one of source and files.
  if (body.source !== undefined) return [{ name: runtime.fileName, content: Buffer.from(body.source, 'utf8') }];
  const files = body.files!;
  if (files.length > config.filesMaxCount) throw new ApiError('invalid_request', `at most ${config.filesMaxCount} ${what}files`);
  const names = new Set<string>();
  return files
    .map((file) => {
      const problem = fileNameProblem(file.name, { maxBytes: config.fileNameMaxBytes });
      if (problem) throw new ApiError('invalid_file_name', `file name ${JSON.stringify(file.name)} ${problem}`);
      if (names.has(file.name)) throw new ApiError('invalid_file_name', `file name ${JSON.stringify(file.name)} is given twice`);
      names.add(file.name);
      if (file.encoding === 'base64' && !BASE64.test(file.content)) {
        throw new ApiError('invalid_request', `file ${JSON.stringify(file.name)} is not valid base64`);
      }
      return { name: file.name, content: Buffer.from(file.content, file.encoding === 'base64' ? 'base64' : 'utf8') };
    })
    .map((file, _, all) => {
      // A name used as a folder of another cannot also be a file.
      if (all.some((other) => other.name.startsWith(file.name + '/'))) {
        throw new ApiError('invalid_file_name', `file name ${JSON.stringify(file.name)} is also a folder of another file`);
      }
      return file;
    });
}

/** Server defaults, the runtime's, then `over` (a problem's), then the request's values up to the maxima. */
export function limitsFor(requested: Partial<Limits> | undefined, runtime: Runtime, config: Config, over: Partial<Limits> = {}): Limits {
  const { defaults, maxima } = limitsFromConfig(config);
  try {
    return resolveLimits(requested, defaults, maxima, { ...runtime.limits, ...over });
  } catch (error) {
    if (error instanceof LimitExceededError) throw new ApiError('limit_exceeded', error.message);
    throw error;
  }
}

/** The runtime of `language`, or a 400 unknown_language. */
export function runtimeOf(language: string, catalogue: readonly Runtime[]): Runtime {
  const runtime = findRuntime(catalogue, language);
  if (!runtime) throw new ApiError('unknown_language', `no runtime is called ${JSON.stringify(language)}; see GET /runtimes`);
  return runtime;
}
