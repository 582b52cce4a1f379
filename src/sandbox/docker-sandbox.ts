// Runs one execution in a fresh container and removes it: create -> attach -> start ->
// send files and stdin -> read framed output -> wait -> inspect -> remove, in every path.
// The only module, with the reaper, that talks to Docker.
import { constants } from 'node:os';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import type { Limits } from '../domain/limits.js';
import { buildContainerSpec } from './container-spec.js';
import { createDockerStreamParser, createRunnerFrameParser, RunnerFrame } from './stream-frames.js';

export type OutputStream = 'stdout' | 'stderr';

export interface ExecutionRequest {
  runId: string;
  image: string;
  command: string[];
  env: Record<string, string>;
  limits: Limits;
  /** Tar of the work folder, unpacked before the program starts. */
  archive: Buffer;
  /** Standard input, written after the archive; stdin is then closed. Ignored when stdinSource is set. */
  stdin?: Buffer;
  /** Interactive standard input: each chunk as it comes; stdin closes when it ends. */
  stdinSource?: AsyncIterable<Buffer>;
  /** Return a tar of the work folder after a successful exit (compile steps). */
  collect?: boolean;
  network?: boolean;
  /** Aborting kills the container at once (cancel). */
  signal?: AbortSignal;
  onOutput?: (stream: OutputStream, data: Buffer) => void;
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
  outputExceeded: OutputStream | null;
}

export interface SandboxOptions {
  docker: Docker;
  runtime: string;
  log: Logger;
  /** Extra wall time past the limit before the worker kills the container itself. */
  killGraceMs?: number;
}

const signalNames = new Map(Object.entries(constants.signals).map(([name, no]) => [no, name]));
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
      if (kept.length > 0) chunks.push(kept);
      size += kept.length;
      return kept;
    },
    get overflow() {
      return overflow;
    },
    bytes: () => Buffer.concat(chunks),
  };
}

