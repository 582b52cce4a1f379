import t from 'tap';
import {
  buildContainerSpec,
  buildSnapshotWriterSpec,
  hangupExecOptions,
  ROOT_CAPABILITIES,
  RUNSC_PIDS_OVERHEAD,
  RUNSC_SUPERVISOR_UID,
  runnerCommand,
  SANDBOX_LABEL,
  shellExecOptions,
  SNAPSHOT_EXPIRES_LABEL,
  SNAPSHOT_LABEL,
  SNAPSHOT_PARENT_DIR,
  SNAPSHOT_WORK_DIR,
  updatableLimits,
  type SandboxProfile,
} from '../../../src/sandbox/container-spec.js';

const MiB = 1024 * 1024;

function profile(overrides: Partial<SandboxProfile> = {}): SandboxProfile {
  return {
    image: 'runbox/python:latest',
    runtime: 'runc',
    limits: { memoryMb: 128, cpus: 1.5, pids: 32, diskMb: 48 },
    network: false,
    root: false,
    ...overrides,
  };
}
const spec = (overrides: Partial<SandboxProfile> = {}) =>
  buildContainerSpec({ profile: profile(overrides), name: 'runbox-1893456000000-run-123-0a1b2c3d' });

t.test('uses the image, the Docker runtime and the name it is given', async (t) => {
  const s = spec({ runtime: 'runsc' });
  t.equal(s.Image, 'runbox/python:latest');
  t.equal(s.HostConfig?.Runtime, 'runsc');
  t.equal(s.name, 'runbox-1893456000000-run-123-0a1b2c3d');
});

t.test('has no network unless the profile asks for it', async (t) => {
  t.match(spec(), { NetworkDisabled: true, HostConfig: { NetworkMode: 'none' } });
  t.match(spec({ network: true }), { NetworkDisabled: false, HostConfig: { NetworkMode: 'bridge' } });
});

t.test('limits memory with swap equal to it, so there is no swap', async (t) => {
  const host = spec().HostConfig!;
  t.equal(host.Memory, 128 * MiB);
  t.equal(host.MemorySwap, 128 * MiB);
});

t.test('limits CPU in nano-CPUs and processes by the pids limit', async (t) => {
  const host = spec().HostConfig!;
  t.equal(host.NanoCpus, 1_500_000_000);
  t.equal(host.PidsLimit, 32);
  t.equal(spec({ limits: { ...profile().limits, cpus: 0.1 } }).HostConfig!.NanoCpus, 100_000_000, 'no floating-point residue');
});

t.test('makes the root filesystem read-only with size-limited tmpfs /work and /tmp', async (t) => {
  const s = spec();
  t.equal(s.HostConfig?.ReadonlyRootfs, true);
  t.same(Object.keys(s.HostConfig?.Tmpfs ?? {}).sort(), ['/tmp', '/work']);
  const work = s.HostConfig!.Tmpfs!['/work'];
  const tmp = s.HostConfig!.Tmpfs!['/tmp'];
  for (const option of ['size=48m', 'uid=1000', 'nosuid', 'nodev']) t.match(work, new RegExp(`(^|,)${option}(,|$)`), `/work ${option}`);
  for (const option of ['size=48m', 'nosuid', 'nodev']) t.match(tmp, new RegExp(`(^|,)${option}(,|$)`), `/tmp ${option}`);
  t.match(spec({ root: true, runtime: 'runsc' }).HostConfig!.Tmpfs!['/work'], /(^|,)uid=0(,|$)/, "a root program's work folder is root's");
  t.equal(s.WorkingDir, '/work');
});

t.test('drops every capability, forbids new privileges and is never privileged', async (t) => {
  const host = spec({ network: true }).HostConfig!;
  t.same(host.CapDrop, ['ALL']);
  t.equal(host.CapAdd, undefined);
  t.same(host.SecurityOpt, ['no-new-privileges']);
  t.equal(host.Privileged, false);
});

t.test('keeps Docker default seccomp and AppArmor profiles (no unconfined override)', async (t) => {
  t.notMatch(JSON.stringify(spec()), /unconfined/);
});

t.test('runs as the non-root user 1000:1000 with runbox-run as PID 1, not docker-init', async (t) => {
  const s = spec();
  t.equal(s.User, '1000:1000');
  t.equal(s.HostConfig?.Init, false, 'docker-init would be a traceable PID 1 holding the container stdout');
  t.equal(s.Cmd?.[0], '/usr/local/bin/runbox-run');
});

t.test('sets the nofile, fsize and core ulimits', async (t) => {
  const ulimits = spec().HostConfig!.Ulimits!;
  t.same(
    ulimits.find((u) => u.Name === 'nofile'),
    { Name: 'nofile', Soft: 1024, Hard: 1024 },
  );
  t.same(
    ulimits.find((u) => u.Name === 'fsize'),
    { Name: 'fsize', Soft: 48 * MiB, Hard: 48 * MiB },
  );
  t.same(
    ulimits.find((u) => u.Name === 'core'),
    { Name: 'core', Soft: 0, Hard: 0 },
  );
});

