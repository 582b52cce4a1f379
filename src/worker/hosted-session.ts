// One session a worker holds: its sandbox, kept open between commands; the commands it serves
// one at a time (exec, files, snapshot; a second one while one runs is refused); its terminals;
// and its clock: it ends after its idle timeout without use (a command, an open terminal), at
// the end of its lifetime, on DELETE, when its worker shuts down, or when the sandbox fails.
// Its container's name carries a deadline a little past when it would end unused, moved as it
// is used, so the reaper removes it soon after a worker that crashed.
import type { Logger } from 'pino';
import type { ExecLimits } from '../domain/limits.js';
import { CommandErrorCode, type CommandError, type OpenSessionRequest, type SessionCommand } from '../domain/session-command.js';
import { SessionEndReason, type ExecRecord, type FileEntry, type SessionRecord } from '../domain/session-record.js';
import type { Runtime } from '../domain/runtimes.js';
import { verdictOf } from '../domain/verdict.js';
import { SandboxFault } from '../sandbox/container-lifecycle.js';
import { SNAPSHOT_WORK_DIR, type SandboxProfile } from '../sandbox/container-spec.js';
import { DEADLINE_GRACE_MS } from '../sandbox/sandbox.js';
import { SandboxCommandError } from '../sandbox/sandbox-session.js';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, WorkFolder } from '../sandbox/work-folder.js';
import type { SessionChannel } from '../store/session-channel.js';
import type { SessionStore } from '../store/session-store.js';
import type { StreamFollower } from '../store/stream-follower.js';
import { decodeOutput } from './output-sink.js';
import type { KeptSandboxPort, KeptSessionPort } from './sandbox-port.js';
import { bridgeShell, type ShellBridge } from './shell-bridge.js';
import type { SnapshotMaker } from './snapshot-maker.js';

const MiB = 1024 * 1024;
/** Output of a streamed exec is sent at most this often (a program printing a byte at a time makes few entries). */
const OUTPUT_COALESCE_MS = 20;
/** While it is in use, its record's expiry is written at most this often. */
const TOUCH_EVERY_MS = 10_000;

export type Reply = ReturnType<SessionChannel['replyWriter']>;

/** A command that cannot be served, with what the client is told. */
export class CommandRefusal extends Error {
  override name = 'CommandRefusal';
  constructor(readonly error: CommandError) {
    super(error.message);
  }
}

export interface HostedSessionOptions {
  id: string;
  runtime: Runtime;
  request: OpenSessionRequest;
  profile: SandboxProfile;
  /**
   * The runtime's own image, which a snapshot of this session is made from (with the work
   * folder as it is): never the image of the snapshot the session opened on, whose layers
   * (files deleted since included) would otherwise pile up, snapshot on snapshot.
   */
  baseImage: string;
  sandbox: KeptSandboxPort;
  store: Pick<SessionStore, 'markReady' | 'touch' | 'end'>;
  channel: Pick<SessionChannel, 'followShellInput' | 'sendShellOutput' | 'shellBacklog'>;
  /** Reads the terminals' input streams. */
  follower: StreamFollower;
  makeSnapshot: SnapshotMaker;
  settings: { fileMaxBytes: number; shellsMax: number };
  log: Logger;
  /** Called once it has ended: its worker lets go of it. */
  onEnd: (id: string) => void;
}

/** Why a sandbox command failed, as the client is told. */
function refusalOf(error: unknown, path?: string): CommandError {
  if (error instanceof CommandRefusal) return error.error;
  if (!(error instanceof SandboxCommandError)) {
    return { code: CommandErrorCode.internalError, message: `the sandbox failed: ${(error as Error).message}` };
  }
  const name = path === undefined ? 'the path' : JSON.stringify(path);
  switch (error.code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return { code: CommandErrorCode.notFound, message: `no file or folder ${name} in the work folder` };
    case 'ELOOP':
      return { code: CommandErrorCode.conflict, message: `${name} is, or passes through, a symbolic link; links are never followed` };
    case 'EISDIR':
      return { code: CommandErrorCode.conflict, message: `${name} is a folder` };
    case 'EINVAL':
    case 'ENXIO':
      return { code: CommandErrorCode.conflict, message: `${name} is not a regular file or a folder` };
    case 'ENOSPC':
    case 'EFBIG':
    case 'EDQUOT':
      return { code: CommandErrorCode.payloadTooLarge, message: `the work folder has no room for ${name} (limits.diskMb)` };
    default:
      return { code: CommandErrorCode.internalError, message: error.message };
  }
}

