// Real runbox processes for the fault scenarios: `node dist/server.js` (API) and
// `node dist/worker.js` (worker) as child processes, each with its own environment, its
// log lines (pino JSON on stdout) kept in memory, and its exit observable. Every child is
// killed when the test process exits, whatever happened to the test.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export type LogLine = Record<string, unknown> & { level?: number; msg?: string };

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One child process and what it said. */
export interface Child {
  name: string;
  process: ChildProcess;
  logs: LogLine[];
  exited: Promise<Exit>;
  readonly alive: boolean;
  signal(signal: NodeJS.Signals): void;
  /** The first log line (past or future) that matches; rejects after `timeoutMs` or if the process exits first. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs: number, what?: string): Promise<LogLine>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit. */
  stop(graceMs?: number): Promise<Exit>;
  /** The last lines, for a failure report. */
  tail(lines?: number): string;
}

const children = new Set<Child>();
process.once('exit', () => {
  for (const child of children) if (child.alive) child.process.kill('SIGKILL');
});

export { freePort } from '../../../src/lib/free-port.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Spawns a child, capturing stdout and stderr line by line (JSON lines parsed). */
export function spawnChild(name: string, command: string, args: string[], env: Record<string, string>): Child {
  const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: LogLine[] = [];
  const waiters = new Set<{ match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }>();
  let exit: Exit | undefined;
  const exited = new Promise<Exit>((r) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      r(exit);
    }),
  );
  const onLine = (text: string) => {
    if (text.trim() === '') return;
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { msg: text };
    }
    logs.push(line);
    for (const waiter of waiters) if (waiter.match(line)) waiter.resolve(line);
  };
  for (const stream of [child.stdout!, child.stderr!]) {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      lines.forEach(onLine);
    });
    stream.on('end', () => onLine(rest));
  }
  const handle: Child = {
    name,
    process: child,
    logs,
    exited,
    get alive() {
      return exit === undefined;
    },
    signal(signal) {
      if (exit === undefined) child.kill(signal);
    },
    waitForLog(match, timeoutMs, what = 'a matching log line') {
      const found = logs.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolveLine, reject) => {
        const waiter = {
          match,
          resolve: (line: LogLine) => {
            clearTimeout(timer);
            waiters.delete(waiter);
            resolveLine(line);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`${name}: no ${what} within ${timeoutMs} ms\n${handle.tail()}`));
        }, timeoutMs);
        waiters.add(waiter);
        void exited.then((e) => {
          if (!waiters.has(waiter)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          reject(new Error(`${name} exited (${e.code ?? e.signal}) before ${what}\n${handle.tail()}`));
        });
      });
    },
    async stop(graceMs = 10_000) {
      if (exit) return exit;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
    tail(lines = 30) {
      // Request lines say little about a fault; the service's own lines say what happened.
      return logs
        .filter((l) => l.msg !== 'incoming request' && l.msg !== 'request completed')
        .slice(-lines)
        .map(
          (l) =>
            `  [${name}] ${l.level ?? ''} ${l.msg ?? ''} ${JSON.stringify({ ...l, level: undefined, msg: undefined, time: undefined, pid: undefined, hostname: undefined, name: undefined })}`,
        )
        .join('\n');
    },
  };
  children.add(handle);
  void exited.then(() => children.delete(handle));
  return handle;
}

/**
 * The children run dist/: says (without failing) when a source file is newer than the
 * build, since `npm run test:faults` builds first but a test file run alone does not.
 */
export function staleBuildWarning(): string | undefined {
  const newest = (dir: string): { path: string; mtimeMs: number } =>
    readdirSync(dir, { withFileTypes: true }).reduce(
      (max, entry) => {
        const path = join(dir, entry.name);
        const candidate = entry.isDirectory() ? newest(path) : { path, mtimeMs: statSync(path).mtimeMs };
        return candidate.mtimeMs > max.mtimeMs ? candidate : max;
      },
      { path: '', mtimeMs: 0 },
    );
  for (const entry of ['server.js', 'worker.js']) {
    if (!existsSync(join(root, 'dist', entry))) throw new Error(`dist/${entry} is missing: run \`make build\` first`);
  }
  const source = newest(join(root, 'src'));
  const built = Math.min(...['server.js', 'worker.js'].map((entry) => statSync(join(root, 'dist', entry)).mtimeMs));
  return source.mtimeMs > built
    ? `dist/ may be stale (${source.path} is newer): the processes run dist/; \`make build\` rebuilds it`
    : undefined;
}
