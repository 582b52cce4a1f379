// The API's side of sessions: which worker holds one (or gets a new one: the live worker with
// the most room, on the snapshot's Docker engine where it opens a snapshot), a command sent to
// that worker's stream and its reply awaited, and a session whose worker stopped beating
// recorded lost instead of waited for. Everything goes through Redis; the API never touches
// Docker.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { CommandError, SessionCommand, SessionCommandResults } from '../domain/session-command.js';
import { SessionStatus } from '../domain/session-record.js';
import { COMMANDS_BACKLOG_MAX, type SessionChannel } from '../store/session-channel.js';
import type { SessionStore, StoredSession } from '../store/session-store.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import type { StreamFollower } from '../store/stream-follower.js';
import type { WorkerInfo, WorkerRegistry } from '../store/worker-registry.js';
import { canSee, type Principal } from './auth.js';
import { ApiError, errorCodes, type ErrorCode } from './errors.js';

/** An exec's answer may take its time limit, the worker's kill grace and this much more. */
const EXEC_ANSWER_SLACK_MS = 10_000;

export interface SessionClientOptions {
  store: SessionStore;
  snapshots: SnapshotStore;
  registry: WorkerRegistry;
  channel: SessionChannel;
  /** Reads replies and terminal output (one blocking connection for the process). */
  follower: StreamFollower;
  config: Pick<Config, 'workerHeartbeatMs' | 'sessionCommandTimeoutMs'>;
  log: Logger;
}

export interface CallOptions {
  /** Bytes that travel beside the command (a file written). */
  data?: Buffer;
  timeoutMs?: number;
  onOutput?: (stream: 'stdout' | 'stderr', data: Buffer) => void;
  onData?: (data: Buffer) => void;
  /** The client went: stop waiting. */
  signal?: AbortSignal;
}

const LOST_MESSAGE = 'the session was lost: the worker holding it stopped answering';

export function createSessionClient({ store, snapshots, registry, channel, follower, config, log }: SessionClientOptions) {
  /** What a worker's refusal becomes for the client; a worker's own fault is logged and said plainly. */
  function apiErrorOf(error: CommandError): ApiError {
    const code: ErrorCode = error.code in errorCodes ? error.code : 'internal_error';
    if (errorCodes[code].statusCode >= 500 && code !== 'sessions_full') {
      log.error({ workerError: error.message }, 'a session command failed on its worker');
      return new ApiError(code);
    }
    return new ApiError(code, error.message, error.retryAfterSeconds);
  }

  /**
   * The live worker with the most room for a session (on `engine` where given); with
   * `needsRoom: false` (work on the engine that opens no session, e.g. removing an image) a
   * full one will do too.
   */
  async function pickWorker(engine?: string, { needsRoom = true } = {}): Promise<WorkerInfo | undefined> {
    const candidates = (await registry.live()).filter(
      (w) => (engine === undefined || w.engine === engine) && (!needsRoom || w.sessions < w.capacity),
    );
    candidates.sort((a, b) => b.capacity - b.sessions - (a.capacity - a.sessions) || (Math.random() < 0.5 ? -1 : 1));
    return candidates[0];
  }

  /** Records an open session whose worker is gone as lost; true when it was. */
  async function loseIfOrphaned(stored: StoredSession): Promise<boolean> {
    if (stored.record.status !== SessionStatus.starting && stored.record.status !== SessionStatus.ready) return false;
    if (await registry.isAlive(stored.worker)) return false;
    await store.end(stored.record.id, 'lost', null, LOST_MESSAGE);
    return true;
  }

  /** A session the principal may see, its status up to date (lost when its worker is gone); undefined otherwise. */
  async function find(id: string, principal: Principal): Promise<StoredSession | undefined> {
    const stored = await store.get(id);
    if (!stored || !canSee(principal, stored.owner)) return undefined;
    return (await loseIfOrphaned(stored)) ? store.get(id) : stored;
  }

  /**
   * Sends a command to a worker and waits for its end, passing output and data on as they
   * come. While it waits it checks the worker beats: one that stopped makes the session (if
   * the command is for one) lost and the call a 409. No answer in time from a live worker: 503.
   */
  function call<K extends SessionCommand['kind']>(
    worker: string,
    command: Extract<SessionCommand, { kind: K }>,
    options: CallOptions = {},
  ): Promise<SessionCommandResults[K]> {
    const replyId = randomUUID();
    const sessionId = 'sessionId' in command ? command.sessionId : undefined;
    const timeoutMs = options.timeoutMs ?? config.sessionCommandTimeoutMs;
    return new Promise<SessionCommandResults[K]>((resolve, reject) => {
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        stop();
        clearTimeout(timer);
        clearInterval(watch);
        options.signal?.removeEventListener('abort', onAbort);
        channel.dropReply(replyId).catch(() => undefined);
        outcome();
      };
      const lost = async () => {
        if (sessionId) await store.end(sessionId, 'lost', null, LOST_MESSAGE).catch(() => undefined);
        settle(() => reject(new ApiError('conflict', sessionId ? LOST_MESSAGE : 'the worker stopped answering')));
      };
      const stop = channel.followReply(follower, replyId, (entry) => {
        if (entry.kind === 'output') options.onOutput?.(entry.stream, entry.data);
        else if (entry.kind === 'data') options.onData?.(entry.data);
        else if (entry.kind === 'end') settle(() => resolve(entry.result as SessionCommandResults[K]));
        else settle(() => reject(apiErrorOf(entry.error)));
      });
      const timer = setTimeout(
        () =>
          void registry.isAlive(worker).then(
            (alive) =>
              alive
                ? settle(() => reject(new ApiError('unavailable', `the session's worker did not answer within ${timeoutMs} ms`)))
                : lost(),
            (error) => settle(() => reject(error)),
          ),
        timeoutMs,
      );
      const watch = setInterval(
        () =>
          void registry.isAlive(worker).then(
            (alive) => (alive ? undefined : lost()),
            () => undefined,
          ),
        config.workerHeartbeatMs,
      );
      const onAbort = () => settle(() => reject(new ApiError('conflict', 'the client went away')));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      channel.send(worker, { replyTo: replyId, command }, options.data).then(
        (sent) =>
          sent ||
          settle(() =>
            reject(new ApiError('unavailable', `the session's worker has ${COMMANDS_BACKLOG_MAX} commands waiting; retry shortly`)),
          ),
        (error) => settle(() => reject(error)),
      );
    });
  }

  /** A session open (status ready) for a command, or the error the client gets. */
  async function ready(id: string, principal: Principal): Promise<StoredSession> {
    const stored = await find(id, principal);
    if (!stored) throw new ApiError('not_found', `no session ${id}`);
    const { status, endReason } = stored.record;
    if (status === SessionStatus.lost) throw new ApiError('conflict', `session ${id} was lost: the worker holding it stopped answering`);
    if (status === SessionStatus.ended) throw new ApiError('conflict', `session ${id} has ended (${endReason})`);
    if (status !== SessionStatus.ready) throw new ApiError('conflict', `session ${id} is still starting`);
    return stored;
  }

  /** How long an exec's answer may take. */
  const execTimeoutMs = (timeMs: number) => timeMs + 2000 + EXEC_ANSWER_SLACK_MS;

  return { find, ready, call, pickWorker, execTimeoutMs, store, snapshots, channel, follower };
}

export type SessionClient = ReturnType<typeof createSessionClient>;
