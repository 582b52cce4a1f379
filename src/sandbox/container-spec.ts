// Builds the Docker create options of one sandbox from config and the runtime catalogue
// alone: nothing a client sends chooses an image, a user, a mount, a capability or a
// network. Pure, so the exact options are asserted in a unit test without a daemon.
import type Docker from 'dockerode';
import type { Limits } from '../domain/limits.js';

export const SANDBOX_LABEL = 'runbox.sandbox';
export const DEADLINE_LABEL = 'runbox.deadline';
export const RUN_ID_LABEL = 'runbox.run-id';
export const SANDBOX_USER = '1000:1000';
export const WORK_DIR = '/work';
const MiB = 1024 * 1024;
/** How long past its own limit a sandbox may live before the worker or the reaper kills it. */
export const DEADLINE_GRACE_MS = 30_000;
/**
 * What a root program gets: Docker's default set, the powers a package manager or a tool
 * that insists on uid 0 expects. Only ever granted where root is powerless on the host.
 */
export const ROOT_CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'MKNOD', 'AUDIT_WRITE', 'SETFCAP'] as const;

/** Threads gVisor itself runs inside a sandbox's pids cgroup. */
export const RUNSC_PIDS_OVERHEAD = 512;
/** What runbox-run, root under gVisor, needs to drop everything else to uid 1000, and no more. */
export const RUNSC_SUPERVISOR_CAPABILITIES = ['SETUID', 'SETGID', 'SETPCAP', 'KILL'] as const;

/**
 * RLIMIT_NPROC under gVisor, where it is the program's process limit: the program may hold
 * pids - 1 processes and threads, as under runc, where runbox-run takes one of the cgroup's
 * pids. gVisor counts a process against the uid that forked it and does not move it on
 * setuid, so the program's first process, forked by runbox-run as root, is not counted
 * against uid 1000: hence pids - 2. A root program is counted with runbox-run: pids.
 */
export function runscNproc(o: Pick<SandboxSpecOptions, 'limits' | 'root'>): number {
  return o.root ? o.limits.pids : Math.max(1, o.limits.pids - 2);
}

export interface SandboxSpecOptions {
  image: string;
  /** argv of the program, run by runbox-run in the work folder. */
  command: string[];
  env: Record<string, string>;
  limits: Limits;
  /** Bytes of the tar of the work folder that will arrive first on stdin. */
  archiveBytes: number;
  /** Send back a tar of the work folder after a successful exit (compile steps). */
  collect: boolean;
  /** Judge mode: tests arrive on stdin after the files, each run as a fresh process. */
  tests: boolean;
  /** Root inside (only where root is powerless outside: gVisor, or an engine with userns-remap). */
  root?: boolean;
  network: boolean;
  /** Docker runtime: runc, or runsc (gVisor). */
  runtime: string;
  runId: string;
  now: number;
  /** How long the sandbox may live (its wall limit, times its tests in judge mode). */
  deadlineMs: number;
}

export function runnerCommand(o: Pick<SandboxSpecOptions, 'command' | 'limits' | 'archiveBytes' | 'collect' | 'tests' | 'root'>): string[] {
  return [
    '/usr/local/bin/runbox-run',
    '--extract', String(o.archiveBytes),
    '--time-ms', String(o.limits.timeMs),
    '--cpu-ms', String(o.limits.cpuTimeMs),
    '--output-bytes', String(o.limits.outputBytes),
    ...(o.collect ? ['--collect'] : []),
    ...(o.tests ? ['--tests'] : []),
    ...(o.root ? ['--root'] : []),
    '--',
    ...o.command,
  ];
}

export function buildContainerSpec(o: SandboxSpecOptions): Docker.ContainerCreateOptions {
  const memoryBytes = o.limits.memoryMb * MiB;
  // Under gVisor root inside is the Sentry's, powerless on the host: runbox-run starts as
  // root with just the capabilities to drop to uid 1000 for everything else (SETUID,
  // SETGID), to empty the capability bounding set its children inherit (SETPCAP) and to kill
  // what the program leaves (KILL), so the program cannot reach its supervisor (gVisor does
  // not honour non-dumpable the way Linux does). Under runc all of it runs as uid 1000.
  const gvisor = o.runtime === 'runsc';
  const diskBytes = o.limits.diskMb * MiB;
  return {
    Image: o.image,
    Cmd: runnerCommand(o),
    Env: Object.entries({ HOME: WORK_DIR, LANG: 'C.UTF-8', ...o.env }).map(([k, v]) => `${k}=${v}`),
    WorkingDir: WORK_DIR,
    User: gvisor || o.root ? '0:0' : SANDBOX_USER,
    Labels: {
      [SANDBOX_LABEL]: 'true',
      [RUN_ID_LABEL]: o.runId,
      [DEADLINE_LABEL]: String(o.now + o.deadlineMs + DEADLINE_GRACE_MS),
    },
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    StdinOnce: true,
    Tty: false,
    NetworkDisabled: !o.network,
    HostConfig: {
      NetworkMode: o.network ? 'bridge' : 'none',
      Runtime: o.runtime,
      Memory: memoryBytes,
      MemorySwap: memoryBytes,
      NanoCpus: Math.round(o.limits.cpus * 1e9),
      // gVisor's own threads (the Sentry, the Gofer) count in the container's pids cgroup, so
      // under runsc the program's limit is RLIMIT_NPROC, enforced by gVisor's kernel, and the
      // cgroup gets room for gVisor on top. Under runc, nproc would count the uid host-wide.
      PidsLimit: o.runtime === 'runsc' ? o.limits.pids + RUNSC_PIDS_OVERHEAD : o.limits.pids,
      ReadonlyRootfs: true,
      Tmpfs: {
        [WORK_DIR]: `rw,exec,nosuid,nodev,size=${o.limits.diskMb}m,uid=1000,gid=1000,mode=0755`,
        '/tmp': `rw,exec,nosuid,nodev,size=${o.limits.diskMb}m,mode=1777`,
      },
      ShmSize: 16 * MiB,
      CapDrop: ['ALL'],
      ...(o.root ? { CapAdd: [...ROOT_CAPABILITIES] } : gvisor ? { CapAdd: [...RUNSC_SUPERVISOR_CAPABILITIES] } : {}),
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      // runbox-run is PID 1 itself: the kernel keeps the program's signals (SIGKILL, SIGSTOP)
      // from it, and it is not dumpable, so nothing in the sandbox can ptrace the init or
      // reach the container's stdout through /proc/1/fd. docker-init would be both.
      Init: false,
      IpcMode: 'private',
      Ulimits: [
        { Name: 'nofile', Soft: 1024, Hard: 1024 },
        { Name: 'fsize', Soft: diskBytes, Hard: diskBytes },
        { Name: 'core', Soft: 0, Hard: 0 },
        ...(gvisor ? [{ Name: 'nproc', Soft: runscNproc(o), Hard: runscNproc(o) }] : []),
      ],
      LogConfig: { Type: 'none', Config: {} },
      Binds: [],
      Mounts: [],
      AutoRemove: false,
    },
  };
}
