// Builds the Docker create options of one sandbox from config and the runtime catalogue
// alone: nothing a client sends chooses an image, a user, a mount, a capability or a
// network. Pure, so the exact options are asserted in a unit test without a daemon.
//
// A sandbox is created before it knows its run (a warm pool keeps some waiting): what it will
// run, with which environment and time limits, comes later over its stdin (runner-protocol.ts).
// What the container itself fixes is its profile: image, Docker runtime, memory, CPUs, pids,
// disk, network and whether the program is root.
import type Docker from 'dockerode';
import type { Limits } from '../domain/limits.js';

export const SANDBOX_LABEL = 'runbox.sandbox';
export const SANDBOX_USER = '1000:1000';
export const WORK_DIR = '/work';
/** Folders runbox-run empties between tests, besides the work folder. */
export const SCRATCH_DIRS = ['/tmp', '/dev/shm', '/dev/mqueue'] as const;
const MiB = 1024 * 1024;
/**
 * What a root program gets: Docker's default set, the powers a package manager or a tool
 * that insists on uid 0 expects. Only ever granted where root is powerless on the host.
 */
export const ROOT_CAPABILITIES = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'SYS_CHROOT',
  'MKNOD',
  'AUDIT_WRITE',
  'SETFCAP',
] as const;
/**
 * Under gVisor, which shields neither PID 1 nor a non-dumpable process from root, a root
 * program's supervisor runs as this uid, keeping its capabilities, and the program lacks KILL,
 * SETUID, SETGID and SETPCAP (runbox-run's privileges.c): it can neither signal its
 * supervisor nor become its uid.
 */
export const RUNSC_SUPERVISOR_UID = 999;

/** Threads gVisor itself runs inside a sandbox's pids cgroup. */
export const RUNSC_PIDS_OVERHEAD = 512;
/**
 * What runbox-run, root under gVisor, needs: to drop everything else to uid 1000 (SETUID,
 * SETGID), to empty the bounding set its children inherit (SETPCAP), to kill what the program
 * leaves (KILL), and to give each execution a fresh IPC namespace (SYS_ADMIN: gVisor's
 * kernel's, powerless on the host, and never the program's).
 */
export const RUNSC_SUPERVISOR_CAPABILITIES = ['SETUID', 'SETGID', 'SETPCAP', 'KILL', 'SYS_ADMIN'] as const;

/** What a container fixes for its life; everything else of a run comes over its stdin. */
export interface SandboxProfile {
  image: string;
  /** Docker runtime: runc, or runsc (gVisor). */
  runtime: string;
  limits: Pick<Limits, 'memoryMb' | 'cpus' | 'pids' | 'diskMb'>;
  network: boolean;
  /** Root inside (only where root is powerless outside: gVisor, or an engine with userns-remap). */
  root: boolean;
}

/**
 * RLIMIT_NPROC under gVisor, where it is the program's process limit: the program may hold
 * pids - 1 processes and threads, as under runc, where runbox-run takes one of the cgroup's
 * pids. gVisor counts a process against the uid that forked it and does not move it on
 * setuid, so the program's first process, forked by runbox-run as root, is not counted
 * against uid 1000: hence pids - 2. A root program is counted with runbox-run: pids.
 */
export function runscNproc(o: Pick<SandboxProfile, 'limits' | 'root'>): number {
  return o.root ? o.limits.pids : Math.max(1, o.limits.pids - 2);
}

/** runbox-run's command line: where its folders are and who it runs the program as. */
export function runnerCommand(profile: Pick<SandboxProfile, 'runtime' | 'root'>): string[] {
  const gvisorRoot = profile.root && profile.runtime === 'runsc';
  return [
    '/usr/local/bin/runbox-run',
    '--work',
    WORK_DIR,
    ...SCRATCH_DIRS.flatMap((dir) => ['--wipe', dir]),
    '--cgroup',
    '/sys/fs/cgroup',
    ...(profile.root ? ['--root'] : []),
    ...(gvisorRoot ? ['--supervisor-uid', String(RUNSC_SUPERVISOR_UID)] : []),
  ];
}

export interface SandboxSpecOptions {
  profile: SandboxProfile;
  /** Container name (sandbox-names.ts: it carries the deadline the reaper reads). */
  name: string;
}

