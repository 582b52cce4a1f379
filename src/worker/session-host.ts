// The sessions one worker holds, and its side of the routing: it beats in the worker registry
// (its Docker engine, its room), reads its command stream, opens sessions it is asked to, passes
// each command to the session it is for and the answer to the command's reply stream, removes
// snapshot images on its engine, and records the sessions of workers that stopped beating as
// lost (their containers removed where they are on its engine). On shutdown every session it
// holds ends, saying so, and it leaves the registry.
import type { Logger } from 'pino';
import { CommandErrorCode, type CommandError, type SessionCommand } from '../domain/session-command.js';
import { SessionEndReason } from '../domain/session-record.js';
import type { Runtime } from '../domain/runtimes.js';
import type { SnapshotImages } from '../sandbox/snapshot-images.js';
import type { SessionChannel, CommandEnvelope } from '../store/session-channel.js';
import type { SessionStore } from '../store/session-store.js';
import type { StreamFollower } from '../store/stream-follower.js';
import type { WorkerRegistry } from '../store/worker-registry.js';
import { CommandRefusal, HostedSession, type HostedSessionOptions } from './hosted-session.js';
import type { KeptSandboxPort } from './sandbox-port.js';
import { profileFor } from './sandbox-profile.js';
import type { SnapshotMaker } from './snapshot-maker.js';

export interface SessionHostOptions {
  workerId: string;
  /** The Docker engine's id. */
  engine: string;
  capacity: number;
  heartbeatMs: number;
  sandbox: KeptSandboxPort;
  images: Pick<SnapshotImages, 'remove'>;
  /** Removes the containers of sessions found lost (those on this worker's engine). */
  reapOwners: (owners: readonly string[]) => Promise<unknown>;
  store: SessionStore;
  registry: WorkerRegistry;
  channel: SessionChannel;
  follower: StreamFollower;
  makeSnapshot: SnapshotMaker;
  /** The built-in catalogue and the custom runtimes (a custom one whose image this host lacks is built first). */
  runtimes: { resolve(language: string): Promise<Runtime | undefined> };
  profile: { imagePrefix: string; defaultRuntime: string };
  settings: HostedSessionOptions['settings'];
  log: Logger;
}

/** How long the removal of a deleted snapshot's image that a sandbox still uses is retried (then the reaper takes it at its expiry). */
const UNREMOVED_RETRY_MS = 10 * 60_000;
/** The most a worker's stop spends on those removals (one Docker call each); what is left goes to the reaper. */
const FINAL_REMOVALS_MS = 10_000;

