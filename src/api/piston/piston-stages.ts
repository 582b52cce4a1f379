// A finished run as Piston's stage results: {stdout, stderr, output, code, signal, message,
// status, memory, cpu_time, wall_time} for the run and, for a compiled language, the compile
// stage. `output` is stdout and stderr interleaved in the order they were written, read from
// the run's event stream. Statuses are isolate's, as Piston reports them: RE (non-zero exit),
// SG (a signal), TO (time), OL/EL (stdout/stderr past its cap), XX (the service failed).
import type { RunRecord } from '../../domain/run-record.js';
import { signalNumber } from '../../domain/signals.js';
import type { EventReader } from '../../store/event-stream.js';

export interface PistonStage {
  stdout: string;
  stderr: string;
  output: string;
  code: number | null;
  signal: string | null;
  message: string | null;
  status: string | null;
  memory: number | null;
  cpu_time: number | null;
  wall_time: number | null;
  /** runbox's verdict for this stage (an extension field). */
  verdict?: string | null;
}

/** Compile and run output, each interleaved in the order written; `signal` stops the read. */
export async function interleavedOutput(
  events: Pick<EventReader, 'read'>,
  runId: string,
  signal: AbortSignal,
): Promise<{ compile: string; run: string }> {
  const output = { compile: '', run: '' };
  const decoder = new TextDecoder();
  for await (const frame of events.read(runId, { after: 0, signal })) {
    if (frame.kind === 'end') break;
    if (frame.kind === 'output' && (frame.phase === 'compile' || frame.phase === 'run')) output[frame.phase] += decoder.decode(frame.data);
  }
  return output;
}

/** isolate's status and message for how the program ended, and the signal Piston reports. */
export function pistonOutcome(record: RunRecord): Pick<PistonStage, 'status' | 'message' | 'signal' | 'code'> {
  const killed = { code: null, signal: 'SIGKILL' };
  if (record.status === 'failed')
    return { status: 'XX', message: record.error ?? 'the service could not run the program', code: null, signal: null };
  if (record.status === 'cancelled') return { status: 'SG', message: 'cancelled', ...killed };
  switch (record.verdict) {
    case 'time_limit_exceeded':
      return { status: 'TO', message: 'Time limit exceeded', ...killed };
    case 'output_limit_exceeded':
      return record.stdoutTruncated
        ? { status: 'OL', message: 'stdout length exceeded', ...killed }
        : { status: 'EL', message: 'stderr length exceeded', ...killed };
    case 'memory_limit_exceeded':
      return { status: 'SG', message: 'Memory limit exceeded', ...killed };
    case 'runtime_error':
      if (record.signal)
        return {
          status: 'SG',
          message: `Caught fatal signal ${signalNumber(record.signal) ?? record.signal}`,
          code: null,
          signal: record.signal,
        };
      return { status: 'RE', message: `Exited with error status ${record.exitCode}`, code: record.exitCode, signal: null };
    default:
      return { status: null, message: null, code: record.exitCode, signal: record.signal };
  }
}

export function pistonRunStage(record: RunRecord, output: string): PistonStage {
  return {
    stdout: record.stdout,
    stderr: record.stderr,
    output,
    ...pistonOutcome(record),
    memory: record.memoryBytes,
    cpu_time: record.cpuTimeMs,
    wall_time: record.timeMs,
    verdict: record.verdict,
  };
}

export function pistonCompileStage(compile: NonNullable<RunRecord['compile']>, output: string): PistonStage {
  const failed = compile.exitCode !== 0;
  return {
    stdout: compile.stdout,
    stderr: compile.stderr,
    output,
    code: compile.exitCode,
    signal: compile.exitCode === null ? 'SIGKILL' : null,
    message: failed ? (compile.exitCode === null ? 'Compilation stopped' : `Exited with error status ${compile.exitCode}`) : null,
    status: failed ? (compile.exitCode === null ? 'SG' : 'RE') : null,
    memory: null,
    cpu_time: null,
    wall_time: compile.timeMs,
  };
}

/** Piston's execute answer: the compile stage where there was one; without a run stage (it did not compile), run repeats compile, as Piston does. */
export function pistonResult(record: RunRecord, language: string, version: string, output: { compile: string; run: string }) {
  const compile = record.compile ? pistonCompileStage(record.compile, output.compile) : undefined;
  const run = record.verdict === 'compilation_error' && compile ? compile : pistonRunStage(record, output.run);
  return { language, version, run, ...(compile ? { compile } : {}) };
}
