import t from 'tap';
import {
  buildContainerSpec,
  DEADLINE_GRACE_MS,
  DEADLINE_LABEL,
  RUN_ID_LABEL,
  runnerCommand,
  SANDBOX_LABEL,
  type SandboxSpecOptions,
} from '../../../src/sandbox/container-spec.js';

const MiB = 1024 * 1024;
const now = Date.UTC(2030, 0, 1);

function options(overrides: Partial<SandboxSpecOptions> = {}): SandboxSpecOptions {
  return {
    image: 'runbox/python:latest',
    command: ['python3', 'main.py', 'arg one'],
    env: { PYTHONUNBUFFERED: '1' },
    limits: { timeMs: 3000, cpuTimeMs: 2000, memoryMb: 128, cpus: 1.5, pids: 32, outputBytes: 4096, diskMb: 48 },
    archiveBytes: 10240,
    collect: false,
    tests: false,
    network: false,
    runtime: 'runc',
    runId: 'run-123',
    now,
    deadlineMs: 3000,
    ...overrides,
  };
}

t.test('uses the image and the Docker runtime from the options', async (t) => {
  const spec = buildContainerSpec(options({ runtime: 'runsc' }));
  t.equal(spec.Image, 'runbox/python:latest');
  t.equal(spec.HostConfig?.Runtime, 'runsc');
});

t.test('has no network unless the run asks for it', async (t) => {
  const spec = buildContainerSpec(options());
  t.equal(spec.NetworkDisabled, true);
  t.equal(spec.HostConfig?.NetworkMode, 'none');
});

t.test('has a network when the run asks for it', async (t) => {
  const spec = buildContainerSpec(options({ network: true }));
  t.equal(spec.NetworkDisabled, false);
  t.equal(spec.HostConfig?.NetworkMode, 'bridge');
});

t.test('limits memory with swap equal to it, so there is no swap', async (t) => {
  const host = buildContainerSpec(options()).HostConfig!;
  t.equal(host.Memory, 128 * MiB);
  t.equal(host.MemorySwap, 128 * MiB);
});

t.test('limits CPU in nano-CPUs and processes by the pids limit', async (t) => {
  const host = buildContainerSpec(options()).HostConfig!;
  t.equal(host.NanoCpus, 1_500_000_000);
  t.equal(host.PidsLimit, 32);
  t.equal(buildContainerSpec(options({ limits: { ...options().limits, cpus: 0.1 } })).HostConfig!.NanoCpus, 100_000_000, 'no floating-point residue');
});

t.test('makes the root filesystem read-only with size-limited tmpfs /work and /tmp', async (t) => {
  const spec = buildContainerSpec(options());
  t.equal(spec.HostConfig?.ReadonlyRootfs, true);
  t.same(Object.keys(spec.HostConfig?.Tmpfs ?? {}).sort(), ['/tmp', '/work']);
  const work = spec.HostConfig!.Tmpfs!['/work'];
  const tmp = spec.HostConfig!.Tmpfs!['/tmp'];
  t.match(work, /(^|,)size=48m(,|$)/);
  t.match(work, /(^|,)uid=1000(,|$)/);
  t.match(work, /(^|,)nosuid(,|$)/);
  t.match(work, /(^|,)nodev(,|$)/);
  t.match(tmp, /(^|,)size=48m(,|$)/);
  t.match(tmp, /(^|,)nosuid(,|$)/);
  t.equal(spec.WorkingDir, '/work');
});

t.test('drops every capability, forbids new privileges and is never privileged', async (t) => {
  const host = buildContainerSpec(options({ network: true })).HostConfig!;
  t.same(host.CapDrop, ['ALL']);
  t.equal(host.CapAdd, undefined);
  t.same(host.SecurityOpt, ['no-new-privileges']);
  t.equal(host.Privileged, false);
});

t.test('keeps Docker default seccomp and AppArmor profiles (no unconfined override)', async (t) => {
  const spec = buildContainerSpec(options());
  t.notMatch(JSON.stringify(spec), /unconfined/);
});

t.test('runs as the non-root user 1000:1000 with runbox-run as PID 1, not docker-init', async (t) => {
  const spec = buildContainerSpec(options());
  t.equal(spec.User, '1000:1000');
  t.equal(spec.HostConfig?.Init, false, 'docker-init would be a traceable PID 1 holding the container stdout');
  t.equal(spec.Cmd?.[0], '/usr/local/bin/runbox-run');
});

t.test('sets the nofile, fsize and core ulimits', async (t) => {
  const ulimits = buildContainerSpec(options()).HostConfig!.Ulimits!;
  t.same(ulimits.find((u) => u.Name === 'nofile'), { Name: 'nofile', Soft: 1024, Hard: 1024 });
  t.same(ulimits.find((u) => u.Name === 'fsize'), { Name: 'fsize', Soft: 48 * MiB, Hard: 48 * MiB });
  t.same(ulimits.find((u) => u.Name === 'core'), { Name: 'core', Soft: 0, Hard: 0 });
});

