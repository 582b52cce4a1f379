// Turns a schema-valid POST /runtimes body into a custom runtime (as stored) and its source
// (Dockerfile instructions and build files), or an ApiError: a name taken by a built-in, a
// base that is not one, instructions a custom runtime may not use, bad build files. Pure.
import type { Config } from '../config/config.js';
import {
  customImage,
  definitionHash,
  dockerfileProblem,
  extensionOf,
  type CustomRuntime,
  type CustomRuntimeSource,
} from '../domain/custom-runtime.js';
import { fileNameProblem } from '../domain/file-names.js';
import { findRuntime, imageOf, type Runtime } from '../domain/runtimes.js';
import { ApiError } from './errors.js';
import type { CustomRuntimeRequest } from './schemas.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** Names the build context keeps for itself: the service's Dockerfile, and what would change the context. */
export const RESERVED_BUILD_FILES = ['.runbox.Dockerfile', '.dockerignore'];

function buildFiles(body: CustomRuntimeRequest, config: Config): CustomRuntimeSource['files'] {
  const files = body.files ?? [];
  if (files.length > config.filesMaxCount) throw new ApiError('invalid_request', `at most ${config.filesMaxCount} build files`);
  const names = new Set<string>();
  let total = 0;
  const decoded = files.map((file) => {
    const problem = fileNameProblem(file.name, { maxBytes: config.fileNameMaxBytes });
    if (problem) throw new ApiError('invalid_file_name', `build file name ${JSON.stringify(file.name)} ${problem}`);
    if (RESERVED_BUILD_FILES.includes(file.name))
      throw new ApiError('invalid_file_name', `${file.name} is a name the build keeps for itself`);
    if (names.has(file.name)) throw new ApiError('invalid_file_name', `build file name ${JSON.stringify(file.name)} is given twice`);
    names.add(file.name);
    if (file.encoding === 'base64' && !BASE64.test(file.content))
      throw new ApiError('invalid_request', `build file ${JSON.stringify(file.name)} is not valid base64`);
    const content = Buffer.from(file.content, file.encoding === 'base64' ? 'base64' : 'utf8');
    total += content.length;
    return { name: file.name, content: content.toString('base64') };
  });
  for (const name of names)
    if ([...names].some((other) => other.startsWith(name + '/')))
      throw new ApiError('invalid_file_name', `build file name ${JSON.stringify(name)} is also a folder of another file`);
  if (total > config.filesMaxBytes)
    throw new ApiError('invalid_request', `build files add up to ${total} bytes, above the maximum of ${config.filesMaxBytes}`);
  return decoded;
}

export interface Definition {
  runtime: CustomRuntime;
  source: CustomRuntimeSource;
}

export function prepareDefinition(body: CustomRuntimeRequest, config: Config, builtins: readonly Runtime[], now: Date): Definition {
  const taken = findRuntime(builtins, body.name);
  if (taken)
    throw new ApiError(
      'conflict',
      `${body.name} is a built-in runtime${taken.language === body.name ? '' : ` (an alias of ${taken.language})`}`,
    );
  const base = findRuntime(builtins, body.base);
  if (!base) throw new ApiError('unknown_language', `no built-in runtime is called ${JSON.stringify(body.base)}; see GET /runtimes`);
  const problem = dockerfileProblem(body.dockerfile);
  if (problem) throw new ApiError('invalid_request', `dockerfile ${problem}`);
  const fileName = body.fileName ?? base.fileName;
  const nameProblem = fileNameProblem(fileName, { maxBytes: config.fileNameMaxBytes });
  if (nameProblem) throw new ApiError('invalid_file_name', `fileName ${JSON.stringify(fileName)} ${nameProblem}`);
  const source: CustomRuntimeSource = { dockerfile: body.dockerfile, files: buildFiles(body, config) };
  const baseImage = imageOf(config.imagePrefix, base);
  const hash = definitionHash(base.language, baseImage, source);
  const compile = body.compile ?? base.compile;
  return {
    runtime: {
      name: body.name,
      base: base.language,
      fileName,
      sourceExtension: body.fileName ? extensionOf(fileName) : base.sourceExtension,
      ...(compile ? { compile } : {}),
      run: body.run ?? base.run,
      ...(body.version ? { version: body.version } : {}),
      status: 'building',
      progress: 'queued',
      image: customImage(config.imagePrefix, body.name, hash),
      hash,
      createdAt: now.toISOString(),
    },
    source,
  };
}
