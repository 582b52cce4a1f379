// Turns a run's input stream into what the sandbox needs: a cancel signal, and for
// interactive runs the program's stdin as chunks that end on the eof frame.
import type { Redis } from 'ioredis';
import type { Keys } from '../store/keys.js';
import { readInput } from '../store/run-input.js';

export function createRunInputPump(redis: Redis, keys: Keys, runId: string, interactive: boolean) {
  const stop = new AbortController();
  const cancel = new AbortController();
  const queue: Buffer[] = [];
  let eof = !interactive;
  let wake: (() => void) | undefined;

  const pumped = (async () => {
    for await (const frame of readInput(redis, keys, runId, stop.signal)) {
      if (frame.kind === 'cancel') cancel.abort();
      else if (frame.kind === 'eof') eof = true;
      else if (!eof) queue.push(frame.data);
      wake?.();
    }
  })().catch(() => undefined);

  async function* stdin(): AsyncGenerator<Buffer> {
    while (!stop.signal.aborted) {
      while (queue.length > 0) yield queue.shift()!;
      if (eof) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  }

  return {
    cancelSignal: cancel.signal,
    stdinSource: interactive ? stdin() : undefined,
    async close(): Promise<void> {
      stop.abort();
      wake?.();
      redis.disconnect();
      // Not awaited: a read waiting for a Redis that is away never settles once its
      // connection is closed (ioredis), and would hold the run (and its job) forever.
      // Nothing the pump does after the abort matters any more.
      void pumped;
    },
  };
}