function fileEntry(entry: { name: string; mode: number; size: number; mtimeMs: number }): FileEntry {
  const type = entry.mode & S_IFMT;
  return {
    name: entry.name,
    type: type === S_IFREG ? 'file' : type === S_IFDIR ? 'folder' : type === S_IFLNK ? 'symlink' : 'other',
    size: type === S_IFDIR ? 0 : entry.size,
    mtime: new Date(entry.mtimeMs).toISOString(),
  };
}

/** Joins output that arrives within a few milliseconds into one reply entry. */
function createOutputCoalescer(send: (stream: 'stdout' | 'stderr', data: Buffer) => void) {
  let held: { stream: 'stdout' | 'stderr'; chunks: Buffer[] } | undefined;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (held) send(held.stream, Buffer.concat(held.chunks));
    held = undefined;
  };
  return {
    push(stream: 'stdout' | 'stderr', data: Buffer) {
      if (held && held.stream !== stream) flush();
      held ??= { stream, chunks: [] };
      held.chunks.push(data);
      timer ??= setTimeout(flush, OUTPUT_COALESCE_MS);
    },
    flush,
  };
}

export class HostedSession {
  readonly id: string;
  private session!: KeptSessionPort;
  private readonly shells = new Map<string, ShellBridge>();
  private busy = false;
  private ended = false;
  private lastUse = Date.now();
  private lastTouch = 0;
  private readonly endsAt: number;
  /** The deadline in the container's name. */
  private deadline = 0;
  private ticker?: NodeJS.Timeout;

  constructor(private readonly options: HostedSessionOptions) {
    this.id = options.id;
    this.endsAt = Date.now() + options.request.maxLifetimeMs;
  }

  private get idleMs(): number {
    return this.options.request.idleTimeoutMs;
  }

  /** When it ends unless it is used again (while in use, lastUse is now). */
  private expiresAt(): number {
    return Math.min(this.lastUse + this.idleMs, this.endsAt);
  }

  private times(): Pick<SessionRecord, 'lastUsedAt' | 'expiresAt'> {
    return { lastUsedAt: new Date(this.lastUse).toISOString(), expiresAt: new Date(this.expiresAt()).toISOString() };
  }

  /** Starts the sandbox, loads the snapshot it was opened on, writes its files; the record says ready. */
  async open(): Promise<Pick<SessionRecord, 'lastUsedAt' | 'expiresAt'>> {
    const { request, sandbox, profile } = this.options;
    this.deadline = Date.now() + Math.min(this.idleMs, request.maxLifetimeMs) + DEADLINE_GRACE_MS;
    this.session = await sandbox.open(profile, {
      owner: this.id,
      lifetimeMs: this.deadline - DEADLINE_GRACE_MS - Date.now(),
      pool: request.snapshot === undefined,
    });
    try {
      if (request.snapshot) await this.session.load(SNAPSHOT_WORK_DIR);
      if (request.files.length > 0) {
        const folder = WorkFolder.fromFiles(request.files.map((f) => ({ name: f.name, content: Buffer.from(f.content, 'base64') })));
        try {
          await this.session.putFiles(folder);
        } finally {
          folder.dispose();
        }
      }
    } catch (error) {
      this.session.close();
      throw error;
    }
    this.lastUse = Date.now();
    this.ticker = setInterval(() => void this.tick(), Math.min(1000, Math.max(100, Math.floor(this.idleMs / 10))));
    this.ticker.unref();
    if (!(await this.options.store.markReady(this.id, this.times()))) {
      await this.end(SessionEndReason.deleted);
      throw new CommandRefusal({ code: CommandErrorCode.conflict, message: 'the session ended while it was being opened' });
    }
    return this.times();
  }

