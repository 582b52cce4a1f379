// The container side of a sandbox, over dockerode: create, attach, start, kill, rename,
// update, inspect, remove. Engine failures come out as SandboxFault with the stage they
// happened in and the engine's status; deciding what to do about one is the worker's job.
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { buildContainerSpec, updatableLimits, type SandboxProfile } from './container-spec.js';
import { sandboxName } from './sandbox-names.js';

export type FaultStage = 'create' | 'start' | 'running';

/** The sandbox could not do its part. Facts only: where it failed and what the engine said. */
export class SandboxFault extends Error {
  override name = 'SandboxFault';
  constructor(
    message: string,
    readonly stage: FaultStage,
    /** The Docker engine's HTTP status, when it answered at all. */
    readonly statusCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function statusCodeOf(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'statusCode' in error ? Number(error.statusCode) : undefined;
}

function fault(stage: FaultStage, what: string, error: unknown): SandboxFault {
  return new SandboxFault(`${what}: ${(error as Error).message}`, stage, statusCodeOf(error), { cause: error });
}

export interface ContainerHandle {
  id: string;
  name: string;
  profile: SandboxProfile;
  /** stdin in, Docker's multiplexed stdout and stderr out. */
  stream: Duplex;
  /** SIGKILL; once, whoever asks. */
  kill(): Promise<void>;
  /** Renames it (a new deadline or owner); failures are the caller's to log. */
  rename(deadlineMs: number, owner: string): Promise<void>;
  update(limits: Pick<SandboxProfile['limits'], 'memoryMb' | 'cpus' | 'pids'>): Promise<void>;
  /** The engine's view of its end: exit status and whether the OOM killer ended it. */
  inspect(): Promise<{ running: boolean; exitCode: number; oomKilled: boolean } | undefined>;
  /** Removes it (killing it first if it still runs); a container already gone is fine. */
  remove(): Promise<void>;
  readonly killed: boolean;
  /** Starts a process with a TTY in it, beside runbox-run (docker exec): a session's terminal. */
  openTty(options: TtyOptions): Promise<TtyProcess>;
  /** Runs a process beside runbox-run, without input or output, to its end; its exit code. */
  execQuietly(options: Omit<TtyOptions, 'cols' | 'rows'>): Promise<number | null>;
  /** Its file system as an image (a stopped snapshot writer); returns the image id. */
  commit(repo: string, tag: string): Promise<string>;
}

export interface TtyOptions {
  Cmd: string[];
  User: string;
  Env: string[];
  WorkingDir: string;
  cols: number;
  rows: number;
}

/** How long a quiet exec (a terminal's hangup) may take. */
const QUIET_EXEC_MS = 10_000;

/** A process with a TTY: its raw stream (input in, the terminal's output out), its size, its end. */
export interface TtyProcess {
  stream: Duplex;
  resize(cols: number, rows: number): Promise<void>;
  /** Its exit code once it has ended; null while it runs or when the engine cannot say. */
  exitCode(): Promise<number | null>;
}

export interface ContainerLifecycleOptions {
  docker: Docker;
}

export function createContainerLifecycle({ docker }: ContainerLifecycleOptions) {
  /** Creates, attaches and starts a container for `profile`; its stream is live when this resolves. */
  async function launch(profile: SandboxProfile, deadlineMs: number, owner: string): Promise<ContainerHandle> {
    const name = sandboxName(deadlineMs, owner, randomBytes(4).toString('hex'));
    return launchSpec(buildContainerSpec({ profile, name }), profile);
  }

  /** Creates, attaches and starts a container from its create options (a sandbox's, a snapshot writer's). */
  async function launchSpec(spec: Docker.ContainerCreateOptions, profile: SandboxProfile): Promise<ContainerHandle> {
    const name = spec.name ?? '';
    let container: Docker.Container;
    try {
      container = await docker.createContainer(spec);
    } catch (error) {
      const status = statusCodeOf(error);
      if (status === 404) throw new SandboxFault(`runtime image ${profile.image} is not built`, 'create', 404, { cause: error });
      throw fault('create', 'cannot create the sandbox', error);
    }
    const removeQuietly = () => container.remove({ force: true, v: true }).catch(() => undefined);
    let stream: Duplex;
    try {
      stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as Duplex;
    } catch (error) {
      await removeQuietly();
      throw fault('create', 'cannot attach to the sandbox', error);
    }
    try {
      await container.start();
    } catch (error) {
      stream.destroy();
      await removeQuietly();
      throw fault('start', 'cannot start the sandbox', error);
    }
    let killed = false;
    let currentName = name;
    return {
      id: container.id,
      get name() {
        return currentName;
      },
      profile,
      stream,
      get killed() {
        return killed;
      },
      async kill() {
        if (killed) return;
        killed = true;
        await container.kill({ signal: 'SIGKILL' }).catch(() => undefined);
      },
      async rename(deadline, newOwner) {
        const next = sandboxName(deadline, newOwner, randomBytes(4).toString('hex'));
        await container.rename({ name: next });
        currentName = next;
      },
      async update(limits) {
        try {
          await container.update(updatableLimits(limits, profile.runtime));
        } catch (error) {
          throw fault('start', "cannot apply the run's limits", error);
        }
      },
      async inspect() {
        const info = await container.inspect().catch(() => undefined);
        return info ? { running: info.State.Running, exitCode: info.State.ExitCode, oomKilled: info.State.OOMKilled } : undefined;
      },
      async remove() {
        stream.destroy();
        await container.remove({ force: true, v: true }).catch((error) => {
          if (statusCodeOf(error) !== 404) throw error;
        });
      },
      async openTty({ cols, rows, ...options }) {
        const exec = await container.exec({ ...options, AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: true });
        const tty = (await exec.start({ hijack: true, stdin: true, Tty: true })) as Duplex;
        const resize = async (w: number, h: number) => {
          await exec.resize({ w, h });
        };
        await resize(cols, rows).catch(() => undefined); // it may have ended already
        return {
          stream: tty,
          resize,
          async exitCode() {
            const info = await exec.inspect().catch(() => undefined);
            return info && !info.Running && typeof info.ExitCode === 'number' ? info.ExitCode : null;
          },
        };
      },
      async execQuietly(options) {
        const exec = await container.exec({ ...options, AttachStdout: true, AttachStderr: true });
        const output = (await exec.start({})) as NodeJS.ReadableStream;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, QUIET_EXEC_MS);
          output.on('data', () => undefined);
          output.on('end', () => (clearTimeout(timer), resolve()));
          output.on('error', () => (clearTimeout(timer), resolve()));
        });
        const info = await exec.inspect().catch(() => undefined);
        return info && !info.Running && typeof info.ExitCode === 'number' ? info.ExitCode : null;
      },
      async commit(repo, tag) {
        const result = (await container.commit({ repo, tag, pause: false })) as { Id?: string };
        return result.Id ?? `${repo}:${tag}`;
      },
    };
  }

  /** Whether the engine runs with userns-remap: its root is an unprivileged uid on the host. Asked each time, so a reconfigured engine is seen. */
  async function remapsUsers(): Promise<boolean> {
    const info = (await docker.info()) as { SecurityOptions?: string[] };
    return (info.SecurityOptions ?? []).some((option) => option.split(',').includes('name=userns'));
  }

  return { launch, launchSpec, remapsUsers, ping: () => docker.ping() };
}

export type ContainerLifecycle = ReturnType<typeof createContainerLifecycle>;
