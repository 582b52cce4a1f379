// npm run bench: one table, every figure measured in this run, on this machine.
//
//   bare host process   python3 -c 'print("hello")' spawned on the host
//   raw Docker API      create + start + wait + remove of a container as locked down as a
//                       sandbox, from the same image, running the same program (no runbox)
//   runbox pool off     POST /runs?wait=true of a python hello, every sandbox started cold
//   runbox pool on      the same with the warm pool (the default)
//   sandbox module      runbox's sandbox layer alone, in this process, pool on: open a
//                       session, write the file, run the hello, close (no HTTP, queue, Redis)
//
// For each: latency one at a time (p50, p95, p99 of SEQUENTIAL requests) and throughput
// (runs/s of THROUGHPUT_RUNS hellos from CLIENTS concurrent clients; raw Docker at several
// concurrencies, its best). Then, pool on: a burst of 20 at once, how soon a chunk the program
// writes reaches a WebSocket client, the API + worker's resident memory idle and under load,
// and judge mode (C++ A+B, 50 tests). Then the same under gVisor (runsc), fewer runs.
// Every throughput load also says the CPU it cost per run: the whole machine's (/proc/stat),
// and for runbox its own process's and its Redis's, so the table shows what runbox adds to
// the daemon's work.
//
// runbox runs as `node dist/main.js` children on free loopback ports with their own Redis
// (npm run bench builds dist/ first). Needs the python and cpp images (make up builds them)
// and, for the gVisor part, runsc registered with Docker. Figures go to stdout; with --json
// FILE they are also written as JSON.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import Docker from 'dockerode';
import pino from 'pino';
import { createRunboxClient } from '../src/client/runbox-client.js';
import { limitsFromConfig, loadConfig, poolSettings } from '../src/config/config.js';
import { buildContainerSpec, type SandboxProfile } from '../src/sandbox/container-spec.js';
import { createSandbox } from '../src/sandbox/sandbox.js';
import { CLIENTS, helloTask, load, settle, sleep, startRunbox, submit } from './bench-service.js';
import type { EngineCpu } from './engine-cpu.js';

const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 40);
const THROUGHPUT_RUNS = Number(process.env.BENCH_RUNS ?? 500);
/**
 * Runs each contender does at its load's width, unmeasured, before its measured load: a
 * fresh process's first hundreds of runs include V8 compiling its hot code, and the raw
 * path's client is already warm from its probes by then. A fifth of the measured load.
 */
const warmupRuns = (runs: number) => Math.round(runs / 5);
/** WORKER_CONCURRENCY's default: runs a worker runs at once. */
const WORKER_SLOTS = loadConfig({}).workerConcurrency;
const docker = new Docker();

// ---- statistics ----

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const percentile = (xs: number[], p: number) => {
  const s = sorted(xs);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
interface Latency {
  p50: number;
  p95: number;
  p99: number;
}
const latencyOf = (xs: number[]): Latency => ({ p50: percentile(xs, 50), p95: percentile(xs, 95), p99: percentile(xs, 99) });
const ms = (x: number | undefined) => (x === undefined ? '-' : `${x.toFixed(x < 10 ? 1 : 0)} ms`);

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Each part's mean over several loads. */
function meanEngine(loads: EngineCpu[]): EngineCpu {
  const containers = loads.map((l) => l.containers);
  return {
    dockerd: mean(loads.map((l) => l.dockerd)),
    containerd: mean(loads.map((l) => l.containerd)),
    'shims and runc': mean(loads.map((l) => l['shims and runc'])),
    containers: containers.every((x): x is number => x !== undefined) ? mean(containers) : undefined,
  };
}
async function sequential(n: number, task: () => Promise<void>, gapMs = 0): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await task();
    times.push(performance.now() - t0);
    if (gapMs) await sleep(gapMs);
  }
  return times;
}

// ---- the contenders ----

/** The system's python3 (not a version manager's shim, which starts a shell first). */
const hostPython = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => existsSync(p)) ?? 'python3';

function hostProcess(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(hostPython, ['-c', 'print("hello")'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (code) => (code === 0 && out === 'hello\n' ? resolve() : reject(new Error(`host python: ${code} ${out}`))));
  });
}

