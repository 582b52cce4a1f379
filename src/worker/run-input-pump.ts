// Turns a run's input frames into what the sandbox needs: a cancel signal, and for
// interactive runs the program's stdin as chunks that end on the eof frame. The frames come
// from the worker's one input reader (store/run-input.ts).
import type { InputReader } from '../store/run-input.js';

export function createRunInputPump(reader: InputReader, runId: string, interactive: boolean) {
  const stop = new AbortController();
  const cancel = new AbortController();
  const queue: Buffer[] = [];
  let eof = !interactive;
  let wake: (() => void) | undefined;

  const unfollow = reader.follow(runId, (frame) => {
    if (frame.kind === 'cancel') cancel.abort();
    else if (frame.kind === 'eof') eof = true;
    else if (!eof) queue.push(frame.data);
    wake?.();
  });

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
    close(): void {
      stop.abort();
      unfollow();
      wake?.();
    },
  };
}
