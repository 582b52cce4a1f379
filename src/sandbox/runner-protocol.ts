// The runner protocol: what the worker and runbox-run (deploy/runtimes/runner/) say to each
// other over the container's stdin and stdout. This table and deploy/runtimes/runner/protocol.h
// are the two halves of one contract; test/unit/sandbox/runner-protocol.test.ts checks they
// agree, and test/unit/sandbox/runner-golden.test.ts talks to the real binary.
//
// Frame, both ways: type (1 byte), payload length (u32 big-endian), payload, then a 16-byte
// tag: HMAC-SHA256(key, direction | seq | type | length | payload), truncated. The key is the
// first frame the worker sends (the only one without a tag); each direction counts its frames
// from 0 and signs with its own direction byte ('H' host to runner, 'R' runner to host). So
// nothing in the sandbox can speak for runbox-run, replay or drop one of its frames unseen.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

export const PROTOCOL_VERSION = 2;
export const TAG_BYTES = 16;
export const KEY_BYTES = 32;
/** The largest frame either side accepts (an exec spec with its argv and env). */
export const MAX_FRAME_BYTES = 2 * 1024 * 1024;
/** Output and file data travel in pieces of at most this many bytes. */
export const CHUNK_BYTES = 64 * 1024;

/** Host to runner. */
export const HostFrame = {
  key: 'K',
  file: 'F',
  data: 'D',
  exec: 'X',
  stdin: 'I',
  stdinEnd: 'E',
  snapshot: 'S',
  restore: 'R',
  collect: 'C',
  sync: 'Y',
  quit: 'Q',
  /** A session's files: one file or folder listing read, a path removed, a snapshot's folder loaded. */
  get: 'G',
  remove: 'U',
  load: 'L',
} as const;

/** Runner to host. */
export const RunnerFrame = {
  ready: 'y',
  stdout: 'o',
  stderr: 'e',
  report: 'r',
  file: 'F',
  data: 'D',
  collected: 'c',
  error: 'x',
  ok: 'k',
  bye: 'q',
  entry: 'n',
} as const;

/** Fields of an exec frame: tag (1 byte), length (u32 big-endian), value. */
export const ExecField = {
  arg: 'a',
  env: 'e',
  cwd: 'w',
  timeMs: 't',
  cpuMs: 'c',
  outputBytes: 'o',
  cgroupPeak: 'p',
  shared: 's',
} as const;

/** How one program ended, as runbox-run measured it. */
export const RunnerReportSchema = Type.Object(
  {
    /** -1 when a signal ended it. */
    exitCode: Type.Integer({ minimum: -1, maximum: 255 }),
    signal: Type.Integer({ minimum: 0, maximum: 128 }),
    timeMs: Type.Integer({ minimum: 0 }),
    cpuTimeMs: Type.Integer({ minimum: 0 }),
    memoryBytes: Type.Integer({ minimum: 0 }),
    oomKilled: Type.Boolean(),
    timedOut: Type.Boolean(),
    cpuExceeded: Type.Boolean(),
    outputExceeded: Type.Union([Type.Literal('stdout'), Type.Literal('stderr'), Type.Null()]),
  },
  { additionalProperties: false },
);
export type RunnerReport = Static<typeof RunnerReportSchema>;

