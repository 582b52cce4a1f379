// What gVisor costs: the same programs through the sandbox under runc and under runsc, in
// one run, each in a cold sandbox. Needs the runtime images and Docker with the runsc runtime
// (make up sets both). Usage: node --import tsx scripts/bench-runtimes.ts
import Docker from 'dockerode';
import pino from 'pino';
import { createSandbox } from '../src/sandbox/sandbox.js';
import { WorkFolder } from '../src/sandbox/work-folder.js';

const limits = { timeMs: 30_000, cpuTimeMs: 30_000, memoryMb: 256, cpus: 1, pids: 64, outputBytes: 65536, diskMb: 16 };
const programs = {
  'python hello (start-up)': 'print("hello")',
  'python CPU-bound (3e7 additions)': 's = 0\nfor i in range(30_000_000): s += i\nprint(s)',
  'python 2,000 small writes to a file': 'for i in range(2000):\n    open("f", "a").write("x" * 100)\nprint("ok")',
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const sandbox = createSandbox({ docker: new Docker(), log: pino({ level: 'silent' }) });
for (const [name, source] of Object.entries(programs)) {
  const line: string[] = [];
  const medians: Record<string, number> = {};
  for (const runtime of ['runc', 'runsc']) {
    const walls: number[] = [];
    const programMs: number[] = [];
    const rounds = name.includes('start-up') ? 9 : 3;
    for (let i = 0; i < rounds; i++) {
      const started = performance.now();
      const session = await sandbox.open(
        { image: 'runbox/python:latest', runtime, limits, network: false, root: false },
        { owner: 'bench', lifetimeMs: 60_000 },
      );
      await session.putFiles(WorkFolder.fromFiles([{ name: 'main.py', content: Buffer.from(source) }]));
      const result = await session.execute({ command: ['python3', 'main.py'], env: {}, limits });
      session.close();
      if (result.exitCode !== 0) throw new Error(`${name} under ${runtime}: ${result.stderr.toString()}`);
      walls.push(performance.now() - started);
      programMs.push(result.timeMs);
    }
    medians[runtime] = median(walls);
    line.push(`${runtime}: sandbox ${median(walls).toFixed(0)} ms, program ${median(programMs)} ms`);
  }
  console.log(`${name}: ${line.join('; ')}; runsc/runc ${(medians.runsc / medians.runc).toFixed(2)}x`);
}
await sandbox.close();
