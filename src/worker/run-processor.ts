// The life of one run on a worker: take it (queued -> running, atomically), compile if the
// runtime compiles, run, judge the outcome, publish every frame, and write the final record.
// A program that fails is a completed run with a verdict; only the service failing is an
// error, and this is the one place that decides whether such an error is retried.
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import type { Limits } from '../domain/limits.js';
import { RunStatus, Verdict, type CompileResult, type RunRecord } from '../domain/run-record.js';
import { expandCommand, withCommands, type Runtime } from '../domain/runtimes.js';
import { isFailure, verdictOf } from '../domain/verdict.js';
import type { Metrics } from '../lib/metrics.js';
import { whileUnavailable } from '../lib/redis-connection.js';
import type { ExecutionResult } from '../sandbox/execution-result.js';
import { WorkFolder } from '../sandbox/work-folder.js';
import type { ArtifactStore } from '../store/artifact-store.js';
import type { EventPublisher } from '../store/event-stream.js';
import type { InputReader } from '../store/run-input.js';
import type { JudgeTestSpec, RunSpec } from '../domain/run-spec.js';
import type { RunStore } from '../store/run-store.js';
import { createArtifactCollector, type ArtifactLimits } from './artifact-collector.js';
import { compileStep } from './compile-step.js';
import { decideFault, type Attempt, type RunProgress } from './fault-decision.js';
import { judgeRun } from './judge-run.js';
import type { ProblemCache } from './problem-cache.js';
import type { OutputComparer } from './output-comparer.js';
import { createOutputSink, decodeOutput as decode } from './output-sink.js';
import { createRunInputPump } from './run-input-pump.js';
import type { SandboxPort, SessionPort } from './sandbox-port.js';
import type { SnapshotMaker } from './snapshot-maker.js';
import { profileFor } from './sandbox-profile.js';

export interface RunProcessorOptions {
  store: RunStore;
  sandbox: SandboxPort;
  /** The publisher of one run's frames (store/event-stream.ts on the worker's connection). */
  publisherFor: (runId: string) => EventPublisher;
  /** A run's runtime by its language: a built-in one, or a custom one with its image on this host. */
  runtimes: { resolve(language: string): Promise<Runtime | undefined> };
  imagePrefix: string;
  /** The deployment's Docker runtime (SANDBOX_RUNTIME). */
  sandboxRuntime: string;
  compileLimits: Pick<Limits, 'timeMs' | 'memoryMb' | 'outputBytes'>;
  /** How much of each test's stdout and stderr a judged run's record keeps. */
  testOutputBytes: number;
  /** Extra wall time past a limit before the worker kills a sandbox itself. */
  killGraceMs: number;
  log: Logger;
  metrics: Pick<Metrics, 'runStarted' | 'runEnded' | 'sandboxFailed'>;
  /** Where finished runs with a webhook are handed for delivery. */
  webhooks: { enqueue(runId: string): Promise<void> };
  /** Reads the input streams of every run under way (stdin, eof, cancel). */
  inputReader: InputReader;
  /** Compares a judged run's outputs with the expected ones. */
  comparer: Pick<OutputComparer, 'compare'>;
  /** Keeps an exited sandbox's work folder as a snapshot (runs with snapshot: true). */
  makeSnapshot?: SnapshotMaker;
  /** Where a run's artifacts are kept, and how many. */
  artifacts: { store: Pick<ArtifactStore, 'write' | 'remove'>; limits: ArtifactLimits };
  /** Problem bundles on this worker, for runs judged against a problem. */
  problems?: ProblemCache;
}

export type JobAttempt = Attempt;

/** A judge test's own artifacts globs (a problem's tests have none). */
const testGlobs = (test: JudgeTestSpec): string[] => ('artifacts' in test ? (test.artifacts ?? []) : []);

/** Characters of a given-up job's error kept in its run's record. */
const GIVEN_UP_REASON_MAX = 500;