export const ReadySchema = Type.Object(
  { protocol: Type.Literal(PROTOCOL_VERSION), uid: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);
export const CollectedSchema = Type.Object(
  { files: Type.Integer({ minimum: 0 }), bytes: Type.Integer({ minimum: 0 }), exceeded: Type.Boolean() },
  { additionalProperties: false },
);
export type Collected = Static<typeof CollectedSchema>;
export const RunnerErrorSchema = Type.Object(
  {
    error: Type.String({ maxLength: 2048 }),
    /** The errno's name where one says why (ENOENT, ELOOP, ENOSPC, ...). */
    code: Type.Optional(Type.String({ pattern: '^E[A-Z0-9]{1,30}$' })),
  },
  { additionalProperties: false },
);
const EmptySchema = Type.Object({}, { additionalProperties: false });

export type RunnerMessage =
  | { type: 'ready'; uid: number }
  | { type: 'stdout' | 'stderr'; data: Buffer }
  | { type: 'report'; report: RunnerReport }
  | { type: 'file'; mode: number; size: number; path: string }
  | { type: 'data'; offset: number; data: Buffer }
  | { type: 'collected'; collected: Collected }
  | { type: 'entry'; mode: number; size: number; mtimeMs: number; name: string }
  | { type: 'error'; error: string; code?: string }
  | { type: 'ok' }
  | { type: 'bye' };

/** The conversation with runbox-run cannot be believed any more: a bad tag, a frame out of order, a payload that is not what the table says. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

const code = (letter: string) => letter.charCodeAt(0);

function tagOf(key: Buffer, direction: 'H' | 'R', seq: bigint, type: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(14);
  head[0] = code(direction);
  head.writeBigUInt64BE(seq, 1);
  head[9] = type;
  head.writeUInt32BE(payload.length, 10);
  return createHmac('sha256', key).update(head).update(payload).digest().subarray(0, TAG_BYTES);
}

/** The key frame: the first thing a sandbox reads, and the only frame without a tag. */
export function keyFrame(key: Buffer): Buffer {
  if (key.length !== KEY_BYTES) throw new Error(`a key is ${KEY_BYTES} bytes`);
  const head = Buffer.alloc(5);
  head[0] = code(HostFrame.key);
  head.writeUInt32BE(KEY_BYTES, 1);
  return Buffer.concat([head, key]);
}

/** Frames to one runner, tagged and counted. */
export function createHostEncoder(key: Buffer) {
  let seq = 0n;
  const frame = (type: (typeof HostFrame)[keyof typeof HostFrame], payload: Buffer = Buffer.alloc(0)): Buffer => {
    if (payload.length > MAX_FRAME_BYTES) throw new Error(`a frame of ${payload.length} bytes is over the limit of ${MAX_FRAME_BYTES}`);
    const head = Buffer.alloc(5);
    head[0] = code(type);
    head.writeUInt32BE(payload.length, 1);
    return Buffer.concat([head, payload, tagOf(key, 'H', seq++, code(type), payload)]);
  };
  return { frame };
}
export type HostEncoder = ReturnType<typeof createHostEncoder>;

/** What one execution runs and within which limits. */
export interface ExecSpec {
  argv: readonly string[];
  /** Over runbox-run's own environment (the container's), for the program alone. */
  env: Readonly<Record<string, string>>;
  /** Relative to the work folder. */
  cwd?: string;
  timeMs: number;
  cpuMs: number;
  outputBytes: number;
  /** Measure memory by the sandbox's cgroup peak (a run's one execution). */
  cgroupPeak?: boolean;
  /** Other processes share the sandbox (a session's terminal): stop and measure only this execution's own. */
  shared?: boolean;
}

function field(tag: string, value: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = code(tag);
  head.writeUInt32BE(value.length, 1);
  return Buffer.concat([head, value]);
}

const u64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(n))));
  return b;
};

export function encodeExec(spec: ExecSpec): Buffer {
  const parts = [
    ...spec.argv.map((a) => field(ExecField.arg, Buffer.from(a))),
    ...Object.entries(spec.env).map(([k, v]) => field(ExecField.env, Buffer.from(`${k}=${v}`))),
    ...(spec.cwd ? [field(ExecField.cwd, Buffer.from(spec.cwd))] : []),
    field(ExecField.timeMs, u64(spec.timeMs)),
    field(ExecField.cpuMs, u64(spec.cpuMs)),
    field(ExecField.outputBytes, u64(spec.outputBytes)),
    ...(spec.cgroupPeak ? [field(ExecField.cgroupPeak, Buffer.alloc(0))] : []),
    ...(spec.shared ? [field(ExecField.shared, Buffer.alloc(0))] : []),
  ];
  return Buffer.concat(parts);
}

/** A file frame's payload: mode (with its type bits), size, path. */
export function encodeFile(mode: number, size: number, path: string): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt32BE(mode >>> 0, 0);
  head.writeBigUInt64BE(BigInt(size), 4);
  return Buffer.concat([head, Buffer.from(path)]);
}

/** A data frame's payload: offset, bytes. */
export function encodeData(offset: number, data: Buffer): Buffer {
  return Buffer.concat([u64(offset), data]);
}

export const encodeBudget = (bytes: number) => u64(bytes);

/** A get frame's payload: the byte budget, then the path ("" for the work folder). */
export const encodeGet = (budgetBytes: number, path: string) => Buffer.concat([u64(budgetBytes), Buffer.from(path)]);

const checkers = new Map<TSchema, ReturnType<typeof TypeCompiler.Compile>>();
function parseJson<T extends TSchema>(schema: T, payload: Buffer, what: string): Static<T> {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new ProtocolError(`${what} is not JSON`);
  }
  let checker = checkers.get(schema);
  if (!checker) checkers.set(schema, (checker = TypeCompiler.Compile(schema)));
  if (!checker.Check(value)) {
    const first = checker.Errors(value).First();
    throw new ProtocolError(`${what} does not match its schema${first ? ` (${first.path || '/'}: ${first.message})` : ''}`);
  }
  return value as Static<T>;
}

