// Frames clients send to a running run (stdin, eof, cancel), through a Redis Stream the
// worker that runs it reads. Frames sent before the program started are kept for it; frames
// for a run that has ended are dropped, and the stream itself is deleted when the run ends.
import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';
import { STDIN_BYTES_FIELD } from './run-store.js';

export type InputFrame = { kind: 'stdin'; data: Buffer } | { kind: 'eof' } | { kind: 'cancel' };

// KEYS: record, input; ARGV: type, data, most stdin bytes, retention seconds. One step for
// every API process: the run must be queued or running, and a stdin frame must keep the
// run's stdin total within the cap (the total lives in the record, which expires with it).
const SEND = `
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= '"queued"' and status ~= '"running"' then return 'ended' end
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

/** sent; limit: the frame would take the run's stdin past the cap (dropped); ended: the run has ended or does not exist (dropped). */
export type SendOutcome = 'sent' | 'limit' | 'ended';

export interface SendInputOptions {
  /** Most bytes of stdin frames one run may get, all API processes together (STDIN_MAX_BYTES). */
  maxStdinBytes: number;
  retentionSeconds: number;
}

/** Passes a client's stdin or eof frame to a queued or running run. */
export async function sendInput(redis: Redis, keys: Keys, runId: string, frame: Exclude<InputFrame, { kind: 'cancel' }>, options: SendInputOptions): Promise<SendOutcome> {
  const data = frame.kind === 'stdin' ? frame.data : '';
  return (await redis.eval(SEND, 2, keys.run(runId), keys.input(runId), frame.kind, data, options.maxStdinBytes, options.retentionSeconds)) as SendOutcome;
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
