// A checker or an interactor on a worker: compiled once per judged run (its output never
// published: it may show the problem's answers), then run for each test in a sandbox of its
// own, never the submission's: its files put in once and kept as the snapshot restored
// between tests, the test's files (input.txt, output.txt, answer.txt) put beside them, a fresh
// sandbox when the last one died. Its environment is its runtime's alone.
import type { Limits } from '../domain/limits.js';
import { expandCommand, type Runtime } from '../domain/runtimes.js';
import type { ExecutionResult } from '../sandbox/execution-result.js';
import { SandboxCommandError, type ExecutionRequest } from '../sandbox/sandbox-session.js';
import { WorkFolder, type SandboxFile } from '../sandbox/work-folder.js';
import { compileStep } from './compile-step.js';
import type { RunProgress } from './fault-decision.js';
import type { SandboxPort, SessionPort } from './sandbox-port.js';
import { profileFor, type ProfileOptions } from './sandbox-profile.js';

export type JudgeRole = 'checker' | 'interactor';

/** The judge failed (a checker that does not compile, crashes or says fail): the run ends failed, never the program's fault. */
export class JudgeFault extends Error {
  override name = 'JudgeFault';
}

/** How much of a checker's compiler output a judge fault quotes. */
const COMPILE_ERROR_QUOTE_BYTES = 2048;

export interface PreparedProgram {
  role: JudgeRole;
  runtime: Runtime;
  limits: Limits;
  /** Its work folder, compiled. */
  folder: WorkFolder;
  /** How it is run, before the judge's arguments. */
  command: string[];
}

export interface PrepareOptions {
  sandbox: SandboxPort;
  role: JudgeRole;
  runtime: Runtime;
  limits: Limits;
  files: SandboxFile[];
  entry: string;
  runId: string;
  compileLimits: Pick<Limits, 'timeMs' | 'memoryMb' | 'outputBytes'>;
  profile: ProfileOptions;
  progress: RunProgress;
  killGraceMs: number;
  signal: AbortSignal;
}

/** Compiles the program when its runtime compiles; undefined when the run was cancelled meanwhile. Throws JudgeFault. */
export async function prepareProgram(o: PrepareOptions): Promise<PreparedProgram | undefined> {
  let folder = WorkFolder.fromFiles(o.files);
  if (o.runtime.compile) {
    const compiled = await compileStep({
      sandbox: o.sandbox,
      runtime: o.runtime,
      runId: o.runId,
      limits: o.limits,
      compileLimits: o.compileLimits,
      folder,
      entry: o.entry,
      sources: o.files.map((f) => f.name).filter((name) => name.endsWith(o.runtime.sourceExtension)),
      signal: o.signal,
      profile: o.profile,
      progress: o.progress,
      killGraceMs: o.killGraceMs,
    });
    folder.dispose();
    if (compiled.result.cancelled) return undefined;
    if (!compiled.folder) {
      const said = Buffer.from(compiled.compile.stderr.trim()).subarray(0, COMPILE_ERROR_QUOTE_BYTES).toString();
      throw new JudgeFault(`the ${o.role} does not compile${said ? `: ${said}` : ''}`);
    }
    folder = compiled.folder;
  }
  return { role: o.role, runtime: o.runtime, limits: o.limits, folder, command: expandCommand(o.runtime.run, o.entry, []) };
}

export interface ProgramSandboxOptions {
  sandbox: SandboxPort;
  program: PreparedProgram;
  runId: string;
  profile: ProfileOptions;
  killGraceMs: number;
  /** The wall time one test of the run may take, all its parts together: the sandbox lives that long per test left. */
  perTestMs: number;
  progress: RunProgress;
}

export interface ProgramRun {
  /** The test's files, put beside the program's. */
  files: SandboxFile[];
  args: string[];
  stdin?: ExecutionRequest['stdin'];
  onOutput?: ExecutionRequest['onOutput'];
  signal: AbortSignal;
  /** A wall limit over its own (an interactor waits as long as the submission may run). */
  timeMs?: number;
  /** Tests still to come, this one included: how long the sandbox may have to live. */
  testsLeft: number;
}

/** One sandbox for the program, reused from test to test. */
export class ProgramSandbox {
  private session?: SessionPort;
  private dirty = false;

  constructor(private readonly o: ProgramSandboxOptions) {}

  /** The program's own limits. */
  get limits(): Limits {
    return this.o.program.limits;
  }

  private get what(): string {
    return `the ${this.o.program.role}`;
  }

  private async open(testsLeft: number): Promise<SessionPort> {
    const { program } = this.o;
    const lifetimeMs = testsLeft * this.o.perTestMs;
    const session = await this.o.sandbox.open(profileFor(program.runtime, program.limits, this.o.profile), {
      owner: this.o.runId,
      lifetimeMs,
    });
    try {
      await session.putFiles(program.folder);
      await session.snapshot();
    } catch (error) {
      session.close();
      if (error instanceof SandboxCommandError) throw new JudgeFault(`${this.what}'s files do not fit its sandbox: ${error.message}`);
      throw error;
    }
    this.dirty = false;
    return session;
  }

  /** A sandbox holding the program alone: the last one restored, or a fresh one. */
  private async ready(testsLeft: number): Promise<SessionPort> {
    if (this.session?.usable && this.dirty) {
      try {
        await this.session.restore();
        this.dirty = false;
      } catch (error) {
        if (!(error instanceof SandboxCommandError)) throw error;
        this.session.close();
        this.session = undefined;
      }
    }
    if (!this.session?.usable) {
      this.session?.close();
      this.session = await this.open(testsLeft);
    }
    return this.session;
  }

  /** Runs the program on one test. Throws JudgeFault when the test's files do not fit. */
  async run(r: ProgramRun): Promise<ExecutionResult> {
    const session = await this.ready(r.testsLeft);
    this.dirty = true;
    const folder = WorkFolder.fromFiles(r.files);
    try {
      await session.putFiles(folder);
    } catch (error) {
      if (error instanceof SandboxCommandError)
        throw new JudgeFault(`${this.what}'s work folder cannot hold the test's files (raise its limits.diskMb): ${error.message}`);
      throw error;
    } finally {
      folder.dispose();
    }
    const { limits, runtime, command } = this.o.program;
    this.o.progress.executions++;
    return session.execute({
      command: [...command, ...r.args],
      env: runtime.env ?? {},
      limits: { ...limits, timeMs: Math.max(limits.timeMs, r.timeMs ?? 0) },
      stdin: r.stdin,
      onOutput: r.onOutput,
      signal: r.signal,
    });
  }

  /**
   * A file the program left in its work folder (an interactor's output.txt), up to `maxBytes`;
   * undefined when it left none. Read by `cat`, a fresh process once the program's are gone.
   */
  async readFile(name: string, maxBytes: number, signal: AbortSignal): Promise<Buffer | undefined> {
    const session = this.session;
    if (!session?.usable) return undefined;
    const result = await session.execute({
      command: ['cat', '--', name],
      env: {},
      limits: { timeMs: this.o.program.limits.timeMs, cpuTimeMs: this.o.program.limits.cpuTimeMs, outputBytes: maxBytes },
      signal,
    });
    if (result.outputExceeded) throw new JudgeFault(`${this.what}'s ${name} is larger than ${maxBytes} bytes (its limits.outputBytes)`);
    return result.exitCode === 0 ? result.stdout : undefined;
  }

  close(): void {
    this.session?.close();
    this.session = undefined;
  }
}
