// The compile step of a compiled runtime: the sources in a sandbox of their own with the
// compiler's limits, its output streamed as phase "compile", and, when it succeeds, the work
// folder brought back (data only, holes skipped) for the program's sandbox. A folder larger
// than the program's work folder could hold is a compilation error that says so.
import type { Limits } from '../domain/limits.js';
import { Verdict, type CompileResult } from '../domain/run-record.js';
import { expandCommand, type Runtime } from '../domain/runtimes.js';
import { verdictOf } from '../domain/verdict.js';
import type { ExecutionResult } from '../sandbox/execution-result.js';
import type { WorkFolder } from '../sandbox/work-folder.js';
import type { EventPublisher } from '../store/event-stream.js';
import { createOutputSink, decodeOutput } from './output-sink.js';
import type { RunProgress } from './fault-decision.js';
import type { SandboxPort } from './sandbox-port.js';
import { profileFor, type ProfileOptions } from './sandbox-profile.js';

const MiB = 1024 * 1024;

export interface CompileOptions {
  sandbox: SandboxPort;
  runtime: Runtime;
  runId: string;
  /** The run's limits; the compiler gets its own time, memory and output over them. */
  limits: Limits;
  compileLimits: Pick<Limits, 'timeMs' | 'memoryMb' | 'outputBytes'>;
  folder: WorkFolder;
  entry: string;
  sources: string[];
  /** Where the compiler's output is published (phase compile); a checker's or interactor's is not published at all. */
  events?: EventPublisher;
  signal: AbortSignal;
  profile: ProfileOptions;
  progress: RunProgress;
  killGraceMs: number;
}

export interface CompileOutcome {
  result: ExecutionResult;
  compile: CompileResult;
  /** The compiled work folder, when the compile succeeded. */
  folder?: WorkFolder;
}

export async function compileStep(o: CompileOptions): Promise<CompileOutcome> {
  const sink = o.events ? createOutputSink(o.events, 'compile') : undefined;
  // The compiler gets its own limits; CPU time is bounded by its wall limit alone.
  const own = { ...o.compileLimits, ...o.runtime.compileLimits };
  const limits: Limits = { ...o.limits, ...own, cpuTimeMs: own.timeMs };
  const session = await o.sandbox.open(profileFor(o.runtime, limits, o.profile), {
    owner: o.runId,
    lifetimeMs: limits.timeMs + o.killGraceMs,
  });
  try {
    await session.putFiles(o.folder);
    o.progress.executions++;
    const result = await session.execute({
      command: expandCommand(o.runtime.compile!, o.entry, o.sources),
      // Never the request's env: the compiler is ours, and runs with its runtime's settings alone.
      env: o.runtime.env ?? {},
      limits,
      signal: o.signal,
      onOutput: sink?.onOutput,
      cgroupPeak: true,
    });
    sink?.flush();
    // The compiler's outcome is judged like a program's; a limit it hit is said in its stderr.
    const verdict = verdictOf(result);
    const exceeded: Partial<Record<Verdict, string>> = {
      [Verdict.timeLimitExceeded]: `time limit of ${limits.timeMs} ms`,
      [Verdict.memoryLimitExceeded]: `memory limit of ${limits.memoryMb} MiB`,
      [Verdict.outputLimitExceeded]: `output limit of ${limits.outputBytes} bytes`,
    };
    let stderr = decodeOutput(result.stderr);
    if (exceeded[verdict]) stderr += `\ncompilation exceeded its ${exceeded[verdict]}`;
    const compile = (extra = ''): CompileResult => ({
      exitCode: result.exitCode,
      stdout: decodeOutput(result.stdout),
      stderr: stderr + extra,
      timeMs: result.timeMs,
    });
    if (verdict !== Verdict.ok || result.cancelled) return { result, compile: compile() };

    // What the program's sandbox can hold, and no more, comes back.
    const budget = o.limits.diskMb * MiB;
    const collected = await session.collect(budget);
    if (collected.collected.exceeded || collected.error) {
      collected.folder.dispose();
      const why = collected.error
        ? `\nrunbox: the compiled work folder could not be read back (${collected.error})`
        : `\nrunbox: the compiled work folder holds more than the program's work folder does (limits.diskMb, ${o.limits.diskMb} MiB)`;
      return { result: { ...result, exitCode: result.exitCode }, compile: { ...compile(why), exitCode: result.exitCode ?? 1 } };
    }
    return { result, compile: compile(), folder: collected.folder };
  } finally {
    session.close();
  }
}
