// Compares a test's output with its expected output off the event loop when they are large:
// below `thresholdBytes` (both texts together) at once, in this thread; above it in a
// worker thread of a small pool, started on first use and reused, so that a judged run of
// megabytes does not hold up the worker's other runs, its lock renewals or its health port.
import { Worker } from 'node:worker_threads';
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

/**
 * The thread's script beside this module: compare-thread.js in dist/, compare-thread.ts
 * when this module itself runs as TypeScript (tsx, in tests), where the thread inherits
 * the loader through process.execArgv.
 */
export const compareThreadUrl = (moduleUrl = import.meta.url) =>
  new URL(`./compare-thread${moduleUrl.endsWith('.ts') ? '.ts' : '.js'}`, moduleUrl);

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
    // The thread inherits the process's flags (a loader such as tsx among them), but not
    // --input-type, which Node refuses for a thread started from a file.
    const execArgv = process.execArgv.filter((flag) => !flag.startsWith('--input-type'));
    const thread: Thread = { worker: new Worker(compareThreadUrl(), { execArgv }), pending: new Map() };
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