t.test('keeps no Docker log of the output', async (t) => {
  t.same(buildContainerSpec(options()).HostConfig?.LogConfig, { Type: 'none', Config: {} });
});

t.test('mounts nothing from the host', async (t) => {
  const spec = buildContainerSpec(options());
  t.same(spec.HostConfig?.Binds, []);
  t.same(spec.HostConfig?.Mounts, []);
  t.equal(spec.HostConfig?.VolumesFrom, undefined);
  t.equal(spec.Volumes, undefined);
  t.equal(spec.HostConfig?.Devices, undefined);
});

t.test('does not share the host namespaces', async (t) => {
  const host = buildContainerSpec(options({ network: true })).HostConfig!;
  t.not(host.NetworkMode, 'host');
  t.equal(host.PidMode, undefined);
  t.equal(host.IpcMode, 'private');
  t.equal(host.UsernsMode, undefined);
});

t.test('never mentions the Docker socket anywhere in the spec', async (t) => {
  for (const spec of [buildContainerSpec(options()), buildContainerSpec(options({ network: true, collect: true }))]) {
    t.notMatch(JSON.stringify(spec), /docker\.sock/);
    t.notMatch(JSON.stringify(spec), /\/var\/run\/docker/);
  }
});

t.test('labels the container as a sandbox with its run id and its deadline', async (t) => {
  const spec = buildContainerSpec(options());
  t.same(spec.Labels, {
    [SANDBOX_LABEL]: 'true',
    [RUN_ID_LABEL]: 'run-123',
    [DEADLINE_LABEL]: String(now + 3000 + DEADLINE_GRACE_MS),
  });
  t.equal(SANDBOX_LABEL, 'runbox.sandbox');
});

t.test('runs the program under runbox-run with the archive size, time and output limits', async (t) => {
  t.same(buildContainerSpec(options()).Cmd, [
    '/usr/local/bin/runbox-run',
    '--extract', '10240',
    '--time-ms', '3000',
    '--cpu-ms', '2000',
    '--output-bytes', '4096',
    '--',
    'python3', 'main.py', 'arg one',
  ]);
});

t.test('asks runbox-run to collect the work folder only when asked', async (t) => {
  const without = buildContainerSpec(options()).Cmd as string[];
  const withCollect = buildContainerSpec(options({ collect: true })).Cmd as string[];
  t.equal(without.includes('--collect'), false);
  t.same(withCollect.slice(0, withCollect.indexOf('--')), [
    '/usr/local/bin/runbox-run', '--extract', '10240', '--time-ms', '3000', '--cpu-ms', '2000', '--output-bytes', '4096', '--collect',
  ]);
  t.same(withCollect.slice(withCollect.indexOf('--') + 1), ['python3', 'main.py', 'arg one']);
});

t.test('asks runbox-run for judge mode only for tests, and gives the sandbox a deadline for all of them', async (t) => {
  const spec = buildContainerSpec(options({ tests: true, deadlineMs: 30_000 }));
  const cmd = spec.Cmd as string[];
  t.equal(cmd[cmd.indexOf('--') - 1], '--tests');
  t.equal((buildContainerSpec(options()).Cmd as string[]).includes('--tests'), false);
  t.equal(spec.Labels?.[DEADLINE_LABEL], String(now + 30_000 + DEADLINE_GRACE_MS));
});

t.test('puts the program argv after -- so it cannot pass options to runbox-run', async (t) => {
  const cmd = runnerCommand({ ...options(), command: ['--collect', '--time-ms', '999999', '--'] });
  const end = cmd.indexOf('--');
  t.same(cmd.slice(0, end), ['/usr/local/bin/runbox-run', '--extract', '10240', '--time-ms', '3000', '--cpu-ms', '2000', '--output-bytes', '4096']);
  t.same(cmd.slice(end + 1), ['--collect', '--time-ms', '999999', '--']);
});

t.test('passes the client environment only as Env, after HOME and LANG', async (t) => {
  const spec = buildContainerSpec(options({ env: { FOO: 'bar=baz', MULTI: 'a\nb' } }));
  t.same(spec.Env, ['HOME=/work', 'LANG=C.UTF-8', 'FOO=bar=baz', 'MULTI=a\nb']);
});

