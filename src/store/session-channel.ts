// How the API reaches the worker that holds a session, through Redis alone: a command stream per
// worker (the API appends, the worker reads), a reply stream per command (output, data, then
// the end or an error), and two streams per terminal (input from the API, output from the
// worker). Every stream is short-lived: replies and terminal streams expire a minute after their
// last entry, and a reader deletes a reply once it has it all. A command or a terminal's input
// is deleted as soon as the worker has taken it, so those streams hold only what is unread,
// and the senders bound that: a worker with COMMANDS_BACKLOG_MAX commands unread takes no
// more (a file's bytes travel in its command), a terminal's input waits while its backlog is
// long (the API stops reading the client's socket).
import type { Redis } from 'ioredis';
import type { CommandError, SessionCommand } from '../domain/session-command.js';
import type { Keys } from './keys.js';
import { luaScript } from './lua-script.js';
import { pipelineReplies } from './pipeline-replies.js';
import { fieldsOf, type StreamFollower } from './stream-follower.js';

/** A reply or terminal stream lives this long after its last entry (its reader may be gone). */
const STREAM_TTL_SECONDS = 60;
/** A worker's command stream keeps at most about this many entries (each is read within milliseconds). */
const COMMANDS_MAXLEN = 1000;
/** Unread commands past which a worker takes no more for now (each may carry a file of up to SESSION_FILE_MAX_BYTES). */
export const COMMANDS_BACKLOG_MAX = 16;
/** A command appended in one step with its backlog check, so that senders at once never pass the cap. */
const SEND = luaScript(`
if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
if ARGV[4] then
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'j', ARGV[3], 'd', ARGV[4])
else
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'j', ARGV[3])
end
redis.call('EXPIRE', KEYS[1], 3600)
return 1`);
/** Pieces of data (a file, output) are at most this large per entry. */
export const REPLY_CHUNK_BYTES = 256 * 1024;

export type ReplyEntry =
  | { kind: 'output'; stream: 'stdout' | 'stderr'; data: Buffer }
  | { kind: 'data'; data: Buffer }
  | { kind: 'end'; result: unknown }
  | { kind: 'error'; error: CommandError };

export type ShellInput = { kind: 'stdin'; data: Buffer } | { kind: 'resize'; cols: number; rows: number } | { kind: 'close' };
export type ShellOutput = { kind: 'stdout'; data: Buffer } | { kind: 'exit'; exitCode: number | null } | { kind: 'error'; message: string };

export interface CommandEnvelope {
  /** Where the answer goes (a reply stream's id). */
  replyTo: string;
  command: SessionCommand;
}

function parseReply(raw: Buffer[]): ReplyEntry | undefined {
  const fields = fieldsOf(raw);
  const data = fields.get('d') ?? Buffer.alloc(0);
  switch (fields.get('t')?.toString()) {
    case 'o':
      return { kind: 'output', stream: fields.get('s')?.toString() === 'stderr' ? 'stderr' : 'stdout', data };
    case 'd':
      return { kind: 'data', data };
    case 'e':
      return { kind: 'end', result: JSON.parse(fields.get('j')?.toString() ?? 'null') };
    case 'x':
      return { kind: 'error', error: JSON.parse(fields.get('j')?.toString() ?? '{}') as CommandError };
    default:
      return undefined;
  }
}

function parseShellInput(raw: Buffer[]): ShellInput | undefined {
  const fields = fieldsOf(raw);
  switch (fields.get('t')?.toString()) {
    case 'i':
      return { kind: 'stdin', data: fields.get('d') ?? Buffer.alloc(0) };
    case 'r': {
      const size = JSON.parse(fields.get('j')?.toString() ?? '{}') as { cols?: unknown; rows?: unknown };
      return typeof size.cols === 'number' && typeof size.rows === 'number'
        ? { kind: 'resize', cols: size.cols, rows: size.rows }
        : undefined;
    }
    case 'c':
      return { kind: 'close' };
    default:
      return undefined;
  }
}

function parseShellOutput(raw: Buffer[]): ShellOutput | undefined {
  const fields = fieldsOf(raw);
  switch (fields.get('t')?.toString()) {
    case 'o':
      return { kind: 'stdout', data: fields.get('d') ?? Buffer.alloc(0) };
    case 'x':
      return { kind: 'exit', exitCode: (JSON.parse(fields.get('j')?.toString() ?? '{}') as { exitCode?: number | null }).exitCode ?? null };
    case 'e':
      return { kind: 'error', message: fields.get('m')?.toString() ?? '' };
    default:
      return undefined;
  }
}

