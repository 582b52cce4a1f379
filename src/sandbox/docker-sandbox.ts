// Runs programs in a fresh container and removes it: create -> attach -> start -> send
// files (and stdin, or tests) -> read framed output -> wait -> inspect -> remove, in every
// path. The only module, with the reaper and the version reader, that talks to Docker.
import { constants } from 'node:os';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import type { Limits } from '../domain/limits.js';
import { buildContainerSpec } from './container-spec.js';
import { createDockerStreamParser, createRunnerFrameParser, RunnerFrame } from './stream-frames.js';

export type OutputStream = 'stdout' | 'stderr';

export interface SandboxRequest {
  runId: string;
  image: string;
  command: string[];
  env: Record<string, string>;
  limits: Limits;
  /** Tar of the work folder, unpacked before the program starts. */
  archive: Buffer;
  network?: boolean;
  /** Docker runtime over the deployment's (a runtime that wants gVisor). */
  runtime?: string;
  /** The program runs as root inside (allowed by the API only where that is safe). */
  root?: boolean;
  /** Aborting kills the container at once (cancel). */
  signal?: AbortSignal;
}

export interface ExecutionRequest extends SandboxRequest {
  /** Standard input, written after the archive; stdin is then closed. Ignored when stdinSource is set. */
  stdin?: Buffer;
  /** Interactive standard input: each chunk as it comes; stdin closes when it ends. */
  stdinSource?: AsyncIterable<Buffer>;
  /** Return a tar of the work folder after a successful exit (compile steps). */
  collect?: boolean;
  onOutput?: (stream: OutputStream, data: Buffer) => void;
}

export interface TestsRequest extends SandboxRequest {
  /** Each test's stdin; every test is a fresh process in the same container. */
  tests: Buffer[];
  onOutput?: (stream: OutputStream, data: Buffer, test: number) => void;
  /** Called after each test; false stops the run (stopOnFailure). */
  onTestEnd?: (test: number, result: ExecutionResult) => boolean;
}

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
  archive: Buffer | null;
}

/** The sandbox could not run the program. `started` says whether the program may have run. */
export class SandboxError extends Error {
  override name = 'SandboxError';
  constructor(
    message: string,
    readonly options: { retryable: boolean; started: boolean; cause?: unknown },
  ) {
    super(message, { cause: options.cause });
  }
}

interface RunnerReport {
  exitCode: number;
  signal: number;
  timeMs: number;
  cpuTimeMs: number;
  memoryBytes: number;
  oomKilled: boolean;
  timedOut: boolean;
  cpuExceeded: boolean;
  outputExceeded: OutputStream | null;
}

export interface SandboxOptions {
  docker: Docker;
  runtime: string;
  log: Logger;
  /** Extra wall time past the limit before the worker kills the container itself. */
  killGraceMs?: number;
}

// The first name of each number wins: SIGABRT, not its alias SIGIOT.
const signalNames = new Map<number, string>();
for (const [name, no] of Object.entries(constants.signals)) if (!signalNames.has(no)) signalNames.set(no, name);
const signalName = (no: number) => signalNames.get(no) ?? `SIG${no}`;

function statusCodeOf(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'statusCode' in error ? Number(error.statusCode) : undefined;
}

