// A run's frames in a Redis Stream. The worker appends output frames with id `<seq>-0` and
// status frames with `<last seq>-*`, so a reader resumes after output frame N by reading
// after id `N-0`, and replay and live reading are one XREAD loop. Output is coalesced for a
// few milliseconds and the number of frames is capped, so the stream stays bounded.
import type { Redis } from 'ioredis';
import { isRedisUnavailable } from '../lib/redis-connection.js';
import type { Keys } from './keys.js';
import { entryFields } from './stream-entry.js';

export type OutputPhase = 'compile' | 'run' | 'test';

export type EventFrame =
  | { kind: 'status'; status: string }
  | { kind: 'output'; stream: 'stdout' | 'stderr'; seq: number; data: Buffer; phase: OutputPhase; test?: number }
  | { kind: 'end' };

/** How output becomes frames: coalesced briefly, so a program writing a byte at a time does not make a frame per byte. */
export interface PublisherOptions {
  /** Output that arrives within this many ms of a frame's first byte joins that frame. */
  coalesceMs: number;
  /** A frame is written once it holds this much. */
  frameBytes: number;
  /** The stream's cap: past it, output is written only in full frames and at the end. */
  maxFrames: number;
}

export const defaultPublisherOptions: PublisherOptions = { coalesceMs: 10, frameBytes: 64 * 1024, maxFrames: 10_000 };

interface Held {
  stream: 'stdout' | 'stderr';
  phase: OutputPhase;
  test?: number;
  chunks: Buffer[];
  bytes: number;
}

export function createEventPublisher(redis: Redis, keys: Keys, runId: string, options: PublisherOptions = defaultPublisherOptions) {
  const key = keys.events(runId);
  let seq = 0;
  let pending: Promise<unknown> = Promise.resolve();
  let failure: unknown;
  // Output not yet written, per stream, phase and test. Below the cap there is at most one
  // (a change of stream writes the other first, so order is kept); past it, one of each.
  const held = new Map<string, Held>();
  let timer: NodeJS.Timeout | undefined;

  const write = (heldKey: string) => {
    const frame = held.get(heldKey);
    if (!frame) return;
    held.delete(heldKey);
    seq += 1;
    const fields: (string | Buffer)[] = ['t', frame.stream, 'd', Buffer.concat(frame.chunks)];
    if (frame.phase !== 'run') fields.push('p', frame.phase);
    if (frame.test !== undefined) fields.push('i', String(frame.test));
    pending = redis.xadd(key, `${seq}-0`, ...fields).catch((error) => (failure ??= error));
  };
  const writeAll = () => {
    clearTimeout(timer);
    timer = undefined;
    for (const heldKey of [...held.keys()]) write(heldKey);
  };

  return {
    /** Adds output (`test`: the test's index in judge mode); frames go out in order, pipelined. */
    output(stream: 'stdout' | 'stderr', data: Buffer, phase: OutputPhase, test?: number): void {
      if (data.length === 0) return;
      const heldKey = `${stream}/${phase}/${test ?? ''}`;
      const capped = seq >= options.maxFrames;
      if (!capped && !held.has(heldKey)) writeAll();
      let frame = held.get(heldKey);
      if (!frame) held.set(heldKey, (frame = { stream, phase, test, chunks: [], bytes: 0 }));
      frame.chunks.push(data);
      frame.bytes += data.length;
      if (frame.bytes >= options.frameBytes) write(heldKey);
      else if (!capped) timer ??= setTimeout(writeAll, options.coalesceMs);
    },
    get lastSeq() {
      return seq;
    },
    /** Writes what is held; resolves when every frame is in Redis, rejects if one was lost. */
    async flush(): Promise<void> {
      writeAll();
      await pending;
      if (failure) throw failure;
    },
  };
}
export type EventPublisher = ReturnType<typeof createEventPublisher>;

function parseEntry(id: string, raw: Buffer[]): EventFrame | undefined {
  const fields = entryFields(raw);
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

/** How long a read goes on trying while Redis is unreachable (a restart, a Sentinel failover) before it gives up. */
const UNREACHABLE_MAX_MS = 20_000;

/**
 * Yields a run's frames from `after` on, then live ones, until the end frame.
 * `redis` must be a connection of its own: XREAD BLOCK holds it. While Redis is unreachable
 * the read waits for the connection to come back (to the new primary after a failover) and
 * goes on after the last frame it yielded, for up to UNREACHABLE_MAX_MS.
 */
export async function* readFrames(redis: Redis, keys: Keys, runId: string, options: ReadFramesOptions): AsyncGenerator<EventFrame> {
  const key = keys.events(runId);
  let lastId = `${options.after}-0`;
  let unreachableSince: number | undefined;
  while (!options.signal.aborted) {
    let reply: Awaited<ReturnType<Redis['xreadBuffer']>>;
    try {
      reply = await redis.xreadBuffer('COUNT', 256, 'BLOCK', options.blockMs ?? 1000, 'STREAMS', key, lastId);
      unreachableSince = undefined;
    } catch (error) {
      if (options.signal.aborted) return;
      unreachableSince ??= Date.now();
      if (!isRedisUnavailable(error as Error) || Date.now() - unreachableSince > UNREACHABLE_MAX_MS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
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

export interface EventReaderOptions {
  /** A new connection for each read: XREAD BLOCK holds it. */
  connect: () => Redis;
  keys: Keys;
}

/** Reads runs' frames, each read on a connection of its own, closed when the read ends or `signal` aborts. */
export function createEventReader({ connect, keys }: EventReaderOptions) {
  return {
    async *read(runId: string, options: Omit<ReadFramesOptions, 'blockMs'>): AsyncGenerator<EventFrame> {
      const redis = connect();
      // A reader gone: its blocking read ends now, not when XREAD BLOCK next returns.
      const cut = () => redis.disconnect();
      options.signal.addEventListener('abort', cut, { once: true });
      try {
        yield* readFrames(redis, keys, runId, options);
      } finally {
        options.signal.removeEventListener('abort', cut);
        redis.disconnect();
      }
    },
  };
}
export type EventReader = ReturnType<typeof createEventReader>;
