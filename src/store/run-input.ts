// Frames clients send to a running run (stdin, eof, cancel), through a Redis Stream the
// worker that runs it reads. Frames sent before the program started are kept for it.
import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

export type InputFrame = { kind: 'stdin'; data: Buffer } | { kind: 'eof' } | { kind: 'cancel' };

export async function sendInput(redis: Redis, keys: Keys, runId: string, frame: InputFrame, retentionSeconds: number): Promise<void> {
  const fields: (string | Buffer)[] = frame.kind === 'stdin' ? ['t', 'stdin', 'd', frame.data] : ['t', frame.kind];
  await redis.multi().xadd(keys.input(runId), '*', ...fields).expire(keys.input(runId), retentionSeconds).exec();
}

/** Yields input frames from the first on. `redis` must be a connection of its own. */
export async function* readInput(redis: Redis, keys: Keys, runId: string, signal: AbortSignal): AsyncGenerator<InputFrame> {
  let lastId = '0-0';
  while (!signal.aborted) {
    let reply: Awaited<ReturnType<Redis['xreadBuffer']>>;
    try {
      reply = await redis.xreadBuffer('COUNT', 64, 'BLOCK', 500, 'STREAMS', keys.input(runId), lastId);
    } catch {
      // Redis is away (a restart): read on from the same frame once it is back, so a client's
      // stdin and cancel still reach a run that outlived the outage.
      if (!signal.aborted) await new Promise((resolve) => setTimeout(resolve, 500));
      continue;
    }
    if (!reply) continue;
    for (const [, entries] of reply) {
      for (const [idBuf, raw] of entries) {
        lastId = idBuf.toString();
        const type = raw[1]?.toString();
        if (type === 'stdin') yield { kind: 'stdin', data: raw[3] ?? Buffer.alloc(0) };
        else if (type === 'eof' || type === 'cancel') yield { kind: type };
      }
    }
  }
}