/** A hand-made `docker run --rm` of a locked-down container: create, start, wait, remove. */
async function rawDocker(runtime: string): Promise<void> {
  const spec = buildContainerSpec({
    profile: {
      image: 'runbox/python:latest',
      runtime,
      limits: { memoryMb: 256, cpus: 1, pids: 64, diskMb: 64 },
      network: false,
      root: false,
    },
    name: `runbox-bench-raw-${randomUUID()}`,
  });
  // The program itself as the container's command, the sandbox user, nothing attached.
  Object.assign(spec, {
    Cmd: ['python3', '-c', 'print("hello")'],
    User: '1000:1000',
    AttachStdin: false,
    OpenStdin: false,
    StdinOnce: false,
    Labels: {},
  });
  delete spec.HostConfig!.CapAdd;
  const container = await docker.createContainer(spec);
  await container.start();
  const { StatusCode } = (await container.wait()) as { StatusCode: number };
  await container.remove({ force: true });
  if (StatusCode !== 0) throw new Error(`raw container exited ${StatusCode}`);
}

/** Resident set of a process, bytes. */
const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

/** How long a chunk the program writes takes to reach a WebSocket client: the program prints the wall clock. */
async function streamingLatency(url: string): Promise<number[]> {
  const source = 'import time\nfor i in range(40):\n    print(repr(time.time()), flush=True)\n    time.sleep(0.05)';
  const client = createRunboxClient({ url });
  const { id } = await client.submit({ language: 'python', source });
  const delays: number[] = [];
  for await (const frame of client.stream(id)) {
    if (frame.type !== 'stdout') continue;
    const now = Date.now() / 1000;
    // A frame may carry several lines coalesced: each line's own delay.
    for (const line of frame.data.split('\n').filter(Boolean)) delays.push((now - Number(line)) * 1000);
  }
  return delays.slice(2); // the first lines ride on the sandbox's start
}

const judgeSource = '#include <iostream>\nint main(){long long a,b;std::cin>>a>>b;std::cout<<a+b<<"\\n";}';
async function judgeRun(url: string): Promise<{ totalMs: number; compileMs: number }> {
  const tests = Array.from({ length: 50 }, (_, i) => ({ stdin: `${i} ${i * 7}`, expected: String(i * 8) }));
  const t0 = performance.now();
  const record = await submit(url, { language: 'cpp', source: judgeSource, tests }, '');
  if (record.verdict !== 'accepted') throw new Error(`judge run: ${record.verdict}`);
  return { totalMs: performance.now() - t0, compileMs: record.compile?.timeMs ?? 0 };
}

// ---- one runtime's table ----

interface Row {
  name: string;
  latency: Latency;
  rate: number;
  note?: string;
  /** The raw Docker rate measured around this row's load, its throughput's yardstick. */
  rawAround?: number;
  /** Its latencies are those of the throughput load (many at once), not of one at a time: no ratio to raw's. */
  latencyUnderLoad?: boolean;
  /**
   * CPU per run under the throughput load, ms: the whole machine's, runbox's own process's and
   * its Redis's, the engine's side, and the load's client (this process).
   */
  cpu?: { machine: number; runbox?: number; redis?: number; engine?: EngineCpu; client?: number };
}

/** A python hello through runbox's sandbox module alone, in this process: no HTTP, queue or Redis. */
function sandboxModule(runtime: string) {
  const config = loadConfig({ SANDBOX_RUNTIME: runtime });
  const { memoryMb, cpus, pids, diskMb, timeMs, cpuTimeMs, outputBytes } = limitsFromConfig(config).defaults;
  const sandbox = createSandbox({
    docker,
    log: pino({ level: 'warn' }),
    pool: poolSettings(config),
  });
  const profile: SandboxProfile = {
    image: 'runbox/python:latest',
    runtime,
    limits: { memoryMb, cpus, pids, diskMb },
    network: false,
    root: false,
  };
  sandbox.warm([profile]);
  let n = 0;
  return {
    async run(): Promise<void> {
      const session = await sandbox.open(profile, { owner: `bench-${n++}`, lifetimeMs: 10_000 });
      let out = '';
      try {
        await session.execute({
          command: ['python3', '-c', 'print("hello")'],
          env: {},
          limits: { timeMs, cpuTimeMs, outputBytes },
          onOutput: (_stream, data) => (out += data.toString()),
        });
      } finally {
        session.close();
      }
      if (out !== 'hello\n') throw new Error(`the sandbox module printed ${JSON.stringify(out)}`);
    },
    close: () => sandbox.close(),
  };
}