export function createRunProcessor(options: RunProcessorOptions) {
  const { store, sandbox, log: baseLog } = options;
  /** Aborted when the worker's shutdown grace period is over: what still runs is killed. */
  const shutdown = new AbortController();
  // Every run in flight listens to it (through its stop signal), and lets go when it ends.
  setMaxListeners(Infinity, shutdown.signal);

  function runFields(result: ExecutionResult): Partial<RunRecord> {
    return {
      exitCode: result.exitCode,
      signal: result.signal,
      timeMs: result.timeMs,
      cpuTimeMs: result.cpuTimeMs,
      memoryBytes: result.memoryBytes,
      stdout: decode(result.stdout),
      stderr: decode(result.stderr),
      stdoutTruncated: result.stdoutTruncated,
      stderrTruncated: result.stderrTruncated,
    };
  }

  async function execute(
    record: RunRecord,
    request: RunSpec,
    runtime: Runtime,
    events: EventPublisher,
    progress: RunProgress,
    log: Logger,
  ): Promise<Partial<RunRecord>> {
    const input = createRunInputPump(options.inputReader, record.id, record.interactive);
    const stop = AbortSignal.any([input.cancelSignal, shutdown.signal]);
    /** A run stopped by its client is cancelled; one stopped by the worker's shutdown failed. */
    const interrupted = (): Partial<RunRecord> =>
      input.cancelSignal.aborted
        ? { status: RunStatus.cancelled }
        : { status: RunStatus.failed, error: 'the worker shut down before the run ended' };
    const files = request.files.map((f) => ({ name: f.name, content: Buffer.from(f.content, 'base64') }));
    const entry = files[0].name;
    let folder = WorkFolder.fromFiles(files);
    const profileOptions = { imagePrefix: options.imagePrefix, defaultRuntime: options.sandboxRuntime };
    const runGlobs = request.artifacts ?? [];
    const wantsArtifacts = runGlobs.length > 0 || (request.judge?.tests.some((t) => testGlobs(t).length > 0) ?? false);
    const artifacts = wantsArtifacts
      ? createArtifactCollector({
          runId: record.id,
          limits: options.artifacts.limits,
          folderBytes: record.limits.diskMb * 1024 * 1024,
          store: options.artifacts.store,
        })
      : undefined;
    /** The listing, for a run that asked for artifacts. */
    const kept = () => (artifacts ? { artifacts: artifacts.listing() } : {});
    try {
      let compileResult: CompileResult | null = null;
      if (runtime.compile) {
        const sources = files.map((f) => f.name).filter((n) => n.endsWith(runtime.sourceExtension));
        const compiled = await compileStep({
          sandbox,
          runtime,
          runId: record.id,
          limits: record.limits,
          compileLimits: options.compileLimits,
          folder,
          entry,
          sources,
          events,
          signal: stop,
          profile: profileOptions,
          progress,
          killGraceMs: options.killGraceMs,
        });
        compileResult = compiled.compile;
        if (compiled.result.cancelled) return { ...interrupted(), compile: compileResult };
        if (!compiled.folder) return { status: RunStatus.completed, verdict: Verdict.compilationError, compile: compileResult };
        folder.dispose();
        folder = compiled.folder;
        log.debug({ timeMs: compileResult.timeMs }, 'compiled');
      }
      const profile = profileFor(runtime, record.limits, { ...profileOptions, network: request.network, root: request.root });
      const execution = {
        command: [...expandCommand(runtime.run, entry, []), ...request.args],
        env: { ...runtime.env, ...request.env },
        limits: record.limits,
        signal: stop,
      };
      if (request.judge) {
        const judged = await judgeRun({
          sandbox,
          record,
          judge: request.judge,
          runtimes: options.runtimes,
          problems: options.problems,
          profile,
          profileOptions,
          folder,
          execution,
          events,
          testOutputBytes: options.testOutputBytes,
          compileLimits: options.compileLimits,
          killGraceMs: options.killGraceMs,
          progress,
          comparer: options.comparer,
          afterTest: artifacts && ((session, i) => artifacts.collect(session, [...runGlobs, ...testGlobs(request.judge!.tests[i])], i)),
        });
        if (judged === 'cancelled') return { ...interrupted(), compile: compileResult };
        const failing = judged.tests.find((t) => isFailure(t.verdict)) ?? judged.tests.filter((t) => t.verdict !== Verdict.skipped).at(-1);
        const ended: Partial<RunRecord> = judged.judgeError
          ? { status: RunStatus.failed, error: `judge error: ${judged.judgeError}`, errorCode: 'judge_error' }
          : judged.cancelled
            ? { ...interrupted(), verdict: null }
            : { status: RunStatus.completed, verdict: judged.verdict };
        return {
          ...ended,
          compile: compileResult,
          tests: judged.tests,
          ...(judged.scores ?? {}),
          // The run's own figures: the deciding test's exit, the sums of time, the peak of memory.
          exitCode: failing?.exitCode ?? null,
          signal: failing?.signal ?? null,
          timeMs: judged.tests.reduce((sum, t) => sum + t.timeMs, 0),
          cpuTimeMs: judged.tests.reduce((sum, t) => sum + (t.cpuTimeMs ?? 0), 0),
          memoryBytes: Math.max(0, ...judged.tests.map((t) => t.memoryBytes ?? 0)) || null,
          ...kept(),
        };
      }
      const sink = createOutputSink(events, 'run');
      const session = await sandbox.open(profile, { owner: record.id, lifetimeMs: record.limits.timeMs + options.killGraceMs });
      let result: ExecutionResult;
      let snapshot: Partial<RunRecord> = {};
      try {
        await session.putFiles(folder);
        progress.executions++;
        result = await session.execute({
          ...execution,
          stdin: input.stdinSource ?? Buffer.from(request.stdin, 'utf8'),
          onOutput: sink.onOutput,
          cgroupPeak: true,
        });
        if (!result.cancelled) await artifacts?.collect(session, runGlobs);
        if (request.snapshot && !result.cancelled) snapshot = await snapshotOf(record, profile.image, session, log);
      } finally {
        session.close();
      }
      sink.flush();
      if (result.cancelled) return { ...interrupted(), compile: compileResult, ...runFields(result), ...kept() };
      return {
        status: RunStatus.completed,
        verdict: verdictOf(result),
        compile: compileResult,
        ...runFields(result),
        ...kept(),
        ...snapshot,
      };
    } finally {
      folder.dispose();
      input.close();
    }
  }

  /** The snapshot of an exited run's sandbox: its id, or why there is none (the run's outcome stands either way). */
  async function snapshotOf(record: RunRecord, image: string, session: SessionPort, log: Logger): Promise<Partial<RunRecord>> {
    try {
      if (!options.makeSnapshot) throw new Error('this worker makes no snapshots');
      const owner = (await store.getOwned(record.id))?.owner ?? '';
      const outcome = await options.makeSnapshot({
        snapshotId: randomUUID(),
        session,
        budgetBytes: record.limits.diskMb * 1024 * 1024,
        language: record.language,
        image,
        owner,
        label: `run ${record.id}`,
        source: { kind: 'run', id: record.id },
      });
      return outcome.made ? { snapshot: outcome.record.id } : { snapshotError: outcome.error.message };
    } catch (error) {
      log.warn({ err: error }, 'the snapshot of a run could not be made');
      return { snapshotError: `the snapshot could not be made: ${(error as Error).message}` };
    }
  }

  /**
   * Writes a run's end (`write` answers whether it was the one that ended the run), waiting out
   * Redis while it is away. A write retried after its connection dropped may have landed the
   * first time: the retry then finds the run ended, and the record's finishedAt says whether
   * by this write, so that this worker's end is never taken for another's (whose artifacts it
   * would drop, and whose webhook it would not send).
   */
  async function endedBy(runId: string, finishedAt: string, write: () => Promise<boolean>): Promise<boolean> {
    let tries = 0;
    const ended = await whileUnavailable(() => {
      tries++;
      return write();
    });
    if (ended || tries === 1) return ended;
    return (await whileUnavailable(() => store.get(runId)))?.finishedAt === finishedAt;
  }

  /**
   * Ends a run as failed with `error`, its end frame and webhook, if it is running (or, with
   * `queuedToo`, queued); false, and nothing done, in any other state.
   */
  async function endFailed(record: RunRecord, error: string, queuedToo: boolean): Promise<boolean> {
    const finishedAt = new Date().toISOString();
    if (!(await endedBy(record.id, finishedAt, () => store.failLost(record.id, error, finishedAt, { queuedToo })))) return false;
    options.metrics.runEnded({ language: record.language, status: RunStatus.failed, createdAt: record.createdAt, finishedAt });
    if (record.webhook) await options.webhooks.enqueue(record.id);
    return true;
  }

  /** Ends a run left `running` by a worker that died as failed; does nothing to a run in any other state. */
  async function recordLost(record: RunRecord, log: Logger): Promise<void> {
    if (await endFailed(record, 'the worker running this run was lost; it was not run again', false))
      log.warn('run was left running by a lost worker; recorded as failed');
  }

  /**
   * The queue gave up on a run's job (its tries spent on faults the processor did not end the
   * run for: Redis away longer than it waits, a job stalled past its limit): a run still
   * queued or running ends failed, saying why, rather than staying so until it expires.
   */
  async function recordGivenUp(runId: string, reason: string): Promise<void> {
    const log = baseLog.child({ runId });
    const record = await whileUnavailable(() => store.get(runId));
    if (!record || (record.status !== RunStatus.queued && record.status !== RunStatus.running)) return;
    // Whatever threw said it: kept to a line's worth in the record.
    if (await endFailed(record, `the service gave up on this run: ${reason.slice(0, GIVEN_UP_REASON_MAX)}`, true))
      log.error({ reason }, 'run job given up by the queue; recorded as failed');
  }

  /**
   * Processes one job. Throws only for faults BullMQ should retry. `requestId`: the API
   * request that submitted the run, so that its log lines here can be found by it.
   */
  async function process(runId: string, attempt: JobAttempt, requestId?: string): Promise<void> {
    const log = baseLog.child(requestId ? { runId, reqId: requestId } : { runId });
    // Redis away (a restart, a Sentinel failover) is waited out here rather than thrown: a throw
    // spends one of the job's attempts in moments, and a job out of attempts is removed while
    // its record stays queued or running.
    const [record, request] = await whileUnavailable(() => Promise.all([store.get(runId), store.getRequest(runId)]));
    if (!record || !request) {
      log.warn('run record is gone (expired or never written); dropping the job');
      return;
    }
    if (record.status === RunStatus.running) {
      // BullMQ hands a job out again when the worker that held it stopped answering. The
      // program may have run, so it is never started a second time.
      await recordLost(record, log);
      return;
    }
    const startedAt = new Date().toISOString();
    if (!(await store.markRunning(runId, startedAt))) {
      log.info({ status: record.status }, 'run is not queued any more; not running it');
      return;
    }
    options.metrics.runStarted({ language: record.language, createdAt: record.createdAt, startedAt });
    log.info({ language: record.language }, 'run started');
    const events = options.publisherFor(runId);
    const progress: RunProgress = { executions: 0, frames: 0 };
    let final: Partial<RunRecord>;
    try {
      // A custom runtime whose image this host lacks is built here first (custom-runtimes.ts).
      const runtime = withCommands(await options.runtimes.resolve(record.language), request.commands);
      if (!runtime) throw new Error(`language ${record.language} is not in this worker's catalogue (a custom runtime deleted since?)`);
      final = await execute(record, request, runtime, events, progress, log);
    } catch (error) {
      progress.frames = events.lastSeq;
      // Artifacts of a try that did not end the run are not the run's.
      await options.artifacts.store.remove(runId).catch((cause) => log.warn({ err: cause }, 'could not drop artifacts'));
      const decision = decideFault(error, progress, attempt);
      if (decision.retry) {
        if (!(await store.markQueuedAgain(runId))) {
          log.warn({ err: error }, 'sandbox could not start, and the run has ended meanwhile; not retried');
          return;
        }
        log.warn({ err: error }, 'sandbox could not start; the run goes back to the queue');
        throw error;
      }
      options.metrics.sandboxFailed();
      log.error({ err: error }, 'run failed in the service');
      final = { status: RunStatus.failed, error: decision.reason };
    }
    await events.flush().catch((error) => log.error({ err: error }, 'lost output frames'));
    const finishedAt = new Date().toISOString();
    if (!(await endedBy(runId, finishedAt, () => store.finish(runId, { ...final, finishedAt }, events.lastSeq)))) {
      // Another worker recorded it as lost meanwhile (this one's job lock had lapsed): that record stands.
      log.warn({ status: final.status }, 'run had already been recorded as ended; this result is dropped');
      if (final.artifacts)
        await options.artifacts.store.remove(runId).catch((cause) => log.warn({ err: cause }, 'could not drop artifacts'));
      return;
    }
    if (record.webhook) await options.webhooks.enqueue(runId);
    log.info({ status: final.status, verdict: final.verdict, timeMs: final.timeMs }, 'run finished');
    options.metrics.runEnded({
      language: record.language,
      status: final.status ?? RunStatus.failed,
      verdict: final.verdict,
      createdAt: record.createdAt,
      finishedAt,
      timeMs: final.timeMs,
    });
  }

  /** Kills every run still in flight; each ends failed, saying the worker shut down. */
  function abortAll(): void {
    shutdown.abort();
  }

  return { process, recordGivenUp, abortAll };
}
