// Judge mode on a worker: every test as a fresh process in one sandbox (or, with
// isolateTests, a sandbox each), each compared with its expected output and given a verdict.
import { outputMatches } from '../domain/compare.js';
import { Verdict, type TestResult } from '../domain/run-record.js';
import { runVerdictOfTests, testVerdictOf, type TestVerdict } from '../domain/verdict.js';
import { SandboxError, type DockerSandbox, type ExecutionResult, type SandboxRequest } from '../sandbox/docker-sandbox.js';
import type { EventPublisher } from '../store/event-stream.js';
import type { JudgeRequest } from '../store/run-store.js';
import { createOutputSink, decodeOutput, type OutputSink } from './output-sink.js';

export interface JudgeOptions {
  sandbox: DockerSandbox;
  /** The compiled (or source) work folder and how to run the program. */
  execution: SandboxRequest;
  judge: JudgeRequest;
  events: EventPublisher;
  /** How much of each test's stdout and stderr the record keeps. */
  testOutputBytes: number;
}

export interface JudgeOutcome {
  tests: TestResult[];
  verdict: TestVerdict;
  cancelled: boolean;
}

const clip = (bytes: Buffer, max: number) => ({ text: decodeOutput(bytes.subarray(0, max)), clipped: bytes.length > max });

export async function judgeTests({ sandbox, execution, judge, events, testOutputBytes }: JudgeOptions): Promise<JudgeOutcome> {
  const tests: TestResult[] = [];
  let cancelled = false;
  const sinks = judge.tests.map((_, i) => createOutputSink(events, 'test', i));

  /** Records one test; false when the run should stop here. */
  const record = (i: number, result: ExecutionResult, sink: OutputSink): boolean => {
    sink.flush();
    if (result.cancelled) {
      cancelled = true;
      return false;
    }
    const stdout = decodeOutput(result.stdout);
    const verdict = testVerdictOf(result, outputMatches(stdout, judge.tests[i].expected, judge.compare, judge.floatTolerance));
    const out = clip(result.stdout, testOutputBytes);
    const err = clip(result.stderr, testOutputBytes);
    tests.push({
      name: judge.tests[i].name,
      verdict,
      exitCode: result.exitCode,
      signal: result.signal,
      timeMs: result.timeMs,
      cpuTimeMs: result.cpuTimeMs,
      memoryBytes: result.memoryBytes,
      stdout: out.text,
      stderr: err.text,
      stdoutTruncated: result.stdoutTruncated || out.clipped,
      stderrTruncated: result.stderrTruncated || err.clipped,
    });
    return !(judge.stopOnFailure && verdict !== Verdict.accepted);
  };

  try {
    if (judge.isolateTests) {
      for (let i = 0; i < judge.tests.length; i++) {
        const result = await sandbox.execute({ ...execution, stdin: Buffer.from(judge.tests[i].stdin), onOutput: sinks[i].onOutput });
        if (!record(i, result, sinks[i])) break;
      }
    } else {
      // One sandbox for all tests. Should a test take the sandbox down with it (under gVisor an
      // OOM kill takes the supervisor too), the tests after it go on in a fresh one.
      let stopped = false;
      while (!stopped && tests.length < judge.tests.length) {
        const first = tests.length;
        await sandbox.executeTests({
          ...execution,
          tests: judge.tests.slice(first).map((t) => Buffer.from(t.stdin)),
          onOutput: (stream, data, i) => sinks[first + i].onOutput(stream, data),
          onTestEnd: (i, result) => {
            stopped = !record(first + i, result, sinks[first + i]);
            return !stopped;
          },
        });
        if (tests.length === first) break; // no test ended: the sandbox cannot run them
      }
    }
  } catch (error) {
    // Once a test has run, so has the program: a later sandbox that fails to start must not
    // send the run back to the queue to run again.
    if (error instanceof SandboxError && tests.length > 0 && !error.options.started) {
      throw new SandboxError(error.message, { ...error.options, started: true });
    }
    throw error;
  }
  return { tests, verdict: runVerdictOfTests(tests.map((t) => t.verdict)), cancelled };
}
