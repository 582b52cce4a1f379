// Turns a schema-valid POST /runs body (the schema has checked each field and the rules
// between them) into a run record and the request the worker needs, or an ApiError for what
// needs the catalogue or the server's settings: unknown language, a limit above the maximum,
// a bad file name, sizes, network or root not allowed. Pure apart from the id and the clock.
import type { Config } from '../config/config.js';
import type { Problem } from '../domain/problem.js';
import { queuedRun, type RunRecord } from '../domain/run-record.js';
import type { Runtime } from '../domain/runtimes.js';
import type { RunSpec } from '../domain/run-spec.js';
import { checkWebhookUrl } from '../lib/webhook-target.js';
import { checkArtifactGlobs } from './artifact-globs.js';
import { ApiError } from './errors.js';
import { prepareJudge } from './judge-submission.js';
import { decodeFiles, limitsFor, runtimeOf } from './program-parts.js';
import type { RunRequestBody } from './schemas.js';

/** Linux's MAX_ARG_STRLEN: no single argument or environment string may reach it. */
export const ARG_STRING_MAX_BYTES = 128 * 1024;

/** Early refusals; the worker checks the resolved addresses again when it delivers. */
function checkWebhook(raw: string, config: Config): string {
  if (!config.webhookSecret) throw new ApiError('forbidden', 'webhooks are not enabled on this server (WEBHOOK_SECRET is not set)');
  const target = checkWebhookUrl(raw, config.webhookAllowPrivate);
  if ('problem' in target) throw new ApiError('invalid_request', target.problem);
  return target.url.toString();
}

export const envStrings = (env: Record<string, string>) => Object.entries(env).map(([k, v]) => `${k}=${v}`);

/**
 * Strings that become a program's argv and environment: each under the kernel's limit (it
 * refuses one of 128 KiB or more, and all of them past ARG_MAX; Docker refuses a create of
 * several MiB), all of them within ARGS_ENV_MAX_BYTES. Each is said here, not as a failed run.
 */
export function checkArgStrings(strings: string[], config: Config, what: string): void {
  if (strings.some((s) => s.includes('\0'))) throw new ApiError('invalid_request', `${what} values may not contain NUL`);
  const longest = Math.max(0, ...strings.map((s) => Buffer.byteLength(s)));
  if (longest >= ARG_STRING_MAX_BYTES)
    throw new ApiError('payload_too_large', `a string of ${longest} bytes in ${what}; each must be under ${ARG_STRING_MAX_BYTES}`);
  const total = strings.reduce((sum, s) => sum + Buffer.byteLength(s) + 1, 0);
  if (total > config.argsEnvMaxBytes)
    throw new ApiError('payload_too_large', `${what} add up to ${total} bytes, above the server maximum of ${config.argsEnvMaxBytes}`);
}

export interface Submission {
  record: RunRecord;
  request: RunSpec;
}

/**
 * The run's record and request. `problem` is the problem the body names (read by the caller,
 * who answers 404 when there is none).
 */
export function prepareSubmission(
  body: RunRequestBody,
  config: Config,
  catalogue: readonly Runtime[],
  id: string,
  now: Date,
  problem?: Problem,
): Submission {
  const runtime = runtimeOf(body.language, catalogue);
  if (body.network && !config.networkAllowed) throw new ApiError('forbidden', 'network access is not allowed on this server');
  // Root inside only where it is powerless outside: gVisor's root is its Sentry's (host uid
  // nobody); under userns-remap it is an unprivileged host uid. Never under plain runc.
  if (body.root && (runtime.sandboxRuntime ?? config.sandboxRuntime) !== 'runsc' && !config.usernsRemap) {
    throw new ApiError(
      'forbidden',
      `root inside needs gVisor (SANDBOX_RUNTIME=runsc) or an engine with userns-remap (USERNS_REMAP); ${runtime.language} runs under plain runc here`,
    );
  }

  const limits = limitsFor(body.limits, runtime, config, problem?.limits);
  const files = decodeFiles(body, runtime, config, limits);

  const stdinBytes = Math.max(Buffer.byteLength(body.stdin ?? ''), ...(body.tests ?? []).map((t) => Buffer.byteLength(t.stdin ?? '')));
  if (stdinBytes > config.stdinMaxBytes)
    throw new ApiError('payload_too_large', `stdin of ${stdinBytes} bytes is above the server maximum of ${config.stdinMaxBytes}`);
  const judge = prepareJudge(body, config, catalogue, problem);
  if (judge && body.snapshot) throw new ApiError('invalid_request', 'a judged run cannot be snapshotted (snapshot: true)');
  const webhook = body.webhook === undefined ? undefined : checkWebhook(body.webhook, config);
  const args = body.args ?? [];
  const env = body.env ?? {};
  checkArgStrings([...args, ...envStrings(env)], config, 'args and env');

  const record = queuedRun({
    id,
    language: runtime.language,
    createdAt: now.toISOString(),
    limits,
    interactive: body.interactive ?? false,
    webhook,
  });
  if (problem) record.problem = problem.id;
  const request: RunSpec = {
    files: files.map((f) => ({ name: f.name, content: f.content.toString('base64') })),
    stdin: body.stdin ?? '',
    args,
    env,
    network: body.network ?? false,
    ...(body.root ? { root: true } : {}),
    ...(judge ? { judge } : {}),
    ...(body.snapshot ? { snapshot: true } : {}),
    ...(body.artifacts ? { artifacts: checkArtifactGlobs(body.artifacts) } : {}),
  };
  return { record, request };
}