  /** Whether it is in use now: a command in flight or a terminal open. */
  private get inUse(): boolean {
    return this.busy || this.shells.size > 0;
  }

  private async tick(): Promise<void> {
    if (this.ended) return;
    const now = Date.now();
    if (now >= this.endsAt) return void this.end(SessionEndReason.lifetime);
    if (this.inUse) this.lastUse = now;
    else if (now >= this.lastUse + this.idleMs) return void this.end(SessionEndReason.idle);
    if (this.inUse && now - this.lastTouch >= TOUCH_EVERY_MS) await this.touch();
    // Keep the container's deadline ahead of when it would end unused.
    const wanted = this.expiresAt() + DEADLINE_GRACE_MS;
    if (this.deadline - now < Math.max(this.idleMs / 2, 2000) + DEADLINE_GRACE_MS && wanted > this.deadline) {
      this.deadline = wanted;
      await this.session
        .extend(wanted, this.id)
        .catch((error) => this.options.log.warn({ err: error, sessionId: this.id }, "could not move a session's deadline"));
    }
  }

  private async touch(): Promise<Pick<SessionRecord, 'lastUsedAt' | 'expiresAt'>> {
    this.lastTouch = Date.now();
    const times = this.times();
    await this.options.store.touch(this.id, times).catch(() => undefined);
    return times;
  }