t.test('lets no client environment variable change the user, labels, image or limits', async (t) => {
  const hostile = {
    User: '0:0',
    USER: 'root',
    Image: 'alpine',
    Labels: '{}',
    [SANDBOX_LABEL]: 'false',
    [DEADLINE_LABEL]: '99999999999999',
    Privileged: 'true',
    NetworkMode: 'host',
    DOCKER_HOST: 'unix:///var/run/docker.sock',
  };
  const plain = buildContainerSpec(options());
  const spec = buildContainerSpec(options({ env: hostile }));
  t.equal(spec.User, '1000:1000');
  t.equal(spec.Image, 'runbox/python:latest');
  t.same(spec.Labels, plain.Labels);
  t.same(spec.HostConfig, plain.HostConfig);
  t.same(spec.Cmd, plain.Cmd);
  t.same(spec.Env, ['HOME=/work', 'LANG=C.UTF-8', ...Object.entries(hostile).map(([k, v]) => `${k}=${v}`)]);
});

t.test('attaches stdin, stdout and stderr without a TTY', async (t) => {
  t.match(buildContainerSpec(options()), {
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    StdinOnce: true,
    Tty: false,
  });
});

t.test('leaves removal to the worker and the reaper, not AutoRemove', async (t) => {
  // AutoRemove would race the worker's inspect after exit (OOMKilled, exit code).
  t.equal(buildContainerSpec(options()).HostConfig?.AutoRemove, false);
});

t.test('under gVisor the program is held by RLIMIT_NPROC and the pids cgroup leaves room for gVisor', async (t) => {
  const { RUNSC_PIDS_OVERHEAD } = await import('../../../src/sandbox/container-spec.js');
  const gvisor = buildContainerSpec(options({ runtime: 'runsc' }));
  t.equal(gvisor.HostConfig?.PidsLimit, 32 + RUNSC_PIDS_OVERHEAD);
  // The program's first process, forked by runbox-run as root, is not counted against uid
  // 1000 by gVisor: nproc pids - 2 leaves the program pids - 1 tasks, as under runc.
  t.same(gvisor.HostConfig?.Ulimits?.find((u) => u.Name === 'nproc'), { Name: 'nproc', Soft: 30, Hard: 30 });
  const root = buildContainerSpec(options({ runtime: 'runsc', root: true }));
  t.same(root.HostConfig?.Ulimits?.find((u) => u.Name === 'nproc'), { Name: 'nproc', Soft: 32, Hard: 32 }, 'a root program is counted with runbox-run');
  const tiny = buildContainerSpec(options({ runtime: 'runsc', limits: { ...options().limits, pids: 2 } }));
  t.equal(tiny.HostConfig?.Ulimits?.find((u) => u.Name === 'nproc')?.Soft, 1, 'never below one process');
  const runc = buildContainerSpec(options());
  t.equal(runc.HostConfig?.PidsLimit, 32);
  t.equal(runc.HostConfig?.Ulimits?.some((u) => u.Name === 'nproc'), false, 'nproc would count the uid across the host under runc');
});

t.test('under gVisor runbox-run starts as root with only SETUID, SETGID, SETPCAP and KILL, to drop the program to uid 1000', async (t) => {
  const gvisor = buildContainerSpec(options({ runtime: 'runsc' }));
  t.equal(gvisor.User, '0:0');
  t.same(gvisor.HostConfig?.CapDrop, ['ALL']);
  // SETUID and SETGID to drop to uid 1000, SETPCAP to empty the bounding set the program
  // inherits, KILL to kill what it leaves. Nothing that reaches past gVisor's kernel.
  t.same(gvisor.HostConfig?.CapAdd, ['SETUID', 'SETGID', 'SETPCAP', 'KILL']);
  t.same(gvisor.HostConfig?.SecurityOpt, ['no-new-privileges']);
  const runc = buildContainerSpec(options());
  t.equal(runc.User, '1000:1000', 'under runc nothing runs as root, not even the supervisor');
  t.equal(runc.HostConfig?.CapAdd, undefined);
});

t.test('a root run gets uid 0 with Docker\'s default capabilities, and runbox-run is told to keep root', async (t) => {
  const { ROOT_CAPABILITIES } = await import('../../../src/sandbox/container-spec.js');
  const spec = buildContainerSpec(options({ runtime: 'runsc', root: true }));
  t.equal(spec.User, '0:0');
  t.same(spec.HostConfig?.CapAdd, [...ROOT_CAPABILITIES]);
  t.notOk((spec.HostConfig?.CapAdd ?? []).some((c) => ['SYS_ADMIN', 'SYS_PTRACE', 'NET_ADMIN', 'SYS_MODULE'].includes(c)), 'nothing beyond Docker\'s defaults');
  t.same(spec.HostConfig?.SecurityOpt, ['no-new-privileges']);
  const cmd = spec.Cmd as string[];
  t.ok(cmd.slice(0, cmd.indexOf('--')).includes('--root'));
  t.notOk((buildContainerSpec(options()).Cmd as string[]).includes('--root'));
});