export function buildContainerSpec({ profile, name }: SandboxSpecOptions): Docker.ContainerCreateOptions {
  const { limits } = profile;
  const memoryBytes = limits.memoryMb * MiB;
  // Under gVisor root inside is the Sentry's, powerless on the host: runbox-run starts as
  // root with just the capabilities to drop to uid 1000 for everything else (SETUID,
  // SETGID), to empty the capability bounding set its children inherit (SETPCAP) and to kill
  // what the program leaves (KILL), so the program cannot reach its supervisor (gVisor does
  // not honour non-dumpable the way Linux does). Under runc all of it runs as uid 1000.
  const gvisor = profile.runtime === 'runsc';
  const diskBytes = limits.diskMb * MiB;
  return {
    name,
    Image: profile.image,
    Cmd: runnerCommand(profile),
    // The program's own environment comes with each execution (runner-protocol.ts), over this.
    Env: [`HOME=${WORK_DIR}`, 'LANG=C.UTF-8'],
    WorkingDir: WORK_DIR,
    User: gvisor || profile.root ? '0:0' : SANDBOX_USER,
    Labels: { [SANDBOX_LABEL]: 'true' },
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    StdinOnce: true,
    Tty: false,
    NetworkDisabled: !profile.network,
    HostConfig: {
      NetworkMode: profile.network ? 'bridge' : 'none',
      Runtime: profile.runtime,
      Memory: memoryBytes,
      MemorySwap: memoryBytes,
      NanoCpus: Math.round(limits.cpus * 1e9),
      // gVisor's own threads (the Sentry, the Gofer) count in the container's pids cgroup, so
      // under runsc the program's limit is RLIMIT_NPROC, enforced by gVisor's kernel, and the
      // cgroup gets room for gVisor on top. Under runc, nproc would count the uid host-wide.
      PidsLimit: gvisor ? limits.pids + RUNSC_PIDS_OVERHEAD : limits.pids,
      ReadonlyRootfs: true,
      Tmpfs: {
        // A root program's work folder is root's (under gVisor it lacks DAC_OVERRIDE).
        [WORK_DIR]: `rw,exec,nosuid,nodev,size=${limits.diskMb}m,${profile.root ? 'uid=0,gid=0' : 'uid=1000,gid=1000'},mode=0755`,
        '/tmp': `rw,exec,nosuid,nodev,size=${limits.diskMb}m,mode=1777`,
      },
      ShmSize: 16 * MiB,
      CapDrop: ['ALL'],
      ...(profile.root
        ? { CapAdd: gvisor ? [...ROOT_CAPABILITIES, 'SYS_ADMIN'] : [...ROOT_CAPABILITIES] }
        : gvisor
          ? { CapAdd: [...RUNSC_SUPERVISOR_CAPABILITIES] }
          : {}),
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
        ...(gvisor ? [{ Name: 'nproc', Soft: runscNproc(profile), Hard: runscNproc(profile) }] : []),
      ],
      LogConfig: { Type: 'none', Config: {} },
      Binds: [],
      Mounts: [],
      AutoRemove: false,
    },
  };
}

/** The resources `docker update` can change on a running container (runc only). */
export function updatableLimits(limits: Pick<Limits, 'memoryMb' | 'cpus' | 'pids'>, runtime: string) {
  const memoryBytes = limits.memoryMb * MiB;
  return {
    Memory: memoryBytes,
    MemorySwap: memoryBytes,
    NanoCpus: Math.round(limits.cpus * 1e9),
    PidsLimit: runtime === 'runsc' ? limits.pids + RUNSC_PIDS_OVERHEAD : limits.pids,
  };
}

/** Where a snapshot image keeps the work folder it was made from: a folder of the image, under no tmpfs mount of a sandbox. */
export const SNAPSHOT_PARENT_DIR = '/var/tmp';
export const SNAPSHOT_FOLDER = 'runbox-snapshot';
export const SNAPSHOT_WORK_DIR = `${SNAPSHOT_PARENT_DIR}/${SNAPSHOT_FOLDER}`;
/** Labels of a snapshot image: its id, and when the reaper may remove it (ms since the epoch). */
export const SNAPSHOT_LABEL = 'runbox.snapshot';
export const SNAPSHOT_EXPIRES_LABEL = 'runbox.snapshot.expires';

