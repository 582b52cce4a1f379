// Judge mode on a worker: every test as a fresh process in one sandbox, the work folder, the
// scratch folders and IPC restored between tests (or, with isolateTests, a sandbox each), each
// compared with its expected output and given a verdict.
import { Verdict, type TestResult } from '../domain/run-record.js';
import { runVerdictOfTests, testVerdictOf, type TestVerdict } from '../domain/verdict.js';
import type { SandboxProfile } from '../sandbox/container-spec.js';
import type { ExecutionResult } from '../sandbox/execution-result.js';
import type { ExecutionRequest } from '../sandbox/sandbox-session.js';
import { SandboxCommandError } from '../sandbox/sandbox-session.js';
import type { WorkFolder } from '../sandbox/work-folder.js';
import type { EventPublisher } from '../store/event-stream.js';
import type { JudgeSpec } from '../domain/run-spec.js';
import type { RunProgress } from './fault-decision.js';
import type { OutputComparer } from './output-comparer.js';
import { createOutputSink, decodeOutput, type OutputSink } from './output-sink.js';
import type { SandboxPort, SessionPort } from './sandbox-port.js';

export interface JudgeOptions {
  sandbox: SandboxPort;
  profile: SandboxProfile;
  runId: string;
  /** The compiled (or source) work folder. */
  folder: WorkFolder;
  /** How to run the program; each test's stdin is added. */
  execution: Omit<ExecutionRequest, 'stdin' | 'onOutput'>;
  judge: JudgeSpec;
  events: EventPublisher;
  /** How much of each test's stdout and stderr the record keeps. */
  testOutputBytes: number;
  killGraceMs: number;
  progress: RunProgress;
  /** Compares outputs; large ones off the event loop (output-comparer.ts). */
  comparer: Pick<OutputComparer, 'compare'>;
}

export interface JudgeOutcome {
  tests: TestResult[];
  verdict: TestVerdict;
  cancelled: boolean;
}

const clip = (bytes: Buffer, max: number) => ({ text: decodeOutput(bytes.subarray(0, max)), clipped: bytes.length > max });

export async function judgeTests(o: JudgeOptions): Promise<JudgeOutcome> {
  const { judge } = o;
  const tests: TestResult[] = [];
  let cancelled = false;
  const sinks = judge.tests.map((_, i) => createOutputSink(o.events, 'test', i));

  /** Records one test; false when the run should stop here. */
  const record = async (i: number, result: ExecutionResult, sink: OutputSink): Promise<boolean> => {
    sink.flush();
    if (result.cancelled) {
      cancelled = true;
      return false;
    }
    const stdout = decodeOutput(result.stdout);
    const verdict = testVerdictOf(result, await o.comparer.compare(stdout, judge.tests[i].expected, judge.compare, judge.floatTolerance));
    const out = clip(result.stdout, o.testOutputBytes);
    const err = clip(result.stderr, o.testOutputBytes);
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

  /** A sandbox with the work folder in it, kept as the state every test starts from. */
  const openSandbox = async (testsLeft: number): Promise<SessionPort> => {
    const lifetimeMs = testsLeft * (o.execution.limits.timeMs + o.killGraceMs);
    const session = await o.sandbox.open(o.profile, { owner: o.runId, lifetimeMs });
    try {
      await session.putFiles(o.folder);
      if (!judge.isolateTests) await session.snapshot();
      return session;
    } catch (error) {
      session.close();
      throw error;
    }
  };

  const run = (session: SessionPort, i: number) => {
    o.progress.executions++;
    return session.execute({ ...o.execution, stdin: Buffer.from(judge.tests[i].stdin), onOutput: sinks[i].onOutput });
  };

  let session: SessionPort | undefined;
  try {
    for (let i = 0; i < judge.tests.length; i++) {
      if (judge.isolateTests) {
        session = await openSandbox(1);
      } else if (!session?.usable) {
        // The first test, or the sandbox ended with the last one (killed at its limit, or under
        // gVisor killed for memory with its supervisor): the rest go on in a fresh one.
        session?.close();
        session = await openSandbox(judge.tests.length - i);
      } else {
        try {
          await session.restore();
        } catch (error) {
          if (!(error instanceof SandboxCommandError)) throw error;
          session.close();
          session = await openSandbox(judge.tests.length - i);
        }
      }
      const result = await run(session, i);
      if (judge.isolateTests) {
        session.close();
        session = undefined;
      }
      if (!(await record(i, result, sinks[i]))) break;
    }
  } finally {
    session?.close();
  }
  return { tests, verdict: runVerdictOfTests(tests.map((t) => t.verdict)), cancelled };
}
