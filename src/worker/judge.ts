// Judge mode on a worker: every test as a fresh process in one sandbox, the work folder, the
// scratch folders and IPC restored between tests (or, with isolateTests, a sandbox each), each
// given a verdict as its report arrives: by comparing its output with the expected one, or by
// the run's checker, or, with an interactor, by the conversation the two had. Groups decide
// which tests are skipped on the way and what the run scores.
import { Verdict, type GroupResult, type TestResult } from '../domain/run-record.js';
import { createTestPlan, scoreGroups } from '../domain/scoring.js';
import { interactionVerdict } from '../domain/interaction-verdict.js';
import { checkerDecision } from '../domain/testlib.js';
import { isFailure, runVerdictOfTests, verdictOf, type JudgedVerdict, type TestVerdict } from '../domain/verdict.js';
import type { SandboxProfile } from '../sandbox/container-spec.js';
import type { ExecutionResult } from '../sandbox/execution-result.js';
import type { ExecutionRequest } from '../sandbox/sandbox-session.js';
import { SandboxCommandError } from '../sandbox/sandbox-session.js';
import type { WorkFolder } from '../sandbox/work-folder.js';
import type { EventPublisher } from '../store/event-stream.js';
import type { JudgeSpec } from '../domain/run-spec.js';
import type { RunProgress } from './fault-decision.js';
import { interact } from './interaction.js';
import { judgeTestsOf, type JudgeTest } from './judge-inputs.js';
import { JudgeFault, type ProgramSandbox } from './judge-program.js';
import type { OutputComparer } from './output-comparer.js';
import { createOutputSink, decodeOutput } from './output-sink.js';
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
  /** Where the tests' inputs and answers come from (default: the request's own tests). */
  tests?: JudgeTest[];
  /** The run's checker and interactor, ready to run, each in a sandbox of its own. */
  checker?: ProgramSandbox;
  interactor?: ProgramSandbox;
  events: EventPublisher;
  /** How much of each test's stdout and stderr the record keeps. */
  testOutputBytes: number;
  killGraceMs: number;
  /**
   * The wall time one test may take, all its parts together (the program, the checker): each
   * sandbox of the run lives that long per test left (default: the program's limit and the grace).
   */
  perTestMs?: number;
  progress: RunProgress;
  /** Compares outputs; large ones off the event loop (output-comparer.ts). */
  comparer: Pick<OutputComparer, 'compare'>;
  /** Called after each test that was not cancelled, with its sandbox still as the test left it (artifacts). */
  afterTest?: (session: SessionPort, test: number) => Promise<void>;
}

export interface JudgeOutcome {
  tests: TestResult[];
  verdict: JudgedVerdict;
  cancelled: boolean;
  /** Why the judge itself failed (a checker or interactor), if it did: the run ends failed. */
  judgeError?: string;
  /** With groups. */
  scores?: { groups: GroupResult[]; score: number; maxScore: number };
}

/** One test's decision: its verdict, its score in [0, 1], and the checker's or interactor's message. */
interface Decision {
  verdict: JudgedVerdict;
  score: number;
  message?: string;
}

const clip = (bytes: Buffer, max: number) => ({ text: decodeOutput(bytes.subarray(0, max)), clipped: bytes.length > max });

const skippedTest = (name: string): TestResult => ({
  name,
  verdict: Verdict.skipped,
  exitCode: null,
  signal: null,
  timeMs: 0,
  cpuTimeMs: null,
  memoryBytes: null,
  stdout: '',
  stderr: '',
  stdoutTruncated: false,
  stderrTruncated: false,
  score: 0,
});

/** The lower of two decisions: the checker may only take away what the interactor gave. */
const lower = (a: Decision, b: Decision): Decision =>
  isFailure(b.verdict) || b.score < a.score ? { ...b, message: [a.message, b.message].filter(Boolean).join('\n') } : a;