async function measure(runtime: string, runs: number, sequentialRuns: number) {
  const rows: Row[] = [];
  const extra: Record<string, unknown> = {};
  console.error(`[bench] ${runtime}: raw Docker API`);
  const rawLatency = latencyOf(await sequential(sequentialRuns, () => rawDocker(runtime)));
  // The best concurrency for the engine, from a short run at each; the rate itself is measured
  // right before and after each runbox load (the machine drifts over minutes: a host that has
  // made many containers makes the next ones slower), and each runbox rate is set against the
  // mean of the two around it.
  let width = 8;
  let probeBest = 0;
  for (const w of [4, 8, 16]) {
    const { rate } = await load(Math.max(30, Math.round(runs / 8)), w, () => rawDocker(runtime));
    if (rate > probeBest) [probeBest, width] = [rate, w];
  }
  const rawCpu: number[] = [];
  const rawEngine: EngineCpu[] = [];
  const rawClient: number[] = [];
  const rawRate = async () => {
    const { rate, machineMs, engine, clientMs } = await load(runs, width, () => rawDocker(runtime));
    rawCpu.push(machineMs);
    rawEngine.push(engine);
    rawClient.push(clientMs);
    return rate;
  };
  const rawRates = [await rawRate()];

  for (const pool of ['off', 'on'] as const) {
    console.error(`[bench] ${runtime}: runbox pool ${pool}`);
    const service = await startRunbox({ SANDBOX_RUNTIME: runtime, ...(pool === 'off' ? { POOL_SIZE: '0' } : {}) });
    try {
      await settle();
      await submit(service.url); // warm-up: connections open, images in the page cache
      await settle();
      const idleRss = rssOf(service.pid);
      // One at a time, with a pause between, as a person at a playground clicks Run.
      const latency = latencyOf(await sequential(sequentialRuns, helloTask(service.url), 200));
      await settle();
      await load(warmupRuns(runs), CLIENTS, helloTask(service.url));
      await settle();
      let peakRss = idleRss;
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssOf(service.pid))), 100);
      const own0 = service.cpuMs();
      const { rate, machineMs, engine, clientMs } = await load(runs, CLIENTS, helloTask(service.url));
      const own1 = service.cpuMs();
      clearInterval(sampler);
      await settle();
      rawRates.push(await rawRate());
      const around = (rawRates.at(-2)! + rawRates.at(-1)!) / 2;
      rows.push({
        name: `runbox pool ${pool}`,
        latency,
        rate,
        note: `${runs} runs, ${CLIENTS} clients, every output checked; raw around it ${around.toFixed(1)}/s`,
        rawAround: around,
        cpu: {
          machine: machineMs,
          runbox: (own1.runbox - own0.runbox) / runs,
          redis: (own1.redis - own0.redis) / runs,
          engine,
          client: clientMs,
        },
      });
      if (pool === 'on') {
        const burst = await load(20, 20, helloTask(service.url));
        await settle();
        extra.burst = latencyOf(burst.times);
        extra.streaming = latencyOf(await streamingLatency(service.url));
        extra.memory = { idleMb: idleRss / 2 ** 20, loadMb: peakRss / 2 ** 20 };
        await settle();
        if (runtime === 'runc') extra.judge = await judgeRun(service.url).then(() => judgeRun(service.url));
      }
    } finally {
      await service.stop();
    }
  }
  // The sandbox layer alone (what the worker does per run, without HTTP, queue or Redis), at
  // the worker's own concurrency: where runbox's share of the gap to raw Docker lies.
  console.error(`[bench] ${runtime}: sandbox module alone`);
  const layer = sandboxModule(runtime);
  try {
    await settle();
    await load(warmupRuns(runs), WORKER_SLOTS, layer.run);
    await settle();
    const { rate, times, machineMs, engine, clientMs } = await load(runs, WORKER_SLOTS, layer.run);
    await settle();
    rawRates.push(await rawRate());
    const around = (rawRates.at(-2)! + rawRates.at(-1)!) / 2;
    rows.push({
      name: 'sandbox module alone',
      latency: latencyOf(times),
      latencyUnderLoad: true,
      rate,
      note: `${runs} runs, ${WORKER_SLOTS} at once (the worker's slots; latencies under that load), pool on, in the bench process; raw around it ${around.toFixed(1)}/s`,
      rawAround: around,
      // Its client is the sandbox layer itself: runbox's own CPU here.
      cpu: { machine: machineMs, runbox: clientMs, engine },
    });
  } finally {
    await layer.close();
  }
  const rawMean = mean(rawRates);
  rows.unshift({
    name: 'raw Docker API cold path',
    latency: rawLatency,
    rate: rawMean,
    note: `${width} at once (the best of 4, 8, 16); ${rawRates.map((r) => r.toFixed(1)).join(', ')}/s over the run`,
    rawAround: rawMean,
    cpu: { machine: mean(rawCpu), engine: meanEngine(rawEngine), client: mean(rawClient) },
  });
  return { rows, extra };
}

