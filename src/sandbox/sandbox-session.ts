// One sandbox, held open: a started container with runbox-run waiting on its stdin, and the
// commands the worker and the judge give it: files in, one execution (a run, a test), the
// snapshot and restore between tests, the work folder out, close. An execution always ends
// with a result: the report when runbox-run gave one, else what the host saw (its own kill at
// the limit, a cancel, the engine's account of a sandbox that died).
import type { Logger } from 'pino';
import type { Limits } from '../domain/limits.js';
import { hangupExecOptions, shellExecOptions } from './container-spec.js';
import type { ContainerHandle, TtyProcess } from './container-lifecycle.js';
import { SandboxFault, statusCodeOf } from './container-lifecycle.js';
import { createExecutionCollector, type ExecutionResult, type OutputStream } from './execution-result.js';
import {
  ChannelClosedError,
  RunnerCommandError,
  type CollectFilter,
  type PathContent,
  type RunnerChannel,
  type StdinSource,
} from './runner-channel.js';
import { ProtocolError, type RunnerReport } from './runner-protocol.js';
import type { WorkFolder } from './work-folder.js';

export interface ExecutionRequest {
  command: readonly string[];
  /** The program's environment over the container's. */
  env: Readonly<Record<string, string>>;
  /** Working folder relative to the work folder. */
  cwd?: string;
  limits: Pick<Limits, 'timeMs' | 'cpuTimeMs' | 'outputBytes'>;
  /** Bytes, or chunks as a client types them (interactive). */
  stdin?: StdinSource;
  onOutput?: (stream: OutputStream, data: Buffer) => void;
  /** Aborting kills the sandbox at once (cancel, shutdown). */
  signal?: AbortSignal;
  /** Memory as the sandbox's cgroup peak (a run's one execution) rather than the processes' peak. */
  cgroupPeak?: boolean;
  /** Other processes share the sandbox (a session's terminal): this execution stops and measures its own alone. */
  shared?: boolean;
}