export async function judgeTests(o: JudgeOptions): Promise<JudgeOutcome> {
  const { judge } = o;
  const tests = o.tests ?? judgeTestsOf(judge.tests, undefined);
  const groups = judge.groups;
  /** Tests carry a score and a message when something besides a comparison decides them, or groups count them. */
  const scored = Boolean(o.checker || o.interactor || groups);
  const plan = createTestPlan(tests.length, groups, judge.stopOnFailure);
  const results: TestResult[] = [];
  let cancelled = false;
  const signal = o.execution.signal ?? new AbortController().signal;

  /** A sandbox with the work folder in it, kept as the state every test starts from. */
  const openSandbox = async (testsLeft: number): Promise<SessionPort> => {
    const lifetimeMs = testsLeft * (o.perTestMs ?? o.execution.limits.timeMs + o.killGraceMs);
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

  /** The sandbox for test i: a fresh one, or the last one restored. */
  let session: SessionPort | undefined;
  const sandboxFor = async (i: number): Promise<SessionPort> => {
    if (judge.isolateTests) return openSandbox(1);
    if (!session?.usable) {
      // The first test, or the sandbox ended with the last one (killed at its limit, or under
      // gVisor killed for memory with its supervisor): the rest go on in a fresh one.
      session?.close();
      return openSandbox(tests.length - i);
    }
    try {
      await session.restore();
      return session;
    } catch (error) {
      if (!(error instanceof SandboxCommandError)) throw error;
      session.close();
      return openSandbox(tests.length - i);
    }
  };

  /** The checker's decision on an output. */
  const check = async (i: number, input: Buffer, output: Buffer): Promise<Decision | undefined> => {
    const result = await o.checker!.run({
      files: [
        { name: 'input.txt', content: input },
        { name: 'output.txt', content: output },
        { name: 'answer.txt', content: await tests[i].answer() },
      ],
      args: ['input.txt', 'output.txt', 'answer.txt'],
      signal,
      testsLeft: tests.length - i,
    });
    if (result.cancelled) return undefined;
    const decision = checkerDecision(result, decodeOutput(result.stderr));
    if ('failed' in decision) throw new JudgeFault(decision.failed);
    return decision;
  };

  /** Runs test i; its result and decision, or undefined when the run was cancelled. */
  const runTest = async (i: number): Promise<{ result: ExecutionResult; decision: Decision } | undefined> => {
    const sink = createOutputSink(o.events, 'test', i);
    const input = await tests[i].input();
    session = await sandboxFor(i);
    o.progress.executions++;
    let result: ExecutionResult;
    let decision: Decision | undefined;
    try {
      if (o.interactor) {
        const talk = await interact({
          submission: session,
          execution: { ...o.execution, signal },
          onSubmissionOutput: sink.onOutput,
          interactor: o.interactor,
          input,
          testsLeft: tests.length - i,
        });
        result = talk.submission;
        if (talk.cancelled) return undefined;
        const own = verdictOf(result);
        const verdict = interactionVerdict({
          submission: own === Verdict.ok ? own : (own as JudgedVerdict),
          interactor: talk.interactor,
          first: talk.first,
        });
        if ('failed' in verdict) throw new JudgeFault(verdict.failed);
        decision = verdict;
        if (o.checker && !isFailure(decision.verdict)) {
          const output = (await o.interactor.readFile('output.txt', o.interactor.limits.outputBytes, signal)) ?? Buffer.alloc(0);
          if (signal.aborted) return undefined;
          const checked = await check(i, input, output);
          if (!checked) return undefined;
          decision = lower(decision, checked);
        }
      } else {
        result = await session.execute({ ...o.execution, stdin: input, onOutput: sink.onOutput });
        if (result.cancelled) return undefined;
        const own = verdictOf(result);
        if (own !== Verdict.ok) decision = { verdict: own, score: 0 };
        else if (o.checker) decision = await check(i, input, result.stdout);
        else {
          const matched = await o.comparer.compare(
            decodeOutput(result.stdout),
            decodeOutput(await tests[i].answer()),
            judge.compare,
            judge.floatTolerance,
          );
          decision = matched ? { verdict: Verdict.accepted, score: 1 } : { verdict: Verdict.wrongAnswer, score: 0 };
        }
        if (!decision) return undefined;
      }
      // The test's files, read from its sandbox before the next test restores (or closes) it.
      await o.afterTest?.(session, i);
    } finally {
      sink.flush();
      if (judge.isolateTests) {
        session.close();
        session = undefined;
      }
    }
    return { result, decision };
  };

  let judgeError: string | undefined;
  try {
    for (let i = 0; i < tests.length; i++) {
      if (plan.skips(i)) {
        // Without groups a stopped run ends here, as it always has: the rest are not in the record.
        if (!groups) break;
        results.push(skippedTest(tests[i].name));
        continue;
      }
      let ran: Awaited<ReturnType<typeof runTest>>;
      try {
        ran = await runTest(i);
      } catch (error) {
        if (!(error instanceof JudgeFault)) throw error;
        judgeError = `test ${tests[i].name}: ${error.message}`;
        break;
      }
      if (!ran) {
        cancelled = true;
        break;
      }
      const { result, decision } = ran;
      const out = clip(result.stdout, o.testOutputBytes);
      const err = clip(result.stderr, o.testOutputBytes);
      results.push({
        name: tests[i].name,
        verdict: decision.verdict,
        exitCode: result.exitCode,
        signal: result.signal,
        timeMs: result.timeMs,
        cpuTimeMs: result.cpuTimeMs,
        memoryBytes: result.memoryBytes,
        stdout: out.text,
        stderr: err.text,
        stdoutTruncated: result.stdoutTruncated || out.clipped,
        stderrTruncated: result.stderrTruncated || err.clipped,
        ...(scored ? { score: decision.score } : {}),
        ...(scored && decision.message !== undefined ? { message: decision.message } : {}),
      });
      plan.record(i, decision);
    }
  } finally {
    session?.close();
  }
  const verdicts = results.map((t) => t.verdict as TestVerdict);
  return {
    tests: results,
    verdict: runVerdictOfTests(verdicts),
    cancelled,
    ...(judgeError ? { judgeError } : {}),
    ...(groups && !cancelled && !judgeError
      ? {
          scores: scoreGroups(
            groups,
            results.map((t) => ({ verdict: t.verdict, score: t.score ?? 0 })),
          ),
        }
      : {}),
  };
}
