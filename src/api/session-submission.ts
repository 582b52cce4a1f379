// Turns schema-valid session requests into what the worker is asked, or an ApiError: the
// session's runtime, limits, lifetimes and files (POST /sessions), an exec's command and limits
// (POST /sessions/{id}/exec), a path of the files routes. Pure apart from the id and the clock.
import { limitsFromConfig, type Config } from '../config/config.js';
import { fileNameProblem } from '../domain/file-names.js';
import { LimitExceededError, resolveExecLimits } from '../domain/limits.js';
import type { OpenSessionRequest, SessionCommand } from '../domain/session-command.js';
import { SessionStatus, type SessionRecord } from '../domain/session-record.js';
import { findRuntime, type Runtime } from '../domain/runtimes.js';
import { ApiError } from './errors.js';
import { decodeFiles, limitsFor, runtimeOf } from './program-parts.js';
import { checkArgStrings, envStrings } from './run-submission.js';
import type { CreateSessionRequest, ExecRequest } from './session-schemas.js';

function withinMaximum(name: string, value: number | undefined, fallback: number, maximum: number): number {
  if (value === undefined) return fallback;
  if (value > maximum) throw new ApiError('limit_exceeded', `${name} is ${value}, above the server maximum of ${maximum}`);
  return value;
}

export interface PreparedSession {
  record: SessionRecord;
  request: OpenSessionRequest;
}

/** The snapshot a session is opened on, as the API found it (its owner checked). */
export interface SessionBase {
  id: string;
  language: string;
  image: string;
}

export function prepareSession(
  body: CreateSessionRequest,
  config: Config,
  catalogue: readonly Runtime[],
  id: string,
  now: Date,
  snapshot?: SessionBase,
): PreparedSession {
  if (snapshot && body.language !== undefined && findRuntime(catalogue, body.language)?.language !== snapshot.language) {
    throw new ApiError('invalid_request', `snapshot ${snapshot.id} is of ${snapshot.language}, not ${body.language}`);
  }
  const language = snapshot?.language ?? body.language;
  if (language === undefined) throw new ApiError('invalid_request', 'give language, or a snapshot to open');
  const runtime = runtimeOf(language, catalogue);
  if (body.network && !config.networkAllowed) throw new ApiError('forbidden', 'network access is not allowed on this server');
  const limits = limitsFor(body.limits, runtime, config);
  const idleTimeoutMs = withinMaximum('idleTimeoutMs', body.idleTimeoutMs, config.sessionIdleTimeoutMs, config.sessionIdleTimeoutMaxMs);
  const maxLifetimeMs = withinMaximum('maxLifetimeMs', body.maxLifetimeMs, config.sessionLifetimeMs, config.sessionLifetimeMaxMs);
  const files = body.files ? decodeFiles({ files: body.files }, runtime, config, limits) : [];
  const env = body.env ?? {};
  checkArgStrings(envStrings(env), config, 'env');

  const at = now.toISOString();
  const record: SessionRecord = {
    id,
    language: runtime.language,
    status: SessionStatus.starting,
    createdAt: at,
    lastUsedAt: at,
    expiresAt: new Date(now.getTime() + Math.min(idleTimeoutMs, maxLifetimeMs)).toISOString(),
    endsAt: new Date(now.getTime() + maxLifetimeMs).toISOString(),
    idleTimeoutMs,
    maxLifetimeMs,
    limits,
    network: body.network ?? false,
    snapshot: snapshot?.id ?? null,
    endedAt: null,
    endReason: null,
  };
  const request: OpenSessionRequest = {
    language: runtime.language,
    limits,
    network: record.network,
    env,
    files: files.map((f) => ({ name: f.name, content: f.content.toString('base64') })),
    idleTimeoutMs,
    maxLifetimeMs,
    ...(snapshot ? { snapshot: { id: snapshot.id, image: snapshot.image } } : {}),
  };
  return { record, request };
}

/** A path of the files routes, checked by the file-name rules; "" (the work folder) only where `root` is allowed. */
export function sessionPath(raw: string, config: Config, options: { root: boolean }): string {
  // A folder may be named with a trailing slash.
  const path = raw.endsWith('/') && raw.length > 1 ? raw.slice(0, -1) : raw;
  if (path === '' || path === '/') {
    if (options.root) return '';
    throw new ApiError('invalid_file_name', 'name a file or folder in the work folder, not the work folder itself');
  }
  const problem = fileNameProblem(path, { maxBytes: config.fileNameMaxBytes });
  if (problem) throw new ApiError('invalid_file_name', `path ${JSON.stringify(path)} ${problem}`);
  return path;
}

export function prepareExec(
  body: ExecRequest,
  session: Pick<SessionRecord, 'id' | 'limits'>,
  config: Config,
  execId: string,
  stream: boolean,
): Extract<SessionCommand, { kind: 'exec' }> {
  const command = typeof body.command === 'string' ? ['sh', '-c', body.command] : body.command;
  const env = body.env ?? {};
  checkArgStrings([...command, ...envStrings(env)], config, 'the command and env');
  const stdinBytes = Buffer.byteLength(body.stdin ?? '');
  if (stdinBytes > config.stdinMaxBytes)
    throw new ApiError('payload_too_large', `stdin of ${stdinBytes} bytes is above the server maximum of ${config.stdinMaxBytes}`);
  const cwd = body.cwd === undefined || body.cwd === '' ? undefined : sessionPath(body.cwd, config, { root: false });
  const { maxima } = limitsFromConfig(config);
  let limits;
  try {
    limits = resolveExecLimits(session.limits, { timeMs: body.timeMs, cpuTimeMs: body.cpuTimeMs }, maxima);
  } catch (error) {
    if (error instanceof LimitExceededError) throw new ApiError('limit_exceeded', error.message);
    throw error;
  }
  return {
    kind: 'exec',
    sessionId: session.id,
    execId,
    command,
    stdin: Buffer.from(body.stdin ?? '', 'utf8').toString('base64'),
    env,
    ...(cwd ? { cwd } : {}),
    limits,
    stream,
  };
}
