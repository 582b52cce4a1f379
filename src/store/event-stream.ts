// A run's frames in a Redis Stream. The worker appends output frames with id `<seq>-0` and
// status frames with `<last seq>-*`, so a reader resumes after output frame N by reading
// after id `N-0`, and replay and live reading are one XREAD loop.
import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

export type OutputPhase = 'compile' | 'run' | 'test';

export type EventFrame =
  | { kind: 'status'; status: string }
  | { kind: 'output'; stream: 'stdout' | 'stderr'; seq: number; data: Buffer; phase: OutputPhase; test?: number }
  | { kind: 'end' };

export function createEventPublisher(redis: Redis, keys: Keys, runId: string) {
  const key = keys.events(runId);
  let seq = 0;
  let pending: Promise<unknown> = Promise.resolve();
  let failure: unknown;

  return {
    /** Appends one output frame (`test`: the test's index in judge mode); commands are pipelined in order. */
    output(stream: 'stdout' | 'stderr', data: Buffer, phase: OutputPhase, test?: number): void {
      if (data.length === 0) return;
      seq += 1;
      const fields: (string | Buffer)[] = ['t', stream, 'd', data];
      if (phase !== 'run') fields.push('p', phase);
      if (test !== undefined) fields.push('i', String(test));
      pending = redis.xadd(key, `${seq}-0`, ...fields).catch((error) => (failure ??= error));
    },
    get lastSeq() {
      return seq;
    },
    /** Resolves when every frame appended so far is in Redis; rejects if one was lost. */
    async flush(): Promise<void> {
      await pending;
      if (failure) throw failure;
    },
  };
}
export type EventPublisher = ReturnType<typeof createEventPublisher>;

function parseEntry(id: string, raw: Buffer[]): EventFrame | undefined {
  const fields = new Map<string, Buffer>();
  for (let i = 0; i + 1 < raw.length; i += 2) fields.set(raw[i].toString(), raw[i + 1]);
  const type = fields.get('t')?.toString();
  if (type === 'status') return { kind: 'status', status: fields.get('s')?.toString() ?? '' };
  if (type === 'end') return { kind: 'end' };
  if (type === 'stdout' || type === 'stderr') {
    const phase = (fields.get('p')?.toString() as OutputPhase | undefined) ?? 'run';
    const test = fields.get('i');
    return {
      kind: 'output',
      stream: type,
      seq: Number(id.split('-')[0]),
      data: fields.get('d') ?? Buffer.alloc(0),
      phase,
      ...(test ? { test: Number(test.toString()) } : {}),
    };
  }
  return undefined;
}

export interface ReadFramesOptions {
  /** Resume after output frame N (0 = from the start). */
  after: number;
  signal: AbortSignal;
  blockMs?: number;
}

/**
 * Yields a run's frames from `after` on, then live ones, until the end frame.
 * `redis` must be a connection of its own: XREAD BLOCK holds it.
 */
export async function* readFrames(redis: Redis, keys: Keys, runId: string, options: ReadFramesOptions): AsyncGenerator<EventFrame> {
  const key = keys.events(runId);
  let lastId = `${options.after}-0`;
  while (!options.signal.aborted) {
    const reply = await redis.xreadBuffer('COUNT', 256, 'BLOCK', options.blockMs ?? 1000, 'STREAMS', key, lastId);
    if (!reply) continue;
    for (const [, entries] of reply) {
      for (const [idBuf, raw] of entries) {
        lastId = idBuf.toString();
        const frame = parseEntry(lastId, raw);
        if (!frame) continue;
        yield frame;
        if (frame.kind === 'end') return;
      }
    }
  }
}
