// Turns a schema-valid POST /runs body (the schema has checked each field and the rules
// between them) into a run record and the request the worker needs, or an ApiError for what
// needs the catalogue or the server's settings: unknown language, a limit above the maximum,
// a bad file name, sizes, network or root not allowed. Pure apart from the id and the clock.
import { limitsFromConfig, type Config } from '../config/config.js';
import { fileNameProblem } from '../domain/file-names.js';
import { LimitExceededError, resolveLimits, type Limits } from '../domain/limits.js';
import { queuedRun, type RunRecord } from '../domain/run-record.js';
import { findRuntime, type Runtime } from '../domain/runtimes.js';
import type { JudgeSpec, RunSpec } from '../domain/run-spec.js';
import { DEFAULT_FLOAT_TOLERANCE } from '../domain/compare.js';
import { checkWebhookUrl } from '../lib/webhook-target.js';
import { ApiError } from './errors.js';
import type { RunRequestBody } from './schemas.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** Linux's MAX_ARG_STRLEN: no single argument or environment string may reach it. */
export const ARG_STRING_MAX_BYTES = 128 * 1024;

/** The files of a body that has exactly one of source and files (the schema's rule). */
function decodeFiles(body: RunRequestBody, runtime: Runtime, config: Config): { name: string; content: Buffer }[] {
  if (body.source !== undefined) return [{ name: runtime.fileName, content: Buffer.from(body.source, 'utf8') }];
  const files = body.files ?? [];
  if (files.length > config.filesMaxCount) throw new ApiError('invalid_request', `at most ${config.filesMaxCount} files`);
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

function prepareJudge(body: RunRequestBody, config: Config): JudgeSpec | undefined {
  // The schema has refused judge options without tests, and tests with stdin or interactive.
  if (!body.tests) return undefined;
  if (body.tests.length > config.judgeMaxTests)
    throw new ApiError('limit_exceeded', `${body.tests.length} tests, above the server maximum of ${config.judgeMaxTests}`);
  const expectedBytes = body.tests.reduce((sum, t) => sum + Buffer.byteLength(t.expected), 0);
  if (expectedBytes > config.judgeExpectedMaxBytes) {
    throw new ApiError(
      'limit_exceeded',
      `the expected outputs add up to ${expectedBytes} bytes, above the server maximum of ${config.judgeExpectedMaxBytes}`,
    );
  }
  return {
    tests: body.tests.map((t, i) => ({ name: t.name ?? `test-${i + 1}`, stdin: t.stdin ?? '', expected: t.expected })),
    compare: body.compare ?? 'trim',
    floatTolerance: body.floatTolerance ?? DEFAULT_FLOAT_TOLERANCE,
    stopOnFailure: body.stopOnFailure ?? false,
    isolateTests: body.isolateTests ?? false,
  };
}

/** Early refusals; the worker checks the resolved addresses again when it delivers. */
function checkWebhook(raw: string, config: Config): string {
  if (!config.webhookSecret) throw new ApiError('forbidden', 'webhooks are not enabled on this server (WEBHOOK_SECRET is not set)');
  const target = checkWebhookUrl(raw, config.webhookAllowPrivate);
  if ('problem' in target) throw new ApiError('invalid_request', target.problem);
  return target.url.toString();
}

export interface Submission {
  record: RunRecord;
  request: RunSpec;
}

export function prepareSubmission(body: RunRequestBody, config: Config, catalogue: readonly Runtime[], id: string, now: Date): Submission {
  const runtime = findRuntime(catalogue, body.language);
  if (!runtime) throw new ApiError('unknown_language', `no runtime is called ${JSON.stringify(body.language)}; see GET /runtimes`);
  if (body.network && !config.networkAllowed) throw new ApiError('forbidden', 'network access is not allowed on this server');
  // Root inside only where it is powerless outside: gVisor's root is its Sentry's (host uid
  // nobody); under userns-remap it is an unprivileged host uid. Never under plain runc.
  if (body.root && (runtime.sandboxRuntime ?? config.sandboxRuntime) !== 'runsc' && !config.usernsRemap) {
    throw new ApiError(
      'forbidden',
      `root inside needs gVisor (SANDBOX_RUNTIME=runsc) or an engine with userns-remap (USERNS_REMAP); ${runtime.language} runs under plain runc here`,
    );
  }

  const { defaults, maxima } = limitsFromConfig(config);
  let limits: Limits;
  try {
    limits = resolveLimits(body.limits, defaults, maxima, runtime.limits);
  } catch (error) {
    if (error instanceof LimitExceededError) throw new ApiError('limit_exceeded', error.message);
    throw error;
  }

  const files = decodeFiles(body, runtime, config);
  const totalBytes = files.reduce((sum, f) => sum + f.content.length, 0);
  if (totalBytes > config.filesMaxBytes)
    throw new ApiError('invalid_request', `files add up to ${totalBytes} bytes, above the maximum of ${config.filesMaxBytes}`);
  if (totalBytes > limits.diskMb * 1024 * 1024)
    throw new ApiError('invalid_request', `files add up to ${totalBytes} bytes, more than the work folder (limits.diskMb) holds`);

  const stdinBytes = Math.max(Buffer.byteLength(body.stdin ?? ''), ...(body.tests ?? []).map((t) => Buffer.byteLength(t.stdin ?? '')));
  if (stdinBytes > config.stdinMaxBytes)
    throw new ApiError('payload_too_large', `stdin of ${stdinBytes} bytes is above the server maximum of ${config.stdinMaxBytes}`);
  const judge = prepareJudge(body, config);
  const webhook = body.webhook === undefined ? undefined : checkWebhook(body.webhook, config);
  const args = body.args ?? [];
  const env = body.env ?? {};
  const strings = [...args, ...Object.entries(env).map(([k, v]) => `${k}=${v}`)];
  // The kernel refuses one string of 128 KiB or more, and all of them past ARG_MAX; Docker
  // refuses a create of several MiB. Each is said here, not as a failed run.
  const longest = Math.max(0, ...strings.map((s) => Buffer.byteLength(s)));
  if (longest >= ARG_STRING_MAX_BYTES)
    throw new ApiError(
      'payload_too_large',
      `an argument or environment variable of ${longest} bytes; each must be under ${ARG_STRING_MAX_BYTES}`,
    );
  const total = strings.reduce((sum, s) => sum + Buffer.byteLength(s) + 1, 0);
  if (total > config.argsEnvMaxBytes)
    throw new ApiError('payload_too_large', `args and env add up to ${total} bytes, above the server maximum of ${config.argsEnvMaxBytes}`);

  const record = queuedRun({
    id,
    language: runtime.language,
    createdAt: now.toISOString(),
    limits,
    interactive: body.interactive ?? false,
    webhook,
  });
  const request: RunSpec = {
    files: files.map((f) => ({ name: f.name, content: f.content.toString('base64') })),
    stdin: body.stdin ?? '',
    args,
    env,
    network: body.network ?? false,
    ...(body.root ? { root: true } : {}),
    ...(judge ? { judge } : {}),
  };
  return { record, request };
}
