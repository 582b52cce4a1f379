// Frames clients send to a running run (stdin, eof, cancel), through a Redis Stream the
// worker that runs it reads. Frames sent before the program started are kept for it; frames
// for a run that has ended are dropped, and the stream itself is deleted when the run ends.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';
import { luaScript } from './lua-script.js';
import { entryFields } from './stream-entry.js';
import { STDIN_BYTES_FIELD } from './run-store.js';
import { createStreamFollower } from './stream-follower.js';

export type InputFrame = { kind: 'stdin'; data: Buffer } | { kind: 'eof' } | { kind: 'cancel' };

// KEYS: record, input; ARGV: type, data, most stdin bytes, retention seconds. One step for
// every API process: the run must be queued or running, and a stdin frame must keep the
// run's stdin total within the cap (the total lives in the record, which expires with it).
const SEND = `
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'queued' and status ~= 'running' then return 'ended' end
if ARGV[1] == 'stdin' then
  local total = tonumber(redis.call('HGET', KEYS[1], '${STDIN_BYTES_FIELD}') or '0') + string.len(ARGV[2])
  if total > tonumber(ARGV[3]) then return 'limit' end
  redis.call('HSET', KEYS[1], '${STDIN_BYTES_FIELD}', total)
  redis.call('XADD', KEYS[2], '*', 't', 'stdin', 'd', ARGV[2])
else
  redis.call('XADD', KEYS[2], '*', 't', ARGV[1])
end
redis.call('EXPIRE', KEYS[2], ARGV[4])
return 'sent'`;
const send = luaScript(SEND);

/** sent; limit: the frame would take the run's stdin past the cap (dropped); ended: the run has ended or does not exist (dropped). */
export type SendOutcome = 'sent' | 'limit' | 'ended';

export interface SendInputOptions {
  /** Most bytes of stdin frames one run may get, all API processes together (STDIN_MAX_BYTES). */
  maxStdinBytes: number;
  retentionSeconds: number;
}

/** Passes a client's stdin or eof frame to a queued or running run. */
export async function sendInput(
  redis: Redis,
  keys: Keys,
  runId: string,
  frame: Exclude<InputFrame, { kind: 'cancel' }>,
  options: SendInputOptions,
): Promise<SendOutcome> {
  const data = frame.kind === 'stdin' ? frame.data : '';
  return (await send(
    redis,
    [keys.run(runId), keys.input(runId)],
    frame.kind,
    data,
    options.maxStdinBytes,
    options.retentionSeconds,
  )) as SendOutcome;
}

/** Binds sendInput to a connection and the caps: what the API hands its stream route. */
export function createInputSender(redis: Redis, keys: Keys, options: SendInputOptions) {
  return {
    send: (runId: string, frame: Exclude<InputFrame, { kind: 'cancel' }>) => sendInput(redis, keys, runId, frame, options),
  };
}
export type InputSender = ReturnType<typeof createInputSender>;

function parseFrame(raw: Buffer[]): InputFrame | undefined {
  const fields = entryFields(raw);
  const type = fields.get('t')?.toString();
  if (type === 'stdin') return { kind: 'stdin', data: fields.get('d') ?? Buffer.alloc(0) };
  if (type === 'eof' || type === 'cancel') return { kind: type };
  return undefined;
}

/**
 * Reads the input streams of every run a worker has under way with one blocking XREAD on one
 * connection of its own (stream-follower.ts), instead of a connection per run, so a run's
 * frames (a cancel, stdin typed early) are read at once. Frames go to each run's listener in
 * order, from its stream's first.
 */
export function createInputReader(connect: () => Redis, waker: Redis, keys: Keys) {
  const follower = createStreamFollower({ connect, waker, wakeKey: keys.inputWake(randomUUID()) });
  return {
    /** Passes the run's input frames to `onFrame` until the returned function is called. */
    follow(runId: string, onFrame: (frame: InputFrame) => void): () => void {
      return follower.follow(keys.input(runId), ([, raw]) => {
        const frame = parseFrame(raw);
        if (frame) onFrame(frame);
      });
    },
    /** Ends the reading; a read in flight is cut by closing its connection. */
    close: () => follower.close(),
  };
}
export type InputReader = ReturnType<typeof createInputReader>;
