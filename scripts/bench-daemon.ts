// npm run bench:daemon: where a sandbox's milliseconds go in the Docker daemon, and what each
// choice of runbox costs or buys there. One container at a time, SEQUENTIAL of each kind:
//
//   per phase   create, attach, start, runbox-run ready, files, exec, remove, of a cold sandbox
//   variants    the same python hello as a bare container (network none only), as a container
//               with every sandbox option, with AutoRemove instead of a remove call, attached
//               as runbox is, and under each OCI runtime the engine has (runc, crun)
//   CPU         of dockerd, containerd, the shims and runc (exited shims and runc are counted
//               through PID 1, which reaps them), per container, from /proc
//
// Usage: node --import tsx scripts/bench-daemon.ts   (needs the python image)
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import pino from 'pino';
import { buildContainerSpec, type SandboxProfile } from '../src/sandbox/container-spec.js';
import { createSandbox } from '../src/sandbox/sandbox.js';
import { WorkFolder } from '../src/sandbox/work-folder.js';
import { engineCpu, enginePerRun } from './engine-cpu.js';

const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 30);
const docker = new Docker();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const profile = (runtime: string): SandboxProfile => ({
  image: 'runbox/python:latest',
  runtime,
  limits: { memoryMb: 256, cpus: 1, pids: 64, diskMb: 64 },
  network: false,
  root: false,
});
interface Variant {
  name: string;
  run: () => Promise<void>;
}

let count = 0;
async function plain(spec: Docker.ContainerCreateOptions, { autoRemove = false, attach = false } = {}): Promise<void> {
  const container = await docker.createContainer({
    ...spec,
    name: `runbox-bench-daemon-${process.pid}-${count++}`,
    HostConfig: { ...spec.HostConfig, AutoRemove: autoRemove },
  });
  let stream: Duplex | undefined;
  if (attach) stream = (await container.attach({ stream: true, stdout: true, stderr: true, hijack: true })) as Duplex;
  await container.start();
  await container.wait();
  stream?.destroy();
  if (!autoRemove) await container.remove({ force: true });
}

function sandboxSpec(runtime: string): Docker.ContainerCreateOptions {
  const spec = buildContainerSpec({ profile: profile(runtime), name: 'unused' });
  Object.assign(spec, {
    Cmd: ['python3', '-c', 'print("hello")'],
    User: '1000:1000',
    AttachStdin: false,
    OpenStdin: false,
    StdinOnce: false,
  });
  delete spec.HostConfig!.CapAdd;
  return spec;
}

const minimal: Docker.ContainerCreateOptions = {
  Image: 'runbox/python:latest',
  Cmd: ['python3', '-c', 'print("hello")'],
  HostConfig: { NetworkMode: 'none', LogConfig: { Type: 'none', Config: {} } },
};

async function measure(variant: Variant) {
  await variant.run(); // warm-up
  const before = engineCpu();
  const times: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const t0 = performance.now();
    await variant.run();
    times.push(performance.now() - t0);
  }
  await new Promise((r) => setTimeout(r, 500)); // the last shim's exit
  const cpu = enginePerRun(before, engineCpu(), SEQUENTIAL);
  return { name: variant.name, p50: median(times), cpu };
}

const info = (await docker.info()) as { Runtimes?: Record<string, unknown> };
const runtimes = ['runc', 'crun'].filter((r) => info.Runtimes?.[r]);

// Per phase, through runbox's own sandbox module, pool off.
const log = pino({ level: 'silent' });
const sandbox = createSandbox({ docker, log });
const phases: Record<string, number[]> = {
  'open (create, attach, start, ready)': [],
  'write files': [],
  'exec python hello': [],
  close: [],
};
for (let i = 0; i <= SEQUENTIAL; i++) {
  const t0 = performance.now();
  const session = await sandbox.open(profile('runc'), { owner: 'bench', lifetimeMs: 60_000 });
  const t1 = performance.now();
  await session.putFiles(WorkFolder.fromFiles([{ name: 'main.py', content: Buffer.from('print("hello")') }]));
  const t2 = performance.now();
  await session.execute({ command: ['python3', 'main.py'], env: {}, limits: { timeMs: 5000, cpuTimeMs: 5000, outputBytes: 1024 } });
  const t3 = performance.now();
  session.close();
  await sandbox.close(); // waits for the removal: its time shown apart, off the run's path in runbox
  const t4 = performance.now();
  if (i === 0) continue;
  phases['open (create, attach, start, ready)'].push(t1 - t0);
  phases['write files'].push(t2 - t1);
  phases['exec python hello'].push(t3 - t2);
  phases.close.push(t4 - t3);
}
console.log('\n## A cold sandbox, phase by phase (runc, median of', SEQUENTIAL, ')\n');
console.log('| phase | median |\n| --- | --- |');
for (const [phase, times] of Object.entries(phases)) console.log(`| ${phase} | ${median(times).toFixed(1)} ms |`);

// Create/start/delete costs of the choices.
const variants: Variant[] = [
  { name: 'bare: network none, nothing else', run: () => plain(minimal) },
  ...runtimes.flatMap((runtime) => [
    { name: `every sandbox option (${runtime})`, run: () => plain(sandboxSpec(runtime)) },
    {
      name: `every sandbox option, AutoRemove instead of a remove call (${runtime})`,
      run: () => plain(sandboxSpec(runtime), { autoRemove: true }),
    },
    { name: `every sandbox option, attached as runbox is (${runtime})`, run: () => plain(sandboxSpec(runtime), { attach: true }) },
  ]),
];
console.log('\n## One container, create to gone, by option (median of', SEQUENTIAL, ', CPU per container)\n');
console.log('| variant | p50 | dockerd CPU | containerd CPU | shims and runc CPU |\n| --- | --- | --- | --- | --- |');
for (const variant of variants) {
  const m = await measure(variant);
  console.log(
    `| ${m.name} | ${m.p50.toFixed(0)} ms | ${m.cpu.dockerd.toFixed(0)} ms | ${m.cpu.containerd.toFixed(0)} ms | ${m.cpu['shims and runc'].toFixed(0)} ms |`,
  );
}