/** A command runbox-run refused (a file that does not fit, a restore that failed): the sandbox still answers. */
export class SandboxCommandError extends Error {
  override name = 'SandboxCommandError';
  constructor(
    message: string,
    /** The errno's name where runbox-run gave one (ENOENT, ELOOP, ENOSPC, ...). */
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface ShellOptions {
  /** Names the terminal, so that hangupShell can end it: letters, digits and dashes. */
  id: string;
  /** The session's environment, for the shell (never for runbox-run's own code). */
  env: Readonly<Record<string, string>>;
  cols: number;
  rows: number;
}

export interface SandboxSessionOptions {
  container: ContainerHandle;
  channel: RunnerChannel;
  log: Logger;
  /** Extra wall time past the limit before the worker kills the sandbox itself. */
  killGraceMs: number;
  /**
   * Called once the container is to be removed (the sandbox facade removes it off the
   * critical path); `quit`, when runbox-run still answers, asks it to exit and settles once it
   * has: a container that has exited is removed with less work than one the engine must kill.
   */
  dispose: (container: ContainerHandle, quit?: () => Promise<void>) => void;
}

/** How long the engine may take to report a sandbox stopped once its stream has ended. */
const EXIT_STATUS_WAIT_MS = 5000;

export class SandboxSession {
  private readonly container: ContainerHandle;
  private readonly channel: RunnerChannel;
  private readonly log: Logger;
  private closed = false;
  private readonly closeListeners: (() => void)[] = [];
  /** Why this sandbox can take no more commands, if it cannot. */
  private deadReason?: string;

  constructor(private readonly options: SandboxSessionOptions) {
    this.container = options.container;
    this.channel = options.channel;
    this.log = options.log;
  }

  get id(): string {
    return this.container.id;
  }

  get runtime(): string {
    return this.container.profile.runtime;
  }

  /** Whether it can take another command (false once it died, was killed, or was broken into). */
  get usable(): boolean {
    return !this.closed && this.deadReason === undefined;
  }

  /** Moves the container's deadline (a long judged run, a session kept alive). */
  async extend(deadlineMs: number, owner: string): Promise<void> {
    await this.container.rename(deadlineMs, owner);
  }

  async putFiles(folder: WorkFolder): Promise<void> {
    await this.command(() => this.channel.putFiles(folder));
  }

  async snapshot(): Promise<void> {
    await this.command(() => this.channel.snapshot());
  }

  async restore(): Promise<void> {
    await this.command(() => this.channel.restore());
  }

  /** The work folder back, up to `budgetBytes` of data; with `keep`, only the entries it accepts. */
  async collect(budgetBytes: number, keep?: CollectFilter) {
    return this.command(() => this.channel.collect(budgetBytes, keep));
  }

  /** One path of the work folder: a file's bytes or a folder's entries, up to `budgetBytes`; links are never followed. */
  async readPath(path: string, budgetBytes: number): Promise<PathContent> {
    return this.command(() => this.channel.get(path, budgetBytes));
  }

  /** Removes a file, link or folder of the work folder. */
  async removePath(path: string): Promise<void> {
    await this.command(() => this.channel.remove(path));
  }

  /** Copies a folder of the image (a snapshot's work folder) into the work folder. */
  async load(folder: string): Promise<void> {
    await this.command(() => this.channel.load(folder));
  }

  /** A terminal in the sandbox, beside runbox-run (container-spec.ts's shellExecOptions says how it is held). */
  async openShell({ id, env, cols, rows }: ShellOptions): Promise<TtyProcess> {
    this.checkUsable();
    try {
      return await this.container.openTty({ ...shellExecOptions(this.container.profile, id, env), cols, rows });
    } catch (error) {
      throw new SandboxFault(`cannot open a terminal: ${(error as Error).message}`, 'running', statusCodeOf(error), { cause: error });
    }
  }

  /** Ends a terminal (and the jobs it started) that its client left; true when there was one. */
  async hangupShell(id: string): Promise<boolean> {
    if (!this.usable) return false;
    return (await this.container.execQuietly(hangupExecOptions(this.container.profile, id)).catch(() => null)) === 0;
  }

  private async command<T>(run: () => Promise<T>): Promise<T> {
    this.checkUsable();
    try {
      return await run();
    } catch (error) {
      if (error instanceof RunnerCommandError) throw new SandboxCommandError(error.message, error.code);
      this.deadReason = (error as Error).message;
      if (error instanceof ProtocolError) {
        void this.container.kill();
        throw new SandboxFault(`the sandbox's output stream was corrupted (${error.message}); it was stopped`, 'running', undefined, {
          cause: error,
        });
      }
      throw new SandboxFault(`lost the sandbox: ${(error as Error).message}`, 'running', undefined, { cause: error });
    }
  }

  private checkUsable(): void {
    if (this.closed) throw new Error('sandbox session: used after close');
    if (this.deadReason !== undefined) throw new SandboxFault(`the sandbox cannot be used any more: ${this.deadReason}`, 'running');
  }

  /** Runs one program. Never throws for what the program did; throws SandboxFault when the sandbox itself failed. */
  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    this.checkUsable();
    const { limits } = request;
    const collector = createExecutionCollector(limits.outputBytes);
    const started = performance.now();
    let hostTimedOut = false;
    let cancelled = false;
    const kill = (reason: string) => {
      this.deadReason ??= reason;
      this.channel.close(new ChannelClosedError(reason));
      void this.container.kill();
    };
    const timer = setTimeout(() => {
      hostTimedOut = true;
      kill('killed at its time limit');
    }, limits.timeMs + this.options.killGraceMs);
    const onAbort = () => {
      cancelled = true;
      kill('cancelled');
    };
    if (request.signal?.aborted) onAbort();
    request.signal?.addEventListener('abort', onAbort, { once: true });

    let report: RunnerReport | undefined;
    try {
      report = await this.channel.execute(
        {
          argv: request.command,
          env: request.env,
          cwd: request.cwd,
          timeMs: limits.timeMs,
          cpuMs: limits.cpuTimeMs,
          outputBytes: limits.outputBytes,
          cgroupPeak: request.cgroupPeak,
          shared: request.shared,
        },
        request.stdin,
        (stream, data) => {
          const buffer = collector.outputs[stream];
          const kept = buffer.push(data);
          if (kept.length > 0) request.onOutput?.(stream, kept);
          // runbox-run stops at the cap itself; past it, something else is writing.
          if (buffer.overflow) kill('output past its cap');
        },
      );
    } catch (error) {
      if (error instanceof RunnerCommandError) {
        this.deadReason = error.message;
        throw new SandboxFault(`the sandbox refused the program: ${error.message}`, 'running', undefined, { cause: error });
      }
      if (error instanceof ProtocolError) {
        // Something in the sandbox wrote around runbox-run: nothing more it sends is believed.
        collector.note(
          `the sandbox's output stream was corrupted (${error.message}); the program was stopped and nothing it sent after is believed`,
        );
        kill(`corrupted stream: ${error.message}`);
      } else if (!(error instanceof ChannelClosedError)) {
        throw error;
      }
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
    }

    const elapsedMs = Math.round(performance.now() - started);
    const hostLimits = { timeMs: limits.timeMs, cpuTimeMs: limits.cpuTimeMs };
    if (report) return collector.result(report, { timedOut: false, cancelled, oomKilled: false, elapsedMs, limits: hostLimits });

    // No report: the sandbox ended during the program. Whether the worker killed it or it died
    // by itself, the engine says how it ended; an engine that cannot say (restarted, gone) lost
    // the program with its output: the service failed, not the program.
    this.deadReason ??= 'it ended during a program';
    const killedByHost = this.container.killed;
    const state = await this.waitForExit();
    if (!state && !hostTimedOut && !cancelled) {
      throw new SandboxFault('lost the sandbox while it ran: the Docker engine cannot say how it ended (restarted or gone)', 'running');
    }
    const gvisor = this.runtime === 'runsc';
    // Under gVisor an OOM kill takes the whole sandbox, supervisor and report included, and the
    // engine loses its OOM flag for many such sandboxes when several run at once. A SIGKILL that
    // neither the worker sent nor a report explains can only be the kernel's OOM killer there
    // (gVisor dying on its own exits 2; a root program cannot signal its supervisor there).
    const oomKilled = Boolean(state?.oomKilled) || (gvisor && !killedByHost && state?.exitCode === 128 + 9);
    if (gvisor && !killedByHost && !oomKilled) {
      collector.note(
        `the gVisor sandbox itself failed (exit ${state?.exitCode ?? 'unknown'}) before the program's report; a fork bomb or very heavy parallel forking does this under gVisor's ptrace platform, which runs out of host threads at the pids limit`,
      );
    }
    const diagnostics = this.channel.diagnostics();
    if (diagnostics && !hostTimedOut && !cancelled) this.log.warn({ diagnostics, container: this.id }, 'runbox-run reported a problem');
    return collector.result(undefined, {
      timedOut: hostTimedOut,
      cancelled,
      oomKilled,
      exitStatus: state?.exitCode,
      elapsedMs,
      limits: hostLimits,
    });
  }

  /** The engine's view once the container has stopped (killing it if it has not by then). */
  private async waitForExit() {
    const deadline = Date.now() + EXIT_STATUS_WAIT_MS;
    for (;;) {
      const state = await this.container.inspect();
      if (!state || !state.running) return state;
      if (Date.now() > deadline) {
        await this.container.kill();
        return this.container.inspect();
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Calls `listener` once the session is closed. */
  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  /** Done with it: the container is removed (by the facade, off the caller's path). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const listener of this.closeListeners.splice(0)) listener();
    const answering = this.deadReason === undefined && !this.channel.broken;
    const quit = async () => {
      await this.channel.quit().catch(() => undefined);
      await this.channel.ended;
    };
    this.options.dispose(this.container, answering ? quit : undefined);
  }
}