export function createSessionChannel(redis: Redis, keys: Keys) {
  /** Appends an entry to a short-lived stream; resolves with the stream's length after it (its backlog, once its reader deletes what it took). */
  const append = async (key: string, ...fields: (string | Buffer)[]): Promise<number> => {
    const replies = await pipelineReplies(
      redis
        .multi()
        .xadd(key, '*', ...fields)
        .expire(key, STREAM_TTL_SECONDS)
        .xlen(key),
    );
    return Number(replies[2]);
  };

  return {
    /**
     * Appends a command to a worker's stream; `data` (a file's bytes) travels beside it. False,
     * and nothing appended, when the worker has COMMANDS_BACKLOG_MAX commands unread.
     */
    async send(worker: string, envelope: CommandEnvelope, data?: Buffer): Promise<boolean> {
      const args = [COMMANDS_BACKLOG_MAX, COMMANDS_MAXLEN, JSON.stringify(envelope), ...(data ? [data] : [])];
      return (await SEND(redis, [keys.workerCommands(worker)], ...args)) === 1;
    },

    /** A worker's commands (its id is new with each process, so its stream holds only its own), until the returned function is called. */
    followCommands(follower: StreamFollower, worker: string, onCommand: (envelope: CommandEnvelope, data?: Buffer) => void): () => void {
      const key = keys.workerCommands(worker);
      return follower.follow(key, ([id, raw]) => {
        // Taken: a command (and a file in it) no longer waits in Redis.
        void redis.xdel(key, id).catch(() => undefined);
        const fields = fieldsOf(raw);
        const json = fields.get('j');
        if (json) onCommand(JSON.parse(json.toString()) as CommandEnvelope, fields.get('d'));
      });
    },

    /** The worker's side of one reply. Each write is appended in order; `end` and `fail` close it. */
    replyWriter(replyId: string) {
      const key = keys.reply(replyId);
      let chain: Promise<unknown> = Promise.resolve();
      const write = (...fields: (string | Buffer)[]) => {
        chain = chain.then(() => append(key, ...fields)).catch(() => undefined);
        return chain as Promise<void>;
      };
      return {
        output: (stream: 'stdout' | 'stderr', data: Buffer) => write('t', 'o', 's', stream, 'd', data),
        data(bytes: Buffer): Promise<void> {
          for (let at = 0; at < bytes.length; at += REPLY_CHUNK_BYTES) write('t', 'd', 'd', bytes.subarray(at, at + REPLY_CHUNK_BYTES));
          return chain as Promise<void>;
        },
        end: (result: unknown) => write('t', 'e', 'j', JSON.stringify(result)),
        fail: (error: CommandError) => write('t', 'x', 'j', JSON.stringify(error)),
      };
    },

    /** The API's side of one reply: its entries in order, until the returned function is called. */
    followReply(follower: StreamFollower, replyId: string, onEntry: (entry: ReplyEntry) => void): () => void {
      return follower.follow(keys.reply(replyId), ([, raw]) => {
        const entry = parseReply(raw);
        if (entry) onEntry(entry);
      });
    },

    /** Deletes a reply that has been read whole. */
    async dropReply(replyId: string): Promise<void> {
      await redis.del(keys.reply(replyId));
    },

    /** A terminal's input, from the API; resolves with how many input entries the worker has not taken yet (for flow control). */
    async sendShellInput(shellId: string, input: ShellInput): Promise<number> {
      const key = keys.shellInput(shellId);
      if (input.kind === 'stdin') return append(key, 't', 'i', 'd', input.data);
      if (input.kind === 'resize') return append(key, 't', 'r', 'j', JSON.stringify({ cols: input.cols, rows: input.rows }));
      return append(key, 't', 'c');
    },

    /** Input entries of a terminal the worker has not taken yet. */
    shellInputBacklog: (shellId: string) => redis.xlen(keys.shellInput(shellId)),

    /**
     * The worker reads a terminal's input after `from` (an entry id; default: all); each entry
     * is deleted once passed to `onInput`, with its id, so that reading can stop and go on
     * after it (a terminal that takes no more input for now).
     */
    followShellInput(
      follower: StreamFollower,
      shellId: string,
      onInput: (input: ShellInput, id: string) => void,
      from?: string,
    ): () => void {
      const key = keys.shellInput(shellId);
      return follower.follow(
        key,
        ([id, raw]) => {
          void redis.xdel(key, id).catch(() => undefined);
          const input = parseShellInput(raw);
          if (input) onInput(input, id);
        },
        from,
      );
    },

    /** A terminal's output, from the worker; resolves with how many entries the API has not read yet (for flow control). */
    async sendShellOutput(shellId: string, output: ShellOutput): Promise<number> {
      const key = keys.shellOutput(shellId);
      if (output.kind === 'stdout') return append(key, 't', 'o', 'd', output.data);
      if (output.kind === 'exit') return append(key, 't', 'x', 'j', JSON.stringify({ exitCode: output.exitCode }));
      return append(key, 't', 'e', 'm', output.message);
    },

    /** Output entries of a terminal the API has not read yet. */
    shellBacklog: (shellId: string) => redis.xlen(keys.shellOutput(shellId)),

    /**
     * The API reads a terminal's output; `acknowledge`, once an entry has reached the client,
     * trims the stream up to it, so the stream's length says what the client has not had yet.
     */
    followShellOutput(
      follower: StreamFollower,
      shellId: string,
      onOutput: (output: ShellOutput, acknowledge: () => void) => void,
    ): () => void {
      const key = keys.shellOutput(shellId);
      return follower.follow(key, ([id, raw]) => {
        const acknowledge = () => void redis.xtrim(key, 'MINID', id).catch(() => undefined);
        const output = parseShellOutput(raw);
        if (output) onOutput(output, acknowledge);
        else acknowledge();
      });
    },

    async dropShell(shellId: string): Promise<void> {
      await redis.del(keys.shellInput(shellId), keys.shellOutput(shellId));
    },
  };
}

export type SessionChannel = ReturnType<typeof createSessionChannel>;
