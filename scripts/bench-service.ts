// What the benchmarks share: a runbox service of their own (`node dist/main.js` with its own
// Redis and data folder on a free loopback port), a python hello submitted through it, a load
// of many at once with the CPU it cost, and the wait for a fresh service's pools to fill.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { createRunboxClient, type RunRecord, type RunRequest } from '../src/client/runbox-client.js';
import { freePort } from '../src/lib/free-port.js';
import { engineCpu, enginePerRun, processCpu, type EngineCpu } from './engine-cpu.js';

const hello = { language: 'python', source: 'print("hello")' };
/** Clients at once in the benchmarks' loads through the service. */
export const CLIENTS = 16;
export const sleep = (t: number) => new Promise((r) => setTimeout(r, t));
const docker = new Docker();

/** USER_HZ: the unit of /proc's CPU times (100 on Linux). */
const CLOCK_TICKS = 100;
/** CPU time the whole machine has spent busy, ms (/proc/stat: user, nice, system, irq, softirq, steal). */
function machineCpuMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
  return ((f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) * 1000) / CLOCK_TICKS;
}
/** CPU time of one process (user + system, its threads included), ms; 0 once it is gone. */
const processCpuMs = (pid: number) => processCpu(pid)?.own ?? 0;
/** This process's CPU time so far, ms: the load's client (the raw path's Docker client, runbox's HTTP clients, or the sandbox layer). */
const clientCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** Runs `task` `total` times from `width` concurrent loops; the rate, each task's time, and the machine's and the engine's CPU per run. */
export async function load(
  total: number,
  width: number,
  task: () => Promise<void>,
): Promise<{ rate: number; times: number[]; machineMs: number; engine: EngineCpu; clientMs: number }> {
  let next = 0;
  const times: number[] = [];
  const engine0 = engineCpu();
  const client0 = clientCpuMs();
  const cpu0 = machineCpuMs();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < total) {
        next++;
        const t0 = performance.now();
        await task();
        times.push(performance.now() - t0);
      }
    }),
  );
  const machineMs = (machineCpuMs() - cpu0) / total;
  const engine = enginePerRun(engine0, engineCpu(), total);
  const clientMs = (clientCpuMs() - client0) / total;
  return { rate: total / ((performance.now() - started) / 1000), times, machineMs, engine, clientMs };
}

export interface Service {
  url: string;
  pid: number;
  /** CPU time of the process and of its Redis (a child), ms. */
  cpuMs(): { runbox: number; redis: number };
  stop(): Promise<void>;
}

/** The child processes of `pid` (every thread's). */
function childrenOf(pid: number): number[] {
  const tasks = readdirSync(`/proc/${pid}/task`);
  return tasks.flatMap((tid) => readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
}
const commandOf = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];

/** node dist/main.js with its own Redis and data folder, on a free port; resolves once it serves. */
export async function startRunbox(env: Record<string, string>): Promise<Service> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'runbox-bench-'));
  const child: ChildProcess = spawn(process.execPath, ['dist/main.js'], {
    env: {
      ...process.env,
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '0',
      KEY_MAX_IN_FLIGHT: '0',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error('runbox exited at start');
      const ready = await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      if (i > 300) throw new Error('runbox did not get ready');
      await sleep(100);
    }
    const redisPid = childrenOf(child.pid!).find((pid) => commandOf(pid).includes('redis-server'));
    if (!redisPid) throw new Error('runbox started no redis-server child');
    return {
      url,
      pid: child.pid!,
      cpuMs: () => ({ runbox: processCpuMs(child.pid!), redis: processCpuMs(redisPid) }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** POST /runs?wait=true of `body` (a python hello); throws unless the run completed with the output expected. */
export async function submit(url: string, body: RunRequest = hello, expect = 'hello\n'): Promise<RunRecord> {
  const record = await createRunboxClient({ url }).submit(body, { wait: true });
  if (record.status !== 'completed' || (expect && record.stdout !== expect)) {
    throw new Error(`a run did not end as expected: ${JSON.stringify(record).slice(0, 400)}`);
  }
  return record;
}

/** A load's task: one hello through the service at `url`. */
export const helloTask = (url: string) => () => submit(url).then(() => undefined);

/** Waits until the pools of a fresh service have filled (no more containers appearing). */
export async function settle(): Promise<void> {
  let last = -1;
  for (let i = 0; i < 60; i++) {
    const n = (await docker.listContainers({ filters: { label: ['runbox.sandbox=true'] } })).length;
    if (n === last) return;
    last = n;
    await sleep(1000);
  }
}