t.test('keeps no Docker log of the output', async (t) => {
  t.same(spec().HostConfig?.LogConfig, { Type: 'none', Config: {} });
});

t.test('mounts nothing from the host', async (t) => {
  const s = spec();
  t.same(s.HostConfig?.Binds, []);
  t.same(s.HostConfig?.Mounts, []);
  t.equal(s.HostConfig?.VolumesFrom, undefined);
  t.equal(s.Volumes, undefined);
  t.equal(s.HostConfig?.Devices, undefined);
});

t.test('does not share the host namespaces', async (t) => {
  const host = spec({ network: true }).HostConfig!;
  t.not(host.NetworkMode, 'host');
  t.equal(host.PidMode, undefined);
  t.equal(host.IpcMode, 'private');
  t.equal(host.UsernsMode, undefined);
});

t.test('never mentions the Docker socket anywhere in the spec', async (t) => {
  for (const s of [spec(), spec({ network: true }), spec({ root: true, runtime: 'runsc' })]) {
    t.notMatch(JSON.stringify(s), /docker\.sock/);
    t.notMatch(JSON.stringify(s), /\/var\/run\/docker/);
  }
});

t.test('labels the container as a sandbox; its deadline and owner are in its name, which can change', async (t) => {
  t.same(spec().Labels, { [SANDBOX_LABEL]: 'true' });
  t.equal(SANDBOX_LABEL, 'runbox.sandbox');
});

t.test('runs runbox-run with its folders and nothing of a run: the run comes later over stdin', async (t) => {
  t.same(spec().Cmd, [
    '/usr/local/bin/runbox-run',
    '--work',
    '/work',
    '--wipe',
    '/tmp',
    '--wipe',
    '/dev/shm',
    '--wipe',
    '/dev/mqueue',
    '--cgroup',
    '/sys/fs/cgroup',
  ]);
  t.same(spec().Env, ['HOME=/work', 'LANG=C.UTF-8'], "a fixed environment: the program's own comes with each execution");
});

t.test('takes nothing a client sends: the same profile gives the same container', async (t) => {
  t.same(spec(), spec());
  t.same(
    Object.keys(profile()).sort(),
    ['image', 'limits', 'network', 'root', 'runtime'],
    'a profile is config and catalogue: no command, no env, no files',
  );
});

t.test('attaches stdin, stdout and stderr without a TTY', async (t) => {
  t.match(spec(), { AttachStdin: true, AttachStdout: true, AttachStderr: true, OpenStdin: true, StdinOnce: true, Tty: false });
});

t.test('leaves removal to the worker and the reaper, not AutoRemove', async (t) => {
  // AutoRemove would race the worker's inspect after exit (OOMKilled, exit code).
  t.equal(spec().HostConfig?.AutoRemove, false);
});

t.test('under gVisor the program is held by RLIMIT_NPROC and the pids cgroup leaves room for gVisor', async (t) => {
  const gvisor = spec({ runtime: 'runsc' });
  t.equal(gvisor.HostConfig?.PidsLimit, 32 + RUNSC_PIDS_OVERHEAD);
  // The program's first process, forked by runbox-run as root, is not counted against uid
  // 1000 by gVisor: nproc pids - 2 leaves the program pids - 1 tasks, as under runc.
  t.same(
    gvisor.HostConfig?.Ulimits?.find((u) => u.Name === 'nproc'),
    { Name: 'nproc', Soft: 30, Hard: 30 },
  );
  const root = spec({ runtime: 'runsc', root: true });
  t.same(
    root.HostConfig?.Ulimits?.find((u) => u.Name === 'nproc'),
    { Name: 'nproc', Soft: 32, Hard: 32 },
    'a root program is counted with runbox-run',
  );
  const tiny = spec({ runtime: 'runsc', limits: { ...profile().limits, pids: 2 } });
  t.equal(tiny.HostConfig?.Ulimits?.find((u) => u.Name === 'nproc')?.Soft, 1, 'never below one process');
  const runc = spec();
  t.equal(runc.HostConfig?.PidsLimit, 32);
  t.equal(
    runc.HostConfig?.Ulimits?.some((u) => u.Name === 'nproc'),
    false,
    'nproc would count the uid across the host under runc',
  );
});

t.test('under gVisor runbox-run starts as root with only what it needs to hold the program as uid 1000', async (t) => {
  const gvisor = spec({ runtime: 'runsc' });
  t.equal(gvisor.User, '0:0');
  t.same(gvisor.HostConfig?.CapDrop, ['ALL']);
  // SETUID and SETGID to drop to uid 1000, SETPCAP to empty the bounding set the program
  // inherits, KILL to kill what it leaves, SYS_ADMIN (gVisor's kernel's) for a fresh IPC
  // namespace per execution. Nothing that reaches past gVisor's kernel.
  t.same(gvisor.HostConfig?.CapAdd, ['SETUID', 'SETGID', 'SETPCAP', 'KILL', 'SYS_ADMIN']);
  t.same(gvisor.HostConfig?.SecurityOpt, ['no-new-privileges']);
  const runc = spec();
  t.equal(runc.User, '1000:1000', 'under runc nothing runs as root, not even the supervisor');
  t.equal(runc.HostConfig?.CapAdd, undefined);
});