export interface SnapshotWriterSpecOptions {
  /** The runtime image the snapshot is made on. */
  image: string;
  /** Container name (sandbox-names.ts): a writer a crashed worker left is reaped like any sandbox. */
  name: string;
  snapshotId: string;
  expiresAtMs: number;
}

/**
 * The container that writes a snapshot's work folder into an image: the runtime image with a
 * writable root, runbox-run writing the files it is sent under SNAPSHOT_PARENT_DIR (1777 in
 * Debian's images) as uid 1000, then committed. No program ever runs in it, and the host writes
 * nothing: the files arrive as frames, as a sandbox's do. Always runc: gVisor keeps root-file-system
 * writes in its own overlay, where a commit does not see them. Its labels are the image's.
 */
export function buildSnapshotWriterSpec({
  image,
  name,
  snapshotId,
  expiresAtMs,
}: SnapshotWriterSpecOptions): Docker.ContainerCreateOptions {
  const memoryBytes = 256 * MiB;
  return {
    name,
    Image: image,
    Cmd: ['/usr/local/bin/runbox-run', '--work', SNAPSHOT_PARENT_DIR],
    Env: [`HOME=${WORK_DIR}`, 'LANG=C.UTF-8'],
    WorkingDir: WORK_DIR,
    User: SANDBOX_USER,
    Labels: { [SANDBOX_LABEL]: 'true', [SNAPSHOT_LABEL]: snapshotId, [SNAPSHOT_EXPIRES_LABEL]: String(Math.ceil(expiresAtMs)) },
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    StdinOnce: true,
    Tty: false,
    NetworkDisabled: true,
    HostConfig: {
      NetworkMode: 'none',
      Runtime: 'runc',
      Memory: memoryBytes,
      MemorySwap: memoryBytes,
      NanoCpus: 1e9,
      PidsLimit: 16,
      ReadonlyRootfs: false,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      Init: false,
      IpcMode: 'private',
      Ulimits: [
        { Name: 'nofile', Soft: 1024, Hard: 1024 },
        { Name: 'core', Soft: 0, Hard: 0 },
      ],
      LogConfig: { Type: 'none', Config: {} },
      Binds: [],
      Mounts: [],
      AutoRemove: false,
    },
  };
}

/** The user and fixed environment of what the engine starts beside runbox-run (a terminal, its hangup). */
function besideRunner(profile: Pick<SandboxProfile, 'runtime' | 'root'>) {
  return {
    User: profile.runtime === 'runsc' || profile.root ? '0:0' : SANDBOX_USER,
    Env: [`HOME=${WORK_DIR}`, 'LANG=C.UTF-8', 'TERM=xterm-256color'],
    WorkingDir: WORK_DIR,
  };
}

/**
 * A session's terminal: `docker exec` with a TTY in the session's container (its cgroup, its
 * network, the engine's seccomp profile), as the user runbox-run starts as. It starts as
 * runbox-run --shell, which takes what runbox-run gives every program (uid 1000, an empty
 * bounding set, no_new_privs, runbox's seccomp filter) before it starts bash and stays its
 * parent. Its own environment is fixed; the session's env reaches bash through --env arguments.
 */
export function shellExecOptions(
  profile: Pick<SandboxProfile, 'runtime' | 'root'>,
  shellId: string,
  env: Readonly<Record<string, string>>,
) {
  return {
    Cmd: [
      '/usr/local/bin/runbox-run',
      '--shell',
      ...(profile.root ? ['--root'] : []),
      ...(profile.root && profile.runtime === 'runsc' ? ['--supervisor-uid', String(RUNSC_SUPERVISOR_UID)] : []),
      '--id',
      shellId,
      ...Object.entries(env).flatMap(([name, value]) => ['--env', `${name}=${value}`]),
      '--',
      '/bin/bash',
      '-i',
    ],
    ...besideRunner(profile),
  };
}

/** Ends a terminal: the engine cannot stop an exec, so runbox-run --hangup finds it by its id and hangs it up. */
export function hangupExecOptions(profile: Pick<SandboxProfile, 'runtime' | 'root'>, shellId: string) {
  return { Cmd: ['/usr/local/bin/runbox-run', '--hangup', shellId], ...besideRunner(profile) };
}
