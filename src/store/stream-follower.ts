// Reads many Redis Streams with one blocking XREAD on one connection of its own, instead of a
// connection per stream: a worker's run inputs, its command stream and its terminals' input; an
// API process's command replies and terminal output. A stream added while the read blocks wakes
// it through a stream of the reader's own, so its entries are read at once. Entries go to each
// stream's listener in order.
import type { Redis } from 'ioredis';

/** One stream entry: its id and its fields as [name, value, name, value, ...]. */
export type StreamEntry = [id: string, fields: Buffer[]];

export interface StreamFollowerOptions {
  /** Makes the reader's own connection (XREAD BLOCK holds it). */
  connect: () => Redis;
  /** A plain connection that wakes the read. */
  waker: Redis;
  /** The reader's wake stream (unique per reader). */
  wakeKey: string;
}

/** An entry's fields by name. */
export function fieldsOf(raw: Buffer[]): Map<string, Buffer> {
  const fields = new Map<string, Buffer>();
  for (let i = 0; i + 1 < raw.length; i += 2) fields.set(raw[i].toString(), raw[i + 1]);
  return fields;
}

export function createStreamFollower({ connect, waker, wakeKey }: StreamFollowerOptions) {
  /** By stream key. */
  const streams = new Map<string, { lastId: string; onEntry: (entry: StreamEntry) => void }>();
  let redis: Redis | undefined;
  let wakeId = '0-0';
  let running = false;
  let stopped = false;

  const wake = () => {
    waker
      .multi()
      .xadd(wakeKey, 'MAXLEN', '1', '*', 'w', '1')
      .expire(wakeKey, 60)
      .exec()
      .catch(() => undefined);
  };

  async function loop(): Promise<void> {
    while (!stopped && streams.size > 0) {
      redis ??= connect();
      const keys = [...streams.keys()];
      let reply: Awaited<ReturnType<Redis['xreadBuffer']>>;
      try {
        reply = await redis.xreadBuffer(
          'COUNT',
          64,
          'BLOCK',
          5000,
          'STREAMS',
          ...keys,
          wakeKey,
          ...keys.map((key) => streams.get(key)!.lastId),
          wakeId,
        );
      } catch {
        // Redis is away (a restart): read on from the same entries once it is back.
        if (!stopped) await new Promise((resolve) => setTimeout(resolve, 500));
        continue;
      }
      for (const [keyBuf, entries] of reply ?? []) {
        const key = keyBuf.toString();
        if (key === wakeKey) {
          wakeId = entries.at(-1)![0].toString();
          continue;
        }
        const stream = streams.get(key);
        if (!stream) continue;
        for (const [idBuf, raw] of entries) {
          // A listener that stopped (or followed anew from elsewhere) while its entries were
          // passed on gets none of the rest: they stay in the stream for a later follow.
          if (streams.get(key) !== stream) break;
          stream.lastId = idBuf.toString();
          stream.onEntry([stream.lastId, raw]);
        }
      }
    }
    running = false;
  }

  return {
    /** Passes the stream's entries after `from` (default: all) to `onEntry` until the returned function is called. */
    follow(key: string, onEntry: (entry: StreamEntry) => void, from = '0-0'): () => void {
      streams.set(key, { lastId: from, onEntry });
      if (!running && !stopped) {
        running = true;
        void loop();
      } else wake();
      return () => {
        streams.delete(key);
      };
    },
    /** Ends the reading; a read in flight is cut by closing its connection. */
    close(): void {
      stopped = true;
      streams.clear();
      redis?.disconnect();
    },
  };
}
export type StreamFollower = ReturnType<typeof createStreamFollower>;