  /** Ends it: terminals closed, the container removed, the record ended. Once. */
  async end(reason: SessionEndReason, error?: string): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.ticker);
    for (const shell of this.shells.values()) shell.close(`the session ended (${reason})`);
    this.session?.close();
    await this.options.store
      .end(this.id, 'ended', reason, error)
      .catch((cause) => this.options.log.error({ err: cause, sessionId: this.id }, 'could not record the end of a session'));
    this.options.log.info({ sessionId: this.id, reason, error }, 'session ended');
    this.options.onEnd(this.id);
  }

  /** Serves one command; every outcome goes to `reply`. */
  async handle(
    command: Exclude<SessionCommand, { kind: 'open' | 'removeSnapshot' }>,
    data: Buffer | undefined,
    reply: Reply,
  ): Promise<void> {
    if (this.ended) return void reply.fail({ code: CommandErrorCode.conflict, message: 'the session has ended' });
    if (command.kind === 'keepalive') {
      this.lastUse = Date.now();
      return void reply.end(await this.touch());
    }
    if (command.kind === 'close') {
      await this.end(SessionEndReason.deleted);
      return void reply.end({});
    }
    if (command.kind === 'shell') return this.openShell(command, reply);
    if (this.busy) {
      return void reply.fail({ code: CommandErrorCode.conflict, message: 'the session is serving another command; one at a time' });
    }
    this.busy = true;
    this.lastUse = Date.now();
    try {
      switch (command.kind) {
        case 'exec':
          await reply.end(await this.exec(command, reply));
          break;
        case 'read':
          await this.read(command.path, command.budgetBytes, reply);
          break;
        case 'write':
          await this.write(command.path, data ?? Buffer.alloc(0));
          await reply.end({});
          break;
        case 'remove':
          await this.session.removePath(command.path);
          await reply.end({});
          break;
        case 'snapshot':
          await this.snapshot(command, reply);
          break;
      }
    } catch (error) {
      await reply.fail(refusalOf(error, 'path' in command ? command.path : undefined));
      if (error instanceof SandboxFault) this.options.log.warn({ err: error, sessionId: this.id }, 'a session command failed');
    } finally {
      this.busy = false;
      this.lastUse = Date.now();
      if (!this.ended && !this.session.usable) {
        await this.end(
          SessionEndReason.failed,
          'the sandbox ended during a command (under gVisor a program killed for memory takes the sandbox)',
        );
      } else if (!this.ended) await this.touch();
    }
  }

  private async exec(command: Extract<SessionCommand, { kind: 'exec' }>, reply: Reply): Promise<ExecRecord> {
    const { runtime, request } = this.options;
    const output = command.stream ? createOutputCoalescer((stream, data) => void reply.output(stream, data)) : undefined;
    const startedAt = new Date();
    const limits: ExecLimits = command.limits;
    const result = await this.session.execute({
      command: command.command,
      env: { ...runtime.env, ...request.env, ...command.env },
      cwd: command.cwd,
      limits,
      stdin: Buffer.from(command.stdin, 'base64'),
      shared: true,
      onOutput: output?.push,
    });
    output?.flush();
    return {
      id: command.execId,
      sessionId: this.id,
      command: command.command,
      verdict: verdictOf(result) as ExecRecord['verdict'],
      exitCode: result.exitCode,
      signal: result.signal,
      timeMs: result.timeMs,
      cpuTimeMs: result.cpuTimeMs,
      memoryBytes: result.memoryBytes,
      stdout: decodeOutput(result.stdout),
      stderr: decodeOutput(result.stderr),
      stdoutTruncated: result.stdoutTruncated,
      stderrTruncated: result.stderrTruncated,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
    };
  }

  private async read(path: string, budgetBytes: number, reply: Reply): Promise<void> {
    const content = await this.session.readPath(path, budgetBytes);
    if (content.kind === 'too-large') {
      throw new CommandRefusal({
        code: CommandErrorCode.payloadTooLarge,
        message: `${JSON.stringify(path)} is larger than ${budgetBytes} bytes`,
      });
    }
    if (content.kind === 'file') {
      await reply.data(content.data);
      await reply.end({ kind: 'file', size: content.data.length });
    } else {
      await reply.end({ kind: 'folder', entries: content.entries.map(fileEntry), truncated: content.exceeded });
    }
  }

  private async write(path: string, data: Buffer): Promise<void> {
    const folder = WorkFolder.fromFiles([{ name: path, content: data }]);
    try {
      await this.session.putFiles(folder);
    } finally {
      folder.dispose();
    }
  }

  private async snapshot(command: Extract<SessionCommand, { kind: 'snapshot' }>, reply: Reply): Promise<void> {
    const outcome = await this.options.makeSnapshot({
      snapshotId: command.snapshotId,
      session: this.session,
      budgetBytes: this.options.request.limits.diskMb * MiB,
      language: this.options.runtime.language,
      image: this.options.baseImage,
      owner: command.owner,
      label: command.label,
      source: { kind: 'session', id: this.id },
    });
    if (!outcome.made) throw new CommandRefusal(outcome.error);
    await reply.end(outcome.record);
  }

  private async openShell(command: Extract<SessionCommand, { kind: 'shell' }>, reply: Reply): Promise<void> {
    const { settings, channel, follower, log, runtime, request } = this.options;
    if (this.shells.size >= settings.shellsMax) {
      return void reply.fail({
        code: CommandErrorCode.conflict,
        message: `the session has ${settings.shellsMax} terminals open (SESSION_SHELLS_MAX)`,
      });
    }
    try {
      const tty = await this.session.openShell({
        id: command.shellId,
        env: { ...runtime.env, ...request.env },
        cols: command.cols,
        rows: command.rows,
      });
      const bridge = bridgeShell({
        shellId: command.shellId,
        tty,
        channel,
        follower,
        log,
        hangup: () => this.session.hangupShell(command.shellId),
        onEnd: () => {
          this.shells.delete(command.shellId);
          this.lastUse = Date.now();
          if (!this.ended) void this.touch();
        },
      });
      this.shells.set(command.shellId, bridge);
      this.lastUse = Date.now();
      await reply.end({});
    } catch (error) {
      await reply.fail(refusalOf(error));
    }
  }
}