export function createSessionHost(options: SessionHostOptions) {
  const { workerId, store, registry, channel, log } = options;
  const sessions = new Map<string, HostedSession>();
  /** Sessions being opened: they count against the capacity. */
  let opening = 0;
  let heartbeat: NodeJS.Timeout | undefined;
  let stopCommands: (() => void) | undefined;
  let closing = false;

  const beat = () =>
    registry.beat({ id: workerId, engine: options.engine, sessions: sessions.size + opening, capacity: closing ? 0 : options.capacity });

  /** Deleted snapshots whose image was in use, by id: until when their removal is retried. */
  const unremoved = new Map<string, number>();

  /** Tries each deleted snapshot's image again, until `stopAt` (epoch ms); the rest wait for the next try. */
  async function retryRemovals(stopAt = Infinity): Promise<void> {
    for (const [snapshotId, until] of unremoved) {
      if (Date.now() > stopAt) return;
      const removed = await options.images.remove(snapshotId).catch(() => false);
      if (removed || Date.now() > until) unremoved.delete(snapshotId);
    }
  }

  /** Workers that stopped beating: their sessions are lost, their containers here removed. */
  async function sweepLapsed(): Promise<void> {
    for (const worker of await registry.lapsed()) {
      if (worker === workerId) continue;
      const held = await store.heldBy(worker);
      const lost = await store.loseWorker(worker, 'its worker stopped answering; the sandbox went with it');
      await registry.leave(worker);
      if (held.length > 0) {
        log.warn({ worker, lost }, 'a worker stopped beating: its sessions are recorded lost');
        await options.reapOwners(held).catch((error) => log.warn({ err: error }, 'could not remove the containers of lost sessions'));
      }
    }
  }

  async function open(command: Extract<SessionCommand, { kind: 'open' }>, reply: ReturnType<SessionChannel['replyWriter']>) {
    const { request, sessionId } = command;
    const runtime = await options.runtimes.resolve(request.language);
    const refuse = async (error: CommandError, reason = SessionEndReason.failed) => {
      await store.end(sessionId, 'ended', reason, error.message);
      await reply.fail(error);
    };
    if (!runtime) return refuse({ code: CommandErrorCode.unknownLanguage, message: `this worker has no runtime ${request.language}` });
    if (closing || sessions.size + opening >= options.capacity) {
      return refuse({ code: CommandErrorCode.sessionsFull, message: 'the worker has no room for another session; retry' });
    }
    const profile = profileFor(runtime, request.limits, { ...options.profile, network: request.network });
    const session = new HostedSession({
      id: sessionId,
      runtime,
      request,
      profile: request.snapshot ? { ...profile, image: request.snapshot.image } : profile,
      baseImage: profile.image,
      sandbox: options.sandbox,
      store,
      channel,
      follower: options.follower,
      makeSnapshot: options.makeSnapshot,
      settings: options.settings,
      log,
      onEnd: (id) => {
        sessions.delete(id);
        void beat().catch(() => undefined);
      },
    });
    opening++;
    try {
      const times = await session.open();
      sessions.set(sessionId, session);
      log.info({ sessionId, language: runtime.language, snapshot: request.snapshot?.id }, 'session opened');
      await reply.end(times);
    } catch (error) {
      log.warn({ err: error, sessionId }, 'a session could not be opened');
      await refuse(
        error instanceof CommandRefusal
          ? error.error
          : { code: CommandErrorCode.internalError, message: `the sandbox did not start: ${(error as Error).message}` },
      );
    } finally {
      opening--;
      void beat().catch(() => undefined);
    }
  }

  async function dispatch({ replyTo, command }: CommandEnvelope, data?: Buffer): Promise<void> {
    const reply = channel.replyWriter(replyTo);
    try {
      if (command.kind === 'open') return await open(command, reply);
      if (command.kind === 'removeSnapshot') {
        const removed = await options.images.remove(command.snapshotId);
        // Still in use (a session on it whose container is being removed): tried again at each beat.
        if (!removed) unremoved.set(command.snapshotId, Date.now() + UNREMOVED_RETRY_MS);
        return void (await reply.end({ removed }));
      }
      const session = sessions.get(command.sessionId);
      if (!session)
        return void (await reply.fail({ code: CommandErrorCode.conflict, message: 'the session is not open on its worker any more' }));
      await session.handle(command, data, reply);
    } catch (error) {
      log.error({ err: error, kind: command.kind }, 'a session command failed');
      await reply.fail({ code: CommandErrorCode.internalError, message: 'the worker failed; the fault is logged' });
    }
  }

  return {
    /** Beats, then reads the commands. */
    async start(): Promise<void> {
      await beat();
      stopCommands = channel.followCommands(options.follower, workerId, (envelope, data) => void dispatch(envelope, data));
      heartbeat = setInterval(
        () =>
          void beat()
            .then(sweepLapsed)
            .then(() => retryRemovals())
            .catch((error) => log.warn({ err: error }, 'worker heartbeat failed')),
        options.heartbeatMs,
      );
      heartbeat.unref();
      await sweepLapsed();
    },
    get size() {
      return sessions.size;
    },
    /** Ends every session it holds (their clients are told why) and leaves the registry. */
    async close(): Promise<void> {
      closing = true;
      clearInterval(heartbeat);
      stopCommands?.();
      await Promise.allSettled(
        [...sessions.values()].map((session) => session.end(SessionEndReason.shutdown, 'the worker holding the session shut down')),
      );
      await registry.leave(workerId).catch(() => undefined);
    },
    /**
     * Tries once more to remove the images of snapshots deleted while a sandbox used them: called
     * once the worker's sandboxes are gone, so a delete just before a shutdown is not left to the
     * reaper at the snapshot's expiry. Bounded by FINAL_REMOVALS_MS.
     */
    removeDeletedSnapshots: () => retryRemovals(Date.now() + FINAL_REMOVALS_MS),
  };
}

export type SessionHost = ReturnType<typeof createSessionHost>;
