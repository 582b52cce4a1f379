// How one execution's result is put together: the program's output as it came (each stream up
// to its cap), runbox-run's report when there is one, and what the host itself saw (its own
// kill at the time limit, a cancel, the engine's view of a sandbox that died). Pure.
import { constants } from 'node:os';
import type { RunnerReport } from './runner-protocol.js';

export type OutputStream = 'stdout' | 'stderr';

export interface ExecutionResult {
  exitCode: number | null;
  signal: string | null;
  timeMs: number;
  cpuTimeMs: number | null;
  memoryBytes: number | null;
  oomKilled: boolean;
  timedOut: boolean;
  outputExceeded: boolean;
  cancelled: boolean;
  stdout: Buffer;
  stderr: Buffer;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
}

/** What the host knows besides the report. */
export interface HostFacts {
  /** The worker killed the sandbox at the time limit (runbox-run had not stopped the program). */
  timedOut: boolean;
  cancelled: boolean;
  /** The engine says the kernel's OOM killer ended it (or, under gVisor, nothing else explains its end). */
  oomKilled: boolean;
  /** The sandbox's exit status, when it died without a report. */
  exitStatus?: number;
  /** Wall time the host measured, when there is no report. */
  elapsedMs: number;
  /** The limits the execution was given, checked against the report's own figures. */
  limits: { timeMs: number; cpuTimeMs: number };
}

// The first name of each number wins: SIGABRT, not its alias SIGIOT.
const signalNames = new Map<number, string>();
for (const [name, no] of Object.entries(constants.signals)) if (!signalNames.has(no)) signalNames.set(no, name);
export const signalName = (no: number) => signalNames.get(no) ?? `SIG${no}`;

/** Collects one stream's bytes up to a cap, remembering whether more came. */
export function createBoundedBuffer(cap: number) {
  const chunks: Buffer[] = [];
  let size = 0;
  let overflow = false;
  return {
    /** Keeps what fits; returns the part kept. */
    push(data: Buffer): Buffer {
      const room = cap - size;
      if (data.length > room) overflow = true;
      const kept = data.length > room ? data.subarray(0, Math.max(room, 0)) : data;
      if (kept.length > 0) chunks.push(Buffer.from(kept));
      size += kept.length;
      return kept;
    },
    get overflow() {
      return overflow;
    },
    bytes: () => Buffer.concat(chunks),
  };
}

/** One execution's output and runbox's own notes, assembled into a result at the end. */
export function createExecutionCollector(outputBytes: number) {
  const outputs = { stdout: createBoundedBuffer(outputBytes), stderr: createBoundedBuffer(outputBytes) };
  /** runbox's own words for the record's stderr: outside the program's cap, never a reason to call its output too long. */
  const notes: string[] = [];
  return {
    outputs,
    note: (text: string) => void notes.push(`\nrunbox: ${text}\n`),
    result(report: RunnerReport | undefined, host: HostFacts): ExecutionResult {
      const exitSignal = report ? report.signal : host.exitStatus !== undefined && host.exitStatus > 128 ? host.exitStatus - 128 : 0;
      const exitCode = report
        ? report.signal
          ? null
          : report.exitCode
        : exitSignal || host.exitStatus === undefined
          ? null
          : host.exitStatus;
      // The report's own figures against the limits: a report that says it stayed within them
      // while its times say otherwise is held to its times.
      const overTime = report !== undefined && (report.timeMs > host.limits.timeMs || report.cpuTimeMs > host.limits.cpuTimeMs);
      return {
        exitCode,
        signal: exitSignal ? signalName(exitSignal) : null,
        timeMs: report?.timeMs ?? host.elapsedMs,
        cpuTimeMs: report?.cpuTimeMs ?? null,
        memoryBytes: report && report.memoryBytes > 0 ? report.memoryBytes : null,
        oomKilled: Boolean(report?.oomKilled || host.oomKilled),
        timedOut: host.timedOut || Boolean(report?.timedOut || report?.cpuExceeded) || overTime,
        outputExceeded: outputs.stdout.overflow || outputs.stderr.overflow || Boolean(report?.outputExceeded),
        cancelled: host.cancelled,
        stdout: outputs.stdout.bytes(),
        stderr: Buffer.concat([outputs.stderr.bytes(), Buffer.from(notes.join(''))]),
        stdoutTruncated: outputs.stdout.overflow || report?.outputExceeded === 'stdout',
        stderrTruncated: outputs.stderr.overflow || report?.outputExceeded === 'stderr',
      };
    },
  };
}
export type ExecutionCollector = ReturnType<typeof createExecutionCollector>;