function decode(type: number, payload: Buffer): RunnerMessage {
  switch (String.fromCharCode(type)) {
    case RunnerFrame.ready:
      return { type: 'ready', uid: parseJson(ReadySchema, payload, 'the ready frame').uid };
    case RunnerFrame.stdout:
      return { type: 'stdout', data: payload };
    case RunnerFrame.stderr:
      return { type: 'stderr', data: payload };
    case RunnerFrame.report:
      return { type: 'report', report: parseJson(RunnerReportSchema, payload, 'the report') };
    case RunnerFrame.file: {
      if (payload.length < 13) throw new ProtocolError('a short file frame');
      const size = payload.readBigUInt64BE(4);
      if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw new ProtocolError('a file larger than can be');
      return { type: 'file', mode: payload.readUInt32BE(0), size: Number(size), path: payload.subarray(12).toString('utf8') };
    }
    case RunnerFrame.data: {
      if (payload.length < 8) throw new ProtocolError('a short data frame');
      const offset = payload.readBigUInt64BE(0);
      if (offset > BigInt(Number.MAX_SAFE_INTEGER)) throw new ProtocolError('data past what can be');
      return { type: 'data', offset: Number(offset), data: payload.subarray(8) };
    }
    case RunnerFrame.collected:
      return { type: 'collected', collected: parseJson(CollectedSchema, payload, 'the end of a collect') };
    case RunnerFrame.entry: {
      if (payload.length < 21) throw new ProtocolError('a short entry frame');
      const size = payload.readBigUInt64BE(4);
      const mtime = payload.readBigUInt64BE(12);
      if (size > BigInt(Number.MAX_SAFE_INTEGER) || mtime > BigInt(Number.MAX_SAFE_INTEGER))
        throw new ProtocolError('an entry out of range');
      return {
        type: 'entry',
        mode: payload.readUInt32BE(0),
        size: Number(size),
        mtimeMs: Number(mtime),
        name: payload.subarray(20).toString('utf8'),
      };
    }
    case RunnerFrame.error: {
      const { error, code } = parseJson(RunnerErrorSchema, payload, 'an error frame');
      return { type: 'error', error, ...(code ? { code } : {}) };
    }
    case RunnerFrame.ok:
      parseJson(EmptySchema, payload, 'an ok frame');
      return { type: 'ok' };
    case RunnerFrame.bye:
      parseJson(EmptySchema, payload, 'a bye frame');
      return { type: 'bye' };
    default:
      throw new ProtocolError(`unknown frame type ${type}`);
  }
}

/**
 * Reads runbox-run's stdout: chunks cut anywhere in, checked messages out. Throws
 * ProtocolError on a bad tag, an oversized or unknown frame or a payload off its schema; after
 * that nothing more is read.
 */
export function createRunnerDecoder(key: Buffer) {
  let seq = 0n;
  let pending: Buffer = Buffer.alloc(0);
  let broken: ProtocolError | undefined;
  return {
    push(chunk: Buffer): RunnerMessage[] {
      if (broken) throw broken;
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      const messages: RunnerMessage[] = [];
      try {
        let offset = 0;
        while (pending.length - offset >= 5) {
          const size = pending.readUInt32BE(offset + 1);
          if (size > MAX_FRAME_BYTES) throw new ProtocolError(`a frame of ${size} bytes is over the limit of ${MAX_FRAME_BYTES}`);
          if (pending.length - offset < 5 + size + TAG_BYTES) break;
          const type = pending[offset];
          const payload = pending.subarray(offset + 5, offset + 5 + size);
          const tag = pending.subarray(offset + 5 + size, offset + 5 + size + TAG_BYTES);
          if (!timingSafeEqual(tag, tagOf(key, 'R', seq, type, payload))) throw new ProtocolError(`frame ${seq} failed its tag`);
          seq++;
          messages.push(decode(type, Buffer.from(payload)));
          offset += 5 + size + TAG_BYTES;
        }
        pending = pending.subarray(offset);
      } catch (error) {
        broken = error instanceof ProtocolError ? error : new ProtocolError(String(error));
        throw broken;
      }
      return messages;
    },
    /** Bytes of a frame begun and not finished (an unfinished last frame, once the stream ends). */
    get partialBytes() {
      return pending.length;
    },
  };
}
export type RunnerDecoder = ReturnType<typeof createRunnerDecoder>;