async function writeChunk(stream: Duplex, data: Buffer): Promise<void> {
  if (data.length === 0 || stream.destroyed) return;
  if (!stream.write(data)) await new Promise<void>((resolve) => {
    const done = () => { stream.off('drain', done); stream.off('close', done); resolve(); };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

export function createDockerSandbox(options: SandboxOptions) {
  const { docker } = options;
  const killGraceMs = options.killGraceMs ?? 2000;

  async function createContainer(request: ExecutionRequest): Promise<Docker.Container> {
    const spec = buildContainerSpec({
      image: request.image,
      command: request.command,
      env: request.env,
      limits: request.limits,
      archiveBytes: request.archive.length,
      collect: request.collect ?? false,
      network: request.network ?? false,
      runtime: options.runtime,
      runId: request.runId,
      now: Date.now(),
    });
    try {
      return await docker.createContainer(spec);
    } catch (error) {
      const missingImage = statusCodeOf(error) === 404;
      throw new SandboxError(missingImage ? `runtime image ${request.image} is not built` : `cannot create the sandbox: ${(error as Error).message}`, {
        retryable: !missingImage,
        started: false,
        cause: error,
      });
    }
  }

  async function feedStdin(stream: Duplex, request: ExecutionRequest): Promise<void> {
    await writeChunk(stream, request.archive);
    if (request.stdinSource) {
      for await (const chunk of request.stdinSource) await writeChunk(stream, chunk);
    } else if (request.stdin) {
      await writeChunk(stream, request.stdin);
    }
    if (!stream.destroyed) stream.end();
  }

  async function execute(request: ExecutionRequest): Promise<ExecutionResult> {
    const log = options.log.child({ runId: request.runId });
    const container = await createContainer(request);
    const outputs = {
      stdout: createBoundedBuffer(request.limits.outputBytes),
      stderr: createBoundedBuffer(request.limits.outputBytes),
    };
    const archiveChunks: Buffer[] = [];
    const runnerDiagnostics: Buffer[] = [];
    let report: RunnerReport | undefined;
    let timedOut = false;
    let cancelled = false;
    let outputExceeded = false;
    let tampered = false;
    let started = false;
    const timers: NodeJS.Timeout[] = [];

    const kill = () => container.kill({ signal: 'SIGKILL' }).catch(() => undefined);
    const onAbort = () => {
      cancelled = true;
      void kill();
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

      const dockerFrames = createDockerStreamParser();
      const runnerFrames = createRunnerFrameParser();
      const onRunnerFrame = (type: number, payload: Buffer) => {
        if (type === RunnerFrame.stdout || type === RunnerFrame.stderr) {
          const name: OutputStream = type === RunnerFrame.stdout ? 'stdout' : 'stderr';
          const kept = outputs[name].push(payload);
          if (kept.length > 0) request.onOutput?.(name, kept);
          if (outputs[name].overflow && !outputExceeded) {
            // runbox-run stops at the cap itself; this only fires if it was subverted.
            outputExceeded = true;
            void kill();
          }
        } else if (type === RunnerFrame.archive) {
          archiveChunks.push(Buffer.from(payload));
        } else if (type === RunnerFrame.result) {
          report = JSON.parse(payload.toString('utf8')) as RunnerReport;
        } else {
          throw new Error(`unknown frame type ${type}`);
        }
      };
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
          report = undefined;
          outputs.stderr.push(Buffer.from(`\nrunbox: the program corrupted the sandbox's output stream (${(error as Error).message}); it was stopped\n`));
          void kill();
        }
      });

      const startedAt = performance.now();
      try {
        await container.start();
      } catch (error) {
        throw new SandboxError(`cannot start the sandbox: ${(error as Error).message}`, { retryable: true, started: false, cause: error });
      }
      started = true;
      if (request.signal?.aborted) onAbort();
      request.signal?.addEventListener('abort', onAbort, { once: true });
      timers.push(setTimeout(() => {
        timedOut = true;
        void kill();
      }, request.limits.timeMs + killGraceMs));
      feedStdin(stream, request).catch((error) => log.debug({ err: error }, 'stdin closed early'));

      let status: { StatusCode: number };
      try {
        status = await waiting;
      } catch (error) {
        throw new SandboxError(`lost the sandbox while it ran: ${(error as Error).message}`, { retryable: false, started: true, cause: error });
      }
      const hostTimeMs = Math.round(performance.now() - startedAt);
      // The attach stream ends right after the exit; wait briefly for its last frames.
      await Promise.race([ended, new Promise((r) => timers.push(setTimeout(r, 2000)))]);
      stream.destroy();

      const state = await container.inspect().then((i) => i.State, () => undefined);
      const diagnostics = Buffer.concat(runnerDiagnostics).toString('utf8').trim();
      if (!report && !timedOut && !cancelled && diagnostics) log.warn({ diagnostics }, 'runbox-run ended without a report');

      const exitSignal = report ? report.signal : status.StatusCode > 128 ? status.StatusCode - 128 : 0;
      return {
        exitCode: report ? (report.signal ? null : report.exitCode) : exitSignal ? null : status.StatusCode,
        signal: exitSignal ? signalName(exitSignal) : null,
        timeMs: report?.timeMs ?? hostTimeMs,
        cpuTimeMs: report?.cpuTimeMs ?? null,
        memoryBytes: report && report.memoryBytes >= 0 ? report.memoryBytes : null,
        oomKilled: Boolean(report?.oomKilled || state?.OOMKilled),
        timedOut: timedOut || Boolean(report?.timedOut),
        outputExceeded: outputExceeded || Boolean(report?.outputExceeded),
        cancelled,
        stdout: outputs.stdout.bytes(),
        stderr: outputs.stderr.bytes(),
        stdoutTruncated: outputs.stdout.overflow || report?.outputExceeded === 'stdout',
        stderrTruncated: outputs.stderr.overflow || report?.outputExceeded === 'stderr',
        archive: archiveChunks.length > 0 ? Buffer.concat(archiveChunks) : null,
      };
    } catch (error) {
      if (error instanceof SandboxError) throw error;
      throw new SandboxError(`sandbox failed: ${(error as Error).message}`, { retryable: !started, started, cause: error });
    } finally {
      for (const t of timers) clearTimeout(t);
      request.signal?.removeEventListener('abort', onAbort);
      await container.remove({ force: true, v: true }).catch((error) => {
        if (statusCodeOf(error) !== 404) log.error({ err: error, container: container.id }, 'could not remove a sandbox; the reaper will');
      });
    }
  }

  /** Whether the Docker engine answers (readiness). */
  async function ping(): Promise<void> {
    await docker.ping();
  }

  return { execute, ping };
}

export type DockerSandbox = ReturnType<typeof createDockerSandbox>;
