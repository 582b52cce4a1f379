// npm run bench:profile: where runbox's own CPU goes on the warm path, sampled on CPU time.
//
// Starts a runbox of its own (node dist/main.js with --perf-basic-prof, its own Redis, pool on),
// warms it up (BENCH_WARMUP python hellos, default 300: a fresh process's first hundreds of
// runs include V8 compiling its hot code), then records it with perf(1) while BENCH_RUNS hellos
// (default 200) come from 16 clients. Prints runbox's CPU per run (from /proc) and how the
// samples split: by kind of work, by library (the innermost frame that names a package, a
// runbox module or node's core) and by function, each as a share and as ms per run.
//
// V8's own profiler (node --cpu-prof) samples wall time: on a host the containers saturate,
// a thread preempted in a socket write is charged to the write. perf samples only on CPU.
// Needs perf (Debian: apt-get install linux-perf) and the python image (make images).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePerfScript, profileShares } from './perf-samples.js';
import { CLIENTS, helloTask, load, settle, sleep, startRunbox } from './bench-service.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 200);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 300);
const SHOWN = 15;

if (spawnSync('perf', ['--version']).status !== 0) {
  console.error('bench:profile needs perf(1) on the PATH (Debian: apt-get install linux-perf)');
  process.exit(2);
}

// Interpreted frames get a native frame of their own, so perf sees their functions too.
const nodeOptions = `${process.env.NODE_OPTIONS ?? ''} --perf-basic-prof --interpreted-frames-native-stack`.trim();
const service = await startRunbox({ NODE_OPTIONS: nodeOptions });
const folder = mkdtempSync(join(tmpdir(), 'runbox-profile-'));
const data = join(folder, 'perf.data');
let recorder: ChildProcess | undefined;
let recorded: Promise<unknown> | undefined;
try {
  await settle();
  console.error(`[profile] warm-up: ${WARMUP} hellos from ${CLIENTS} clients`);
  await load(WARMUP, CLIENTS, helloTask(service.url));
  await settle();
  recorder = spawn('perf', ['record', '-F', '499', '-g', '-o', data, '-p', String(service.pid)], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  recorded = once(recorder, 'exit');
  await sleep(1000);
  // perf ends at once where it may not watch the process (perf_event_paranoid, no CAP_PERFMON).
  if (recorder.exitCode !== null) throw new Error(`perf record ended at once (exit ${recorder.exitCode}); see its message above`);
  console.error(`[profile] recording ${RUNS} hellos from ${CLIENTS} clients`);
  const cpu0 = service.cpuMs();
  const { rate } = await load(RUNS, CLIENTS, helloTask(service.url));
  const cpu1 = service.cpuMs();
  recorder.kill('SIGINT');
  await recorded;
  const script = spawnSync('perf', ['script', '-i', data, '-F', 'comm,tid,ip,sym,dso'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (script.status !== 0) throw new Error(`perf script failed: ${script.stderr}`);
  const profile = profileShares(parsePerfScript(script.stdout), process.cwd());

  const perRun = (cpu1.runbox - cpu0.runbox) / RUNS;
  console.log(`${RUNS} python hellos from ${CLIENTS} clients after ${WARMUP} of warm-up: ${rate.toFixed(1)} runs/s`);
  console.log(
    `runbox's process: ${perRun.toFixed(1)} ms of CPU per run (/proc); its Redis: ${((cpu1.redis - cpu0.redis) / RUNS).toFixed(1)} ms; ${profile.samples} samples`,
  );
  const table = (title: string, rows: [string, number][]) => {
    console.log(`\n| ${title} | share | ms per run |\n|---|---:|---:|`);
    for (const [name, share] of rows.slice(0, SHOWN))
      console.log(`| ${name.replaceAll('|', '\\|')} | ${(share * 100).toFixed(1)} % | ${(share * perRun).toFixed(2)} |`);
  };
  table('kind of work', profile.kinds);
  table('library (innermost frame that names one)', profile.libraries);
  table('function (innermost frame)', profile.functions);
} finally {
  if (recorder && recorder.exitCode === null && recorder.signalCode === null) {
    recorder.kill('SIGINT');
    await recorded;
  }
  await service.stop();
  rmSync(folder, { recursive: true, force: true });
  // node --perf-basic-prof writes its symbol map here.
  rmSync(`/tmp/perf-${service.pid}.map`, { force: true });
}
