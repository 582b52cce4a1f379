// What a stand-in sandbox answers: an execution that exited 0 with `stdout`, or as `over` says.
import type { ExecutionResult } from '../../src/sandbox/execution-result.js';

export const executionResult = (stdout: string, over: Partial<ExecutionResult> = {}): ExecutionResult => ({
  exitCode: 0,
  signal: null,
  timeMs: 5,
  cpuTimeMs: 4,
  memoryBytes: 1000,
  oomKilled: false,
  timedOut: false,
  outputExceeded: false,
  cancelled: false,
  stdout: Buffer.from(stdout),
  stderr: Buffer.alloc(0),
  stdoutTruncated: false,
  stderrTruncated: false,
  ...over,
});
