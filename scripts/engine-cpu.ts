// CPU time of the container engine's processes, for the benchmarks: dockerd, containerd, the
// shims and runc (those that exited are counted through PID 1, which reaps them), read from
// /proc, and what ran inside the containers, from their cgroups' parent.
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: the unit of /proc's CPU times (100 on Linux). */
const TICK_MS = 1000 / 100;

export interface EngineCpu {
  dockerd: number;
  containerd: number;
  'shims and runc': number;
  /** Inside every container (v1 cpuacct, or v2 with the cgroupfs driver); undefined where neither is found. */
  containers?: number;
}

/** CPU time spent inside every container so far, ms. */
function containersCpuMs(): number | undefined {
  if (existsSync('/sys/fs/cgroup/cpuacct/docker/cpuacct.usage'))
    return Number(readFileSync('/sys/fs/cgroup/cpuacct/docker/cpuacct.usage', 'utf8')) / 1e6;
  const stat = existsSync('/sys/fs/cgroup/docker/cpu.stat') ? readFileSync('/sys/fs/cgroup/docker/cpu.stat', 'utf8') : '';
  const usec = /usage_usec (\d+)/.exec(stat)?.[1];
  return usec === undefined ? undefined : Number(usec) / 1000;
}

/** One process's name and CPU time from /proc, ms: its own (user + system, its threads included) and its reaped children's; undefined once it is gone. */
export function processCpu(pid: number | string): { name: string; own: number; reaped: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
    own: (Number(f[11]) + Number(f[12])) * TICK_MS,
    reaped: (Number(f[13]) + Number(f[14])) * TICK_MS,
  };
}

/** CPU time so far of the engine's processes, ms, by role. */
export function engineCpu(): EngineCpu {
  const roles: EngineCpu = { dockerd: 0, containerd: 0, 'shims and runc': 0, containers: containersCpuMs() };
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    const cpu = processCpu(pid);
    if (!cpu) continue;
    const { name, own, reaped } = cpu;
    if (name === 'dockerd') roles.dockerd += own;
    else if (name === 'containerd') roles.containerd += own;
    else if (name.startsWith('containerd-shim') || name === 'runc' || name === 'crun') roles['shims and runc'] += own + reaped;
    else if (pid === '1') roles['shims and runc'] += reaped; // exited shims (and what they reaped) end up here
  }
  return roles;
}

/** What the engine spent between two readings, per run. */
export function enginePerRun(before: EngineCpu, after: EngineCpu, runs: number): EngineCpu {
  const per = (a: number, b: number) => (b - a) / runs;
  return {
    dockerd: per(before.dockerd, after.dockerd),
    containerd: per(before.containerd, after.containerd),
    'shims and runc': per(before['shims and runc'], after['shims and runc']),
    containers: before.containers === undefined || after.containers === undefined ? undefined : per(before.containers, after.containers),
  };
}
