// What the worker needs of the sandbox, as a type of its own: the real one
// (src/sandbox/sandbox.ts) fits it, and unit tests give a fake.
import type { SandboxProfile } from '../sandbox/container-spec.js';
import type { ExecutionResult } from '../sandbox/execution-result.js';
import type { TtyProcess } from '../sandbox/container-lifecycle.js';
import type { CollectFilter, PathContent } from '../sandbox/runner-channel.js';
import type { ExecutionRequest, ShellOptions } from '../sandbox/sandbox-session.js';
import type { WorkFolder } from '../sandbox/work-folder.js';

export interface SessionPort {
  readonly usable: boolean;
  putFiles(folder: WorkFolder): Promise<void>;
  snapshot(): Promise<void>;
  restore(): Promise<void>;
  execute(request: ExecutionRequest): Promise<ExecutionResult>;
  collect(
    budgetBytes: number,
    keep?: CollectFilter,
  ): Promise<{ folder: WorkFolder; collected: { exceeded: boolean; bytes: number; files: number }; error?: string }>;
  close(): void;
}

export interface SandboxPort {
  open(profile: SandboxProfile, options: { owner: string; lifetimeMs: number }): Promise<SessionPort>;
}

/** What a session a client keeps open needs besides a run's: one path at a time, a snapshot's folder, terminals, a moving deadline. */
export interface KeptSessionPort extends SessionPort {
  readPath(path: string, budgetBytes: number): Promise<PathContent>;
  removePath(path: string): Promise<void>;
  load(folder: string): Promise<void>;
  openShell(options: ShellOptions): Promise<TtyProcess>;
  hangupShell(id: string): Promise<boolean>;
  extend(deadlineMs: number, owner: string): Promise<void>;
}

export interface KeptSandboxPort {
  open(profile: SandboxProfile, options: { owner: string; lifetimeMs: number; pool?: boolean }): Promise<KeptSessionPort>;
}