/** Collects one stream's bytes up to a cap, remembering whether more came. */
function createBoundedBuffer(cap: number) {
  const chunks: Buffer[] = [];
  let size = 0;
  let overflow = false;
  return {
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

/** One execution's output and report; the result combines them with what the host saw. */
function createExecutionCollector(outputBytes: number) {
  const outputs = { stdout: createBoundedBuffer(outputBytes), stderr: createBoundedBuffer(outputBytes) };
  let report: RunnerReport | undefined;
  /** runbox's own words for the record's stderr: outside the program's cap, never a reason to call its output too long. */
  const notes: string[] = [];
  const startedAt = performance.now();
  return {
    outputs,
    setReport: (r: RunnerReport | undefined) => (report = r),
    note: (text: string) => void notes.push(`\nrunbox: ${text}\n`),
    get reported() {
      return report !== undefined;
    },
    result(host: { timedOut: boolean; cancelled: boolean; oomKilled: boolean; statusCode?: number; archive: Buffer | null }): ExecutionResult {
      const exitSignal = report ? report.signal : host.statusCode !== undefined && host.statusCode > 128 ? host.statusCode - 128 : 0;
      const exitCode = report ? (report.signal ? null : report.exitCode) : exitSignal || host.statusCode === undefined ? null : host.statusCode;
      return {
        exitCode,
        signal: exitSignal ? signalName(exitSignal) : null,
        timeMs: report?.timeMs ?? Math.round(performance.now() - startedAt),
        cpuTimeMs: report?.cpuTimeMs ?? null,
        memoryBytes: report && report.memoryBytes > 0 ? report.memoryBytes : null,
        oomKilled: Boolean(report?.oomKilled || host.oomKilled),
        timedOut: host.timedOut || Boolean(report?.timedOut || report?.cpuExceeded),
        outputExceeded: outputs.stdout.overflow || outputs.stderr.overflow || Boolean(report?.outputExceeded),
        cancelled: host.cancelled,
        stdout: outputs.stdout.bytes(),
        stderr: Buffer.concat([outputs.stderr.bytes(), Buffer.from(notes.join(''))]),
        stdoutTruncated: outputs.stdout.overflow || report?.outputExceeded === 'stdout',
        stderrTruncated: outputs.stderr.overflow || report?.outputExceeded === 'stderr',
        archive: host.archive,
      };
    },
  };
}
type ExecutionCollector = ReturnType<typeof createExecutionCollector>;

async function writeChunk(stream: Duplex, data: Buffer): Promise<void> {
  if (data.length === 0 || stream.destroyed) return;
  if (!stream.write(data)) await new Promise<void>((resolve) => {
    const done = () => { stream.off('drain', done); stream.off('close', done); resolve(); };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

function lengthPrefixed(data: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(data.length);
  return Buffer.concat([head, data]);
}

/** What a mode (one execution, or tests) does with a started sandbox. */
interface SandboxSession {
  stream: Duplex;
  /** The collector output and reports go to now. */
  current: ExecutionCollector;
  onOutput: (stream: OutputStream, data: Buffer) => void;
  /** Resolves with each report, in order. */
  nextReport: () => Promise<RunnerReport | undefined>;
  /** Restarts the host's own kill timer for one execution. */
  armTimer: () => void;
  readonly hostTimedOut: boolean;
  readonly cancelled: boolean;
}

export function createDockerSandbox(options: SandboxOptions) {
  const { docker } = options;
  const killGraceMs = options.killGraceMs ?? 2000;
  /** How long the exit status may take once a sandbox's output stream has ended. */
  const EXIT_STATUS_GRACE_MS = 10_000;

  /** Whether the engine runs with userns-remap: its root is an unprivileged uid on the host. Asked each time, so a reconfigured engine is seen. */
  async function remapsUsers(): Promise<boolean> {
    const info = (await docker.info()) as { SecurityOptions?: string[] };
    return (info.SecurityOptions ?? []).some((option) => option.split(',').includes('name=userns'));
  }

  async function createContainer(request: SandboxRequest, runtime: string, mode: { collect: boolean; tests: number }): Promise<Docker.Container> {
    // The API allows root inside under runc only when told the engine remaps users; the
    // engine is asked here, so a wrong USERNS_REMAP never makes a program root on the host.
    const remaps = request.root && runtime !== 'runsc'
      ? await remapsUsers().catch((error: Error) => {
          throw new SandboxError(`cannot ask the Docker engine: ${error.message}`, { retryable: true, started: false, cause: error });
        })
      : true;
    if (!remaps) {
      throw new SandboxError('root inside refused: this Docker engine does not run with userns-remap, so root in a runc container would be root on the host (see docs/security.md)', {
        retryable: false,
        started: false,
      });
    }
    const spec = buildContainerSpec({
      image: request.image,
      command: request.command,
      env: request.env,
      limits: request.limits,
      archiveBytes: request.archive.length,
      collect: mode.collect,
      tests: mode.tests > 0,
      root: request.root ?? false,
      network: request.network ?? false,
      runtime,
      runId: request.runId,
      now: Date.now(),
      deadlineMs: request.limits.timeMs * Math.max(1, mode.tests) + killGraceMs * Math.max(1, mode.tests),
    });
    try {
      return await docker.createContainer(spec);
    } catch (error) {
      const status = statusCodeOf(error) ?? 500;
      const missingImage = status === 404;
      throw new SandboxError(missingImage ? `runtime image ${request.image} is not built` : `cannot create the sandbox: ${(error as Error).message}`, {
        // Docker refusing the request (4xx) will refuse it again; only its faults may pass.
        retryable: status >= 500,
        started: false,
        cause: error,
      });
    }
  }

  /**
   * The container lifecycle both modes share. `drive` feeds stdin and gathers results;
   * whatever happens, the container is removed.
   */
  async function withSandbox<T>(
    request: SandboxRequest,
    mode: { collect: boolean; tests: number },
    drive: (session: SandboxSession) => Promise<(host: { statusCode: number; oomKilled: boolean; archive: Buffer | null }) => T>,
  ): Promise<T> {
    const log = options.log.child({ runId: request.runId });
    const runtime = request.runtime ?? options.runtime;
    const container = await createContainer(request, runtime, mode);
    const archiveChunks: Buffer[] = [];
    const runnerDiagnostics: Buffer[] = [];
    const reports: (RunnerReport | undefined)[] = [];
    let reportWaiter: ((r: RunnerReport | undefined) => void) | undefined;
    let hostTimedOut = false;
    let cancelled = false;
    let tampered = false;
    let started = false;
    let timer: NodeJS.Timeout | undefined;

    /** Whether the worker itself killed the sandbox (limit, cancel, corrupted stream). */
    let killedByWorker = false;
    const kill = () => {
      if (killedByWorker) return;
      killedByWorker = true;
      return container.kill({ signal: 'SIGKILL' }).catch(() => undefined);
    };
    const onAbort = () => {
      cancelled = true;
      void kill();
    };
    const deliverReport = (report: RunnerReport | undefined) => {
      if (reportWaiter) {
        const waiter = reportWaiter;
        reportWaiter = undefined;
        waiter(report);
      } else reports.push(report);
    };

    try {
      let stream: Duplex;
      let waiting: Promise<{ StatusCode: number }>;
      try {
        stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as Duplex;
        waiting = container.wait({ condition: 'next-exit' }) as Promise<{ StatusCode: number }>;
      } catch (error) {
        throw new SandboxError(`cannot attach to the sandbox: ${(error as Error).message}`, { retryable: true, started: false, cause: error });
      }
      const ended = new Promise<void>((resolve) => {
        stream.once('end', resolve);
        stream.once('close', resolve);
        stream.once('error', () => resolve());
      });

      const session: SandboxSession = {
        stream,
        current: createExecutionCollector(request.limits.outputBytes),
        onOutput: () => undefined,
        nextReport: () => (reports.length > 0 ? Promise.resolve(reports.shift()) : new Promise((resolve) => (reportWaiter = resolve))),
        armTimer: () => {
          clearTimeout(timer);
          timer = setTimeout(() => {
            hostTimedOut = true;
            void kill();
          }, request.limits.timeMs + killGraceMs);
        },
        get hostTimedOut() {
          return hostTimedOut;
        },
        get cancelled() {
          return cancelled;
        },
      };

      const onRunnerFrame = (type: number, payload: Buffer) => {
        if (type === RunnerFrame.stdout || type === RunnerFrame.stderr) {
          const name: OutputStream = type === RunnerFrame.stdout ? 'stdout' : 'stderr';
          const buffer = session.current.outputs[name];
          const kept = buffer.push(payload);
          if (kept.length > 0) session.onOutput(name, kept);
          // runbox-run stops at the cap itself; this only fires if it was subverted.
          if (buffer.overflow) void kill();
        } else if (type === RunnerFrame.archive) {
          archiveChunks.push(Buffer.from(payload));
        } else if (type === RunnerFrame.result) {
          const report = JSON.parse(payload.toString('utf8')) as RunnerReport;
          session.current.setReport(report);
          deliverReport(report);
        } else {
          throw new Error(`unknown frame type ${type}`);
        }
      };
      const dockerFrames = createDockerStreamParser();
      const runnerFrames = createRunnerFrameParser();
      stream.on('data', (chunk: Buffer) => {
        if (tampered) return;
        try {
          for (const frame of dockerFrames(chunk)) {
            if (frame.type === 1) for (const f of runnerFrames(frame.payload)) onRunnerFrame(f.type, f.payload);
            else if (frame.type === 2) runnerDiagnostics.push(Buffer.from(frame.payload));
          }
        } catch (error) {
          // The program wrote around runbox-run (its stdout is reachable through /proc):
          // nothing more it sends is believed, and it is stopped.
          tampered = true;
          session.current.setReport(undefined);
          session.current.note(`the program corrupted the sandbox's output stream (${(error as Error).message}); it was stopped`);
          void kill();
        }
      });
      // The stream ending (container gone) answers a pending wait for a report with none.
      void ended.then(() => deliverReport(undefined));

      try {
        await container.start();
      } catch (error) {
        throw new SandboxError(`cannot start the sandbox: ${(error as Error).message}`, { retryable: true, started: false, cause: error });
      }
      started = true;
      if (request.signal?.aborted) onAbort();
      request.signal?.addEventListener('abort', onAbort, { once: true });
      session.armTimer();

      const finish = await drive(session);

      let status: { StatusCode: number };
      try {
        // A daemon that dies mid-run drops both connections, but dockerode's wait never
        // settles then: once the output has ended, an exit status overdue means the engine is gone.
        const overdue = ended.then(() => new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no exit status from the Docker engine ${EXIT_STATUS_GRACE_MS} ms after the output ended`)), EXIT_STATUS_GRACE_MS).unref()));
        overdue.catch(() => undefined);
        status = await Promise.race([waiting, overdue]);
      } catch (error) {
        throw new SandboxError(`lost the sandbox while it ran: ${(error as Error).message}`, { retryable: false, started: true, cause: error });
      }
      // The attach stream ends right after the exit; wait briefly for its last frames.
      await Promise.race([ended, new Promise((r) => setTimeout(r, 2000).unref())]);
      stream.destroy();
      const state = await container.inspect().then((i) => i.State, () => undefined);
      // Under gVisor an OOM kill takes the whole sandbox, supervisor and report included, and
      // the engine loses its OOM flag for many such sandboxes when several run at once (11 of
      // 24 here, never set even seconds later). A SIGKILL that neither the worker sent nor a
      // report explains can only be the kernel's OOM killer there (gVisor dying on its own
      // exits 2), so it counts as one.
      const gvisor = runtime === 'runsc';
      const unexplained = !session.current.reported && !killedByWorker;
      const oomKilled = Boolean(state?.OOMKilled) || (gvisor && unexplained && status.StatusCode === 128 + 9);
      if (gvisor && unexplained && !oomKilled) {
        // gVisor's own kernel failed: say so, or the program would seem to have crashed.
        session.current.note(`the gVisor sandbox itself failed (exit ${status.StatusCode}) before the program's report; a fork bomb or very heavy parallel forking does this under gVisor's ptrace platform, which runs out of host threads at the pids limit`);
      }
      const diagnostics = Buffer.concat(runnerDiagnostics).toString('utf8').trim();
      if (diagnostics && !hostTimedOut && !cancelled) log.warn({ diagnostics }, 'runbox-run reported a problem');
      return finish({
        statusCode: status.StatusCode,
        oomKilled,
        archive: archiveChunks.length > 0 ? Buffer.concat(archiveChunks) : null,
      });
    } catch (error) {
      if (error instanceof SandboxError) throw error;
      throw new SandboxError(`sandbox failed: ${(error as Error).message}`, { retryable: !started, started, cause: error });
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      await container.remove({ force: true, v: true }).catch((error) => {
        if (statusCodeOf(error) !== 404) log.error({ err: error, container: container.id }, 'could not remove a sandbox; the reaper will');
      });
    }
  }

  /** One execution: files, then stdin (or interactive stdin), then the report. */
  async function execute(request: ExecutionRequest): Promise<ExecutionResult> {
    return withSandbox(request, { collect: request.collect ?? false, tests: 0 }, async (session) => {
      session.onOutput = (stream, data) => request.onOutput?.(stream, data);
      const feed = async () => {
        await writeChunk(session.stream, request.archive);
        if (request.stdinSource) for await (const chunk of request.stdinSource) await writeChunk(session.stream, chunk);
        else if (request.stdin) await writeChunk(session.stream, request.stdin);
        if (!session.stream.destroyed) session.stream.end();
      };
      feed().catch((error) => options.log.debug({ err: error, runId: request.runId }, 'stdin closed early'));
      return (host) => session.current.result({ ...host, timedOut: session.hostTimedOut, cancelled: session.cancelled });
    });
  }

  /** Judge mode: one container, each test a fresh process; stops early when onTestEnd says so. */
  async function executeTests(request: TestsRequest): Promise<ExecutionResult[]> {
    return withSandbox(request, { collect: false, tests: request.tests.length }, async (session) => {
      const results: ExecutionResult[] = [];
      /** The test the sandbox died in, if it did: its result needs the engine's view of the exit. */
      let diedIn: number | undefined;
      await writeChunk(session.stream, request.archive);
      for (let i = 0; i < request.tests.length; i++) {
        session.current = createExecutionCollector(request.limits.outputBytes);
        session.onOutput = (stream, data) => request.onOutput?.(stream, data, i);
        session.armTimer();
        await writeChunk(session.stream, lengthPrefixed(request.tests[i]));
        if (!(await session.nextReport())) {
          diedIn = i;
          break;
        }
        const result = session.current.result({ timedOut: session.hostTimedOut, cancelled: session.cancelled, oomKilled: false, archive: null });
        results.push(result);
        if (!(request.onTestEnd?.(i, result) ?? true)) break;
      }
      if (!session.stream.destroyed) session.stream.end();
      return (host) => {
        // Without a report the sandbox died during this test (killed by the worker at its
        // deadline, cancelled, killed for memory with its supervisor under gVisor, or broken by
        // the program): the test still gets a result, from what the engine saw, and no test
        // after it runs.
        if (diedIn !== undefined) {
          const result = session.current.result({ ...host, archive: null, timedOut: session.hostTimedOut, cancelled: session.cancelled });
          results.push(result);
          request.onTestEnd?.(diedIn, result);
        }
        return results;
      };
    });
  }

  /** Whether the Docker engine answers (readiness). */
  async function ping(): Promise<void> {
    await docker.ping();
  }

  return { execute, executeTests, ping, remapsUsers };
}

export type DockerSandbox = ReturnType<typeof createDockerSandbox>;
