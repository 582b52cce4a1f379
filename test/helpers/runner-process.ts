// The real runbox-run as a plain process, for tests that need no Docker: built from
// deploy/runtimes/runner/*.c with the host's gcc (cached by the sources' hash), started in
// namespaces of its own (PID, IPC, mount with its own /proc) so its kill(-1) and IPC cleanup
// reach nothing of the host, with temporary folders as its work and scratch folders.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createHostEncoder,
  createRunnerDecoder,
  encodeExec,
  HostFrame,
  keyFrame,
  KEY_BYTES,
  type ExecSpec,
  type RunnerMessage,
} from '../../src/sandbox/runner-protocol.js';

const sourceDir = new URL('../../deploy/runtimes/runner/', import.meta.url).pathname;
export const SANDBOX_UID = 1000;

/** Compiles runbox-run once per set of sources; returns the binary's path. */
export function buildRunner(): string {
  const files = readdirSync(sourceDir)
    .filter((f) => /\.[ch]$/.test(f))
    .sort();
  const hash = createHash('sha256');
  for (const f of files) hash.update(f).update(readFileSync(join(sourceDir, f)));
  const binary = join(tmpdir(), `runbox-run-${hash.digest('hex').slice(0, 16)}`);
  if (!existsSync(binary)) {
    const building = `${binary}.${process.pid}`;
    execFileSync('gcc', [
      '-O2',
      '-Wall',
      '-Werror',
      '-static',
      '-o',
      building,
      ...files.filter((f) => f.endsWith('.c')).map((f) => join(sourceDir, f)),
    ]);
    execFileSync('mv', [building, binary]);
  }
  return binary;
}

export interface RunnerProcess {
  child: ChildProcess;
  work: string;
  scratch: string;
  key: Buffer;
  /** Sends one tagged host frame. */
  send(type: (typeof HostFrame)[keyof typeof HostFrame], payload?: Buffer): void;
  /** Sends raw bytes as they are (for broken frames). */
  sendRaw(bytes: Buffer): void;
  /** The next message (rejects when the process ends first). */
  next(): Promise<RunnerMessage>;
  /** Messages until (and with) the first of `type`. */
  until(type: RunnerMessage['type']): Promise<RunnerMessage[]>;
  exec(spec: Partial<ExecSpec> & { argv: string[] }, stdin?: string): void;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  /** What it wrote to its own stderr. */
  diagnostics(): string;
  stop(): Promise<void>;
}

export interface RunnerOptions {
  /** `same`: started as uid 1000, as under runc; `drop`: started as root, the program drops to 1000, as under gVisor. */
  mode?: 'same' | 'drop';
  cgroup?: string;
}

export async function startRunner(options: RunnerOptions = {}): Promise<RunnerProcess> {
  const binary = buildRunner();
  const base = mkdtempSync(join(tmpdir(), 'runbox-runner-'));
  chmodSync(base, 0o755);
  const work = join(base, 'work');
  const scratch = join(base, 'tmp');
  for (const dir of [work, scratch]) {
    mkdirSync(dir);
    chownSync(dir, SANDBOX_UID, SANDBOX_UID);
  }
  const runner = [binary, '--work', work, '--wipe', scratch, '--cgroup', options.cgroup ?? join(base, 'no-cgroup')];
  const asUser =
    options.mode === 'drop'
      ? []
      : ['setpriv', `--reuid=${SANDBOX_UID}`, `--regid=${SANDBOX_UID}`, '--clear-groups', '--inh-caps=-all', '--'];
  const child = spawn('unshare', ['--pid', '--fork', '--ipc', '--mount-proc', '--kill-child', '--', ...asUser, ...runner], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: work, LANG: 'C.UTF-8' },
  });
  const key = randomBytes(KEY_BYTES);
  const encoder = createHostEncoder(key);
  const decoder = createRunnerDecoder(key);
  const queue: RunnerMessage[] = [];
  const waiters: { resolve: (m: RunnerMessage) => void; reject: (e: Error) => void }[] = [];
  let failure: Error | undefined;
  let stderr = '';
  const fail = (error: Error) => {
    failure ??= error;
    for (const w of waiters.splice(0)) w.reject(failure);
  };
  child.stdout!.on('data', (chunk: Buffer) => {
    try {
      for (const message of decoder.push(chunk)) {
        const waiter = waiters.shift();
        if (waiter) waiter.resolve(message);
        else queue.push(message);
      }
    } catch (error) {
      fail(error as Error);
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin!.on('error', () => undefined);
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      fail(new Error(`runbox-run ended (code ${code}): ${stderr.trim()}`));
      resolve(code);
    }),
  );
  child.stdin!.write(keyFrame(key));

  const next = () =>
    queue.length > 0
      ? Promise.resolve(queue.shift()!)
      : failure
        ? Promise.reject(failure)
        : new Promise<RunnerMessage>((resolve, reject) => waiters.push({ resolve, reject }));
  const send: RunnerProcess['send'] = (type, payload) => void child.stdin!.write(encoder.frame(type, payload));
  return {
    child,
    work,
    scratch,
    key,
    send,
    sendRaw: (bytes) => void child.stdin!.write(bytes),
    next,
    async until(type) {
      const messages: RunnerMessage[] = [];
      for (;;) {
        const m = await next();
        messages.push(m);
        if (m.type === type) return messages;
      }
    },
    exec(spec, stdin) {
      send(HostFrame.exec, encodeExec({ env: {}, timeMs: 10_000, cpuMs: 10_000, outputBytes: 1 << 20, ...spec }));
      if (stdin !== undefined && stdin.length > 0) send(HostFrame.stdin, Buffer.from(stdin));
      send(HostFrame.stdinEnd);
    },
    exited,
    diagnostics: () => stderr,
    async stop() {
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** stdout, stderr and the report of the messages of one execution. */
export function outcome(messages: RunnerMessage[]) {
  const text = (type: 'stdout' | 'stderr') => Buffer.concat(messages.flatMap((m) => (m.type === type ? [m.data] : []))).toString();
  const report = messages.find((m) => m.type === 'report');
  return { stdout: text('stdout'), stderr: text('stderr'), report: report?.type === 'report' ? report.report : undefined };
}
