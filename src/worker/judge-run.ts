// Everything a judged run needs around judgeTests: the problem's bundle (from this worker's
// cache) when the run names a problem, the checker and the interactor compiled once and each
// given a sandbox of its own, and all of it let go when the run is done.
import type { Limits } from '../domain/limits.js';
import type { RunRecord } from '../domain/run-record.js';
import type { Runtime } from '../domain/runtimes.js';
import type { SandboxProfile } from '../sandbox/container-spec.js';
import type { ExecutionRequest } from '../sandbox/sandbox-session.js';
import type { WorkFolder } from '../sandbox/work-folder.js';
import type { EventPublisher } from '../store/event-stream.js';
import type { JudgeProgramSpec, JudgeSpec } from '../domain/run-spec.js';
import type { RunProgress } from './fault-decision.js';
import { INTERACTOR_WAIT_SLACK_MS } from './interaction.js';
import { judgeTestsOf, programFilesOf } from './judge-inputs.js';
import { JudgeFault, prepareProgram, ProgramSandbox, type JudgeRole } from './judge-program.js';
import { judgeTests, type JudgeOptions, type JudgeOutcome } from './judge.js';
import type { OutputComparer } from './output-comparer.js';
import type { ProblemBundle, ProblemCache } from './problem-cache.js';
import type { SandboxPort } from './sandbox-port.js';
import type { ProfileOptions } from './sandbox-profile.js';

export interface JudgeRunOptions {
  sandbox: SandboxPort;
  record: RunRecord;
  judge: JudgeSpec;
  /** A checker's or interactor's runtime by its language (a custom one too, its image built here if missing). */
  runtimes: { resolve(language: string): Promise<Runtime | undefined> };
  problems?: ProblemCache;
  /** The submission's sandbox profile. */
  profile: SandboxProfile;
  /** How the checker's and interactor's sandboxes are made (never with network or root). */
  profileOptions: ProfileOptions;
  /** The submission's compiled work folder. */
  folder: WorkFolder;
  execution: Omit<ExecutionRequest, 'stdin' | 'onOutput'> & { signal: AbortSignal };
  events: EventPublisher;
  testOutputBytes: number;
  compileLimits: Pick<Limits, 'timeMs' | 'memoryMb' | 'outputBytes'>;
  killGraceMs: number;
  progress: RunProgress;
  comparer: Pick<OutputComparer, 'compare'>;
  /** Runs after each test that ended, in its sandbox (artifacts). */
  afterTest?: JudgeOptions['afterTest'];
}

/**
 * The wall time one test may take, all its parts together: the program (beside the
 * interactor, which may wait 1 s longer), then the checker (after reading an interactor's
 * output.txt). Every sandbox of the run lives that long per test left, so none reaches its
 * deadline while the run still needs it.
 */
export function perTestMs(judge: JudgeSpec, programMs: number, graceMs: number): number {
  const interactorMs = judge.interactor ? Math.max(judge.interactor.limits.timeMs, programMs + INTERACTOR_WAIT_SLACK_MS) : 0;
  const checkerMs = judge.checker ? judge.checker.limits.timeMs + graceMs + (judge.interactor?.limits.timeMs ?? 0) : 0;
  return Math.max(programMs, interactorMs) + graceMs + checkerMs;
}

/** The judged run's outcome; 'cancelled' when it was stopped before its tests began. */
export async function judgeRun(o: JudgeRunOptions): Promise<JudgeOutcome | 'cancelled'> {
  const testMs = perTestMs(o.judge, o.execution.limits.timeMs, o.killGraceMs);
  let bundle: ProblemBundle | undefined;
  const programs: ProgramSandbox[] = [];
  const folders: WorkFolder[] = [];
  try {
    if (o.judge.problem) {
      if (!o.problems) throw new Error('this worker has no problem cache');
      bundle = await o.problems.open(o.judge.problem.hash);
    }
    const ready = async (role: JudgeRole, spec: JudgeProgramSpec | undefined): Promise<ProgramSandbox | undefined | 'cancelled'> => {
      if (!spec) return undefined;
      const runtime = await o.runtimes.resolve(spec.language);
      if (!runtime) throw new Error(`the ${role}'s language ${spec.language} is not in this worker's catalogue`);
      const program = await prepareProgram({
        sandbox: o.sandbox,
        role,
        runtime,
        limits: spec.limits,
        files: await programFilesOf(spec, bundle),
        entry: spec.entry,
        runId: o.record.id,
        compileLimits: o.compileLimits,
        profile: o.profileOptions,
        progress: o.progress,
        killGraceMs: o.killGraceMs,
        signal: o.execution.signal,
      });
      if (!program) return 'cancelled';
      folders.push(program.folder);
      const sandbox = new ProgramSandbox({
        sandbox: o.sandbox,
        program,
        runId: o.record.id,
        profile: o.profileOptions,
        killGraceMs: o.killGraceMs,
        perTestMs: testMs,
        progress: o.progress,
      });
      programs.push(sandbox);
      return sandbox;
    };
    let checker: Awaited<ReturnType<typeof ready>>;
    let interactor: Awaited<ReturnType<typeof ready>>;
    try {
      checker = await ready('checker', o.judge.checker);
      if (checker === 'cancelled') return 'cancelled';
      interactor = await ready('interactor', o.judge.interactor);
      if (interactor === 'cancelled') return 'cancelled';
    } catch (error) {
      if (!(error instanceof JudgeFault)) throw error;
      return { tests: [], verdict: 'runtime_error', cancelled: false, judgeError: error.message };
    }
    return await judgeTests({
      sandbox: o.sandbox,
      profile: o.profile,
      runId: o.record.id,
      folder: o.folder,
      execution: o.execution,
      judge: o.judge,
      tests: judgeTestsOf(o.judge.tests, bundle),
      checker,
      interactor,
      events: o.events,
      testOutputBytes: o.testOutputBytes,
      killGraceMs: o.killGraceMs,
      perTestMs: testMs,
      progress: o.progress,
      comparer: o.comparer,
      afterTest: o.afterTest,
    });
  } finally {
    for (const program of programs) program.close();
    for (const folder of folders) folder.dispose();
    bundle?.release();
  }
}
