// Compares a test's output with its expected output off the event loop when they are large:
// below `thresholdBytes` (both texts together) at once, in this thread; above it in a
// worker thread of a small pool, started on first use and reused, so that a judged run of
// megabytes does not hold up the worker's other runs, its lock renewals or its health port.
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { outputMatches, type CompareMode } from '../domain/compare.js';

export interface OutputComparerOptions {
  /** Texts whose lengths (UTF-16 code units, the bytes of ASCII) add up to less are compared inline. */
  thresholdBytes: number;
  /** Worker threads at most (default 1): comparisons beyond that wait their turn. */
  threads?: number;
}

/** A message to the thread (compare-thread.ts) and its answer. */
export interface CompareTask {
  id: number;
  actual: string;
  expected: string;
  mode: CompareMode;
  tolerance: number;
}
export type CompareReply = { id: number; matches: boolean } | { id: number; error: string };

const runsAsTypeScript = (moduleUrl: string) => moduleUrl.endsWith('.ts');

/**
 * The thread's script beside this module: compare-thread.js in dist/, compare-thread.ts
 * when this module itself runs as TypeScript (through tsx, in tests and scripts).
 */
export const compareThreadUrl = (moduleUrl = import.meta.url) =>
  new URL(`./compare-thread${runsAsTypeScript(moduleUrl) ? '.ts' : '.js'}`, moduleUrl);

/**
 * How to start the thread. Compiled (dist/), the thread is its .js file with the process's
 * flags but --input-type (Node refuses it for a thread started from a file). As TypeScript,
 * a loader the process holds does not pass to a thread (tsx's --import hooks do not apply
 * there), so the thread is a line of script that registers tsx, then imports the .ts file.
 */
export function compareThreadStart(
  moduleUrl = import.meta.url,
  parentFlags = process.execArgv,
): { script: string | URL; options: WorkerOptions } {
  const execArgv = parentFlags.filter((flag) => !flag.startsWith('--input-type'));
  const url = compareThreadUrl(moduleUrl);
  if (!runsAsTypeScript(moduleUrl)) return { script: url, options: { execArgv } };
  const script = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); })`;
  return { script, options: { execArgv, eval: true } };
}

interface Pending {
  resolve(matches: boolean): void;
  reject(error: Error): void;
}

interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
}

export function createOutputComparer({ thresholdBytes, threads: maxThreads = 1 }: OutputComparerOptions) {
  const threads: Thread[] = [];
  let nextId = 1;
  let closed = false;

  const failAll = (thread: Thread, error: Error) => {
    for (const pending of thread.pending.values()) pending.reject(error);
    thread.pending.clear();
  };

  function startThread(): Thread {
    const { script, options } = compareThreadStart();
    const thread: Thread = { worker: new Worker(script, options), pending: new Map() };
    // An idle thread does not keep the process alive; a busy one does (see compare()).
    thread.worker.unref();
    thread.worker.on('message', (reply: CompareReply) => {
      const pending = thread.pending.get(reply.id);
      thread.pending.delete(reply.id);
      if (thread.pending.size === 0) thread.worker.unref();
      if (!pending) return;
      if ('error' in reply) pending.reject(new Error(`output comparison failed: ${reply.error}`));
      else pending.resolve(reply.matches);
    });
    // A thread that dies takes its comparisons with it; the next comparison starts another.
    const lost = (error: Error) => {
      const index = threads.indexOf(thread);
      if (index >= 0) threads.splice(index, 1);
      failAll(thread, error);
    };
    thread.worker.on('error', lost);
    thread.worker.on('exit', (code) => lost(new Error(`the output comparison thread exited (code ${code})`)));
    threads.push(thread);
    return thread;
  }

  /** The least busy thread, starting another while the pool has room and each is busy. */
  function pickThread(): Thread {
    const idle = threads.find((thread) => thread.pending.size === 0);
    if (idle) return idle;
    if (threads.length < maxThreads) return startThread();
    return threads.reduce((least, thread) => (thread.pending.size < least.pending.size ? thread : least));
  }

  return {
    /** Whether `actual` matches `expected` under `mode` (outputMatches), inline or in a thread. */
    async compare(actual: string, expected: string, mode: CompareMode, tolerance: number): Promise<boolean> {
      if (actual.length + expected.length < thresholdBytes) return outputMatches(actual, expected, mode, tolerance);
      if (closed) throw new Error('the output comparer is closed');
      const thread = pickThread();
      const id = nextId++;
      const result = new Promise<boolean>((resolve, reject) => thread.pending.set(id, { resolve, reject }));
      thread.worker.ref();
      thread.worker.postMessage({ id, actual, expected, mode, tolerance } satisfies CompareTask);
      return result;
    },
    /** Threads running now (started on the first comparison above the threshold). */
    get threads(): number {
      return threads.length;
    },
    /** Ends the threads; comparisons still waiting for one are rejected. */
    async close(): Promise<void> {
      closed = true;
      const stopping = threads.splice(0);
      for (const thread of stopping) failAll(thread, new Error('the output comparer was closed'));
      await Promise.all(stopping.map((thread) => thread.worker.terminate()));
    },
  };
}

export type OutputComparer = ReturnType<typeof createOutputComparer>;