t.test("a root run gets uid 0 with Docker's default capabilities, and runbox-run is told to keep root", async (t) => {
  const runc = spec({ root: true });
  t.equal(runc.User, '0:0');
  t.same(runc.HostConfig?.CapAdd, [...ROOT_CAPABILITIES]);
  t.notOk(
    (runc.HostConfig?.CapAdd ?? []).some((c: string) => ['SYS_ADMIN', 'SYS_PTRACE', 'NET_ADMIN', 'SYS_MODULE'].includes(c)),
    "nothing beyond Docker's defaults",
  );
  t.same(runc.HostConfig?.SecurityOpt, ['no-new-privileges']);
  t.same(runnerCommand({ runtime: 'runc', root: true }).slice(-1), ['--root']);
  t.notOk((spec().Cmd as string[]).includes('--root'));
});

t.test("under gVisor a root run moves its supervisor to a uid of its own, out of the root program's reach", async (t) => {
  const gvisor = spec({ root: true, runtime: 'runsc' });
  t.same((gvisor.Cmd as string[]).slice(-3), ['--root', '--supervisor-uid', String(RUNSC_SUPERVISOR_UID)]);
  // The supervisor keeps SYS_ADMIN of gVisor's kernel for the IPC namespaces; runbox-run's
  // bounding set keeps it (and KILL, SETUID, SETGID, SETPCAP) from the program.
  t.same(gvisor.HostConfig?.CapAdd, [...ROOT_CAPABILITIES, 'SYS_ADMIN']);
});

t.test('the limits `docker update` may change on a running sandbox are memory (no swap), CPUs and pids', async (t) => {
  t.same(updatableLimits({ memoryMb: 64, cpus: 0.5, pids: 16 }, 'runc'), {
    Memory: 64 * MiB,
    MemorySwap: 64 * MiB,
    NanoCpus: 500_000_000,
    PidsLimit: 16,
  });
  t.equal(updatableLimits({ memoryMb: 64, cpus: 0.5, pids: 16 }, 'runsc').PidsLimit, 16 + RUNSC_PIDS_OVERHEAD);
});

t.test("a session's terminal starts as runbox-run --shell, as the sandbox's user, with a fixed environment", async (t) => {
  const runc = shellExecOptions(profile(), 'sh-1', { GREETING: 'hi', PATH: '/evil' });
  t.same(runc.Cmd, [
    '/usr/local/bin/runbox-run',
    '--shell',
    '--id',
    'sh-1',
    '--env',
    'GREETING=hi',
    '--env',
    'PATH=/evil',
    '--',
    '/bin/bash',
    '-i',
  ]);
  t.equal(runc.User, '1000:1000');
  t.same(runc.Env, ['HOME=/work', 'LANG=C.UTF-8', 'TERM=xterm-256color'], "the session's env is no part of runbox-run's own");
  t.equal(runc.WorkingDir, '/work');
  t.equal(
    shellExecOptions(profile({ runtime: 'runsc' }), 'sh-1', {}).User,
    '0:0',
    'under gVisor it starts as root, as runbox-run does, and drops',
  );
  t.match(hangupExecOptions(profile(), 'sh-1'), {
    Cmd: ['/usr/local/bin/runbox-run', '--hangup', 'sh-1'],
    User: '1000:1000',
    Env: runc.Env,
  });
});

t.test(
  'a snapshot writer: the runtime image with a writable root, runc, no network, no capabilities, labelled for the reaper',
  async (t) => {
    const s = buildSnapshotWriterSpec({
      image: 'runbox/python:latest',
      name: 'runbox-1893456000000-snapshot-0a1b2c3d',
      snapshotId: 'snap-1',
      expiresAtMs: 1893456000123,
    });
    t.equal(s.Image, 'runbox/python:latest');
    t.same(s.Cmd, ['/usr/local/bin/runbox-run', '--work', SNAPSHOT_PARENT_DIR]);
    t.equal(s.User, '1000:1000');
    t.same(s.Labels, { [SANDBOX_LABEL]: 'true', [SNAPSHOT_LABEL]: 'snap-1', [SNAPSHOT_EXPIRES_LABEL]: '1893456000123' });
    t.match(s.HostConfig, {
      Runtime: 'runc',
      NetworkMode: 'none',
      ReadonlyRootfs: false,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      Binds: [],
      Mounts: [],
    });
    t.equal(s.NetworkDisabled, true);
    t.equal(SNAPSHOT_WORK_DIR, `${SNAPSHOT_PARENT_DIR}/runbox-snapshot`);
    t.notOk(
      Object.keys(s.HostConfig?.Tmpfs ?? {}).some((dir) => SNAPSHOT_WORK_DIR.startsWith(dir)),
      'no tmpfs over where the files go',
    );
    t.notOk(
      Object.keys(spec().HostConfig?.Tmpfs ?? {}).some((dir) => SNAPSHOT_WORK_DIR.startsWith(dir)),
      'nor over it in a sandbox: a session loads it from the image',
    );
  },
);