/**
 * The machine's CPU per run under the load; runbox's own process's and Redis's where measured;
 * then the engine's side: dockerd, containerd, inside the containers, and the load's client
 * (the bench process: the raw path's Docker client or runbox's HTTP clients).
 */
function cpuOf(row: Row): string {
  if (!row.cpu) return '-';
  const { runbox, redis, engine, client } = row.cpu;
  const parts = [
    runbox !== undefined && `runbox ${ms(runbox)}`,
    redis !== undefined && `Redis ${ms(redis)}`,
    engine && `dockerd ${ms(engine.dockerd)}, containerd ${ms(engine.containerd)}`,
    // A shim reaps its container's processes, so their CPU is counted with the shims'; the
    // cgroups' figure says how much of it ran inside the containers.
    engine &&
      `shims, runc and the containers' processes ${ms(engine['shims and runc'])}${
        engine.containers === undefined ? '' : ` (in containers ${ms(engine.containers)})`
      }`,
    client !== undefined && `client ${ms(client)}`,
  ];
  const own = parts.filter(Boolean).join(', ');
  return `${ms(row.cpu.machine)}${own ? ` (${own})` : ''}`;
}

function print(runtime: string, host: Row | undefined, result: Awaited<ReturnType<typeof measure>>) {
  const raw = result.rows[0];
  const all = host ? [host, ...result.rows] : result.rows;
  console.log(`\n## ${runtime}\n`);
  console.log('| contender | p50 | p95 | p99 | runs/s | p50 / raw Docker | runs/s / raw Docker | CPU per run | how |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const row of all) {
    console.log(
      `| ${row.name} | ${ms(row.latency.p50)} | ${ms(row.latency.p95)} | ${ms(row.latency.p99)} | ${row.rate.toFixed(1)} | ${row.latencyUnderLoad ? '-' : `${(row.latency.p50 / raw.latency.p50).toFixed(2)}x`} | ${(row.rate / (row.rawAround ?? raw.rate)).toFixed(2)}x | ${cpuOf(row)} | ${row.note ?? ''} |`,
    );
  }
  const x = result.extra as {
    burst?: Latency;
    streaming?: Latency;
    memory?: { idleMb: number; loadMb: number };
    judge?: { totalMs: number; compileMs: number };
  };
  console.log('');
  if (x.burst) console.log(`- burst of 20 at once, pool on: p50 ${ms(x.burst.p50)}, p95 ${ms(x.burst.p95)}`);
  if (x.streaming)
    console.log(`- a chunk the program writes reaches a WebSocket client: p50 ${ms(x.streaming.p50)}, p95 ${ms(x.streaming.p95)}`);
  if (x.memory)
    console.log(
      `- API + worker resident set: idle ${x.memory.idleMb.toFixed(0)} MB, under the ${CLIENTS}-client load ${x.memory.loadMb.toFixed(0)} MB`,
    );
  if (x.judge) console.log(`- judge mode, C++ A+B against 50 tests: ${ms(x.judge.totalMs)} end to end (compile ${ms(x.judge.compileMs)})`);
}

const jsonAt = process.argv.indexOf('--json');
const report: Record<string, unknown> = { date: new Date().toISOString() };
console.error('[bench] bare host process');
const hostLatency = latencyOf(await sequential(SEQUENTIAL, hostProcess));
const hostLoad = await load(THROUGHPUT_RUNS, CLIENTS, hostProcess);
const host: Row = {
  name: 'bare host process',
  latency: hostLatency,
  rate: hostLoad.rate,
  cpu: { machine: hostLoad.machineMs },
  note: 'python3 spawned on the host, no isolation',
};
const runc = await measure('runc', THROUGHPUT_RUNS, SEQUENTIAL);
print('runc', host, runc);
report.runc = { host, ...runc };
const engineHasRunsc = async () => Boolean(((await docker.info()) as { Runtimes?: Record<string, unknown> }).Runtimes?.runsc);
const gvisorLeftOut =
  process.env.BENCH_GVISOR === '0' ? 'BENCH_GVISOR=0' : (await engineHasRunsc()) ? undefined : 'no runsc runtime on this engine';
if (gvisorLeftOut) {
  console.log(`\n(${gvisorLeftOut}: the gVisor table is left out)`);
} else {
  const runsc = await measure('runsc', Math.round(THROUGHPUT_RUNS / 5), Math.round(SEQUENTIAL / 2));
  print('runsc (gVisor)', undefined, runsc);
  report.runsc = runsc;
}
if (jsonAt > 0) writeFileSync(process.argv[jsonAt + 1], JSON.stringify(report, null, 2));
