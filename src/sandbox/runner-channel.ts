// One conversation with runbox-run over a container's attach stream: Docker's framing off,
// runbox-run's tagged frames checked, and the order enforced. One command is outstanding at a
// time and each ends with its own answer; a frame that is not the answer to the command in
// flight (one after a report, a second report, files outside a collect), a bad tag, or a frame
// left unfinished when the stream ends breaks the channel: nothing it says after is believed.
import type { Duplex } from 'node:stream';
import { createDockerStreamParser } from './docker-stream.js';
import {
  CHUNK_BYTES,
  createHostEncoder,
  createRunnerDecoder,
  encodeBudget,
  encodeData,
  encodeExec,
  encodeFile,
  encodeGet,
  HostFrame,
  keyFrame,
  ProtocolError,
  type Collected,
  type ExecSpec,
  type RunnerMessage,
  type RunnerReport,
} from './runner-protocol.js';
import { S_IFDIR, WorkFolder } from './work-folder.js';

/** runbox-run could not do a command (a file that does not fit, a restore that failed); it said why. */
export class RunnerCommandError extends Error {
  override name = 'RunnerCommandError';
  constructor(
    message: string,
    /** The errno's name where runbox-run gave one (ENOENT, ELOOP, ENOSPC, ...). */
    readonly code?: string,
  ) {
    super(message);
  }
}

/** The stream ended before the answer: the sandbox is gone (killed, crashed, removed). */
export class ChannelClosedError extends Error {
  override name = 'ChannelClosedError';
}

/** What runbox-run wrote to its own stderr (never the program's): kept for the logs, bounded. */
const DIAGNOSTICS_BYTES = 4096;
/** A collect may send this much beyond its data budget (each entry's header). */
const COLLECT_SLACK_BYTES = 1024 * 1024;

interface Pending {
  /** Takes one message; true when it was the answer that ends the command. */
  take(message: RunnerMessage): boolean;
  fail(error: Error): void;
}

export interface CollectOutcome {
  folder: WorkFolder;
  collected: Collected;
  /** Why part of the folder could not be read, if so. */
  error?: string;
}

/** One entry of a folder: its mode with the type bits, size, and last change. */
export interface FolderEntry {
  name: string;
  mode: number;
  size: number;
  mtimeMs: number;
}

/** What a get found: a file's bytes (holes as zeros), or a folder's entries; `exceeded` when it is larger than the budget. */
export type PathContent =
  { kind: 'file'; mode: number; data: Buffer } | { kind: 'folder'; entries: FolderEntry[]; exceeded: boolean } | { kind: 'too-large' };

/** Which entries of a collect to hold: each is offered once, as its header arrives. */
export type CollectFilter = (entry: { path: string; mode: number; size: number }) => boolean;

export type OutputListener = (stream: 'stdout' | 'stderr', data: Buffer) => void;
export type StdinSource = Buffer | AsyncIterable<Buffer> | undefined;

export function createRunnerChannel(stream: Duplex, key: Buffer) {
  const encoder = createHostEncoder(key);
  const decoder = createRunnerDecoder(key);
  const demux = createDockerStreamParser();
  let pending: Pending | undefined;
  let broken: Error | undefined;
  const diagnostics: Buffer[] = [];
  let diagnosticBytes = 0;

  const breakWith = (error: Error) => {
    if (broken) return;
    broken = error;
    const current = pending;
    pending = undefined;
    current?.fail(error);
  };

  stream.on('data', (chunk: Buffer) => {
    if (broken) return;
    try {
      for (const frame of demux(chunk)) {
        if (frame.stream === 2) {
          const room = DIAGNOSTICS_BYTES - diagnosticBytes;
          if (room > 0) diagnostics.push(Buffer.from(frame.payload.subarray(0, room)));
          diagnosticBytes += Math.min(room, frame.payload.length);
          continue;
        }
        for (const message of decoder.push(frame.payload)) {
          if (!pending) throw new ProtocolError(`a '${message.type}' frame when no answer was due`);
          if (pending.take(message)) pending = undefined;
        }
      }
    } catch (error) {
      breakWith(error instanceof ProtocolError ? error : new ProtocolError((error as Error).message));
    }
  });
  const ended = new Promise<void>((resolve) => {
    // end, close and error each come: the first says why, the others make no error of their own.
    const end = () => {
      if (!broken) {
        breakWith(
          decoder.partialBytes > 0 ? new ProtocolError('the stream ended inside a frame') : new ChannelClosedError('the sandbox ended'),
        );
      }
      resolve();
    };
    stream.once('end', end);
    stream.once('close', end);
    stream.once('error', end);
  });

  async function write(bytes: Buffer): Promise<void> {
    if (broken) throw broken;
    if (stream.destroyed || stream.writableEnded) throw new ChannelClosedError('the sandbox ended');
    if (stream.write(bytes)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        stream.off('drain', done);
        stream.off('close', done);
        resolve();
      };
      stream.on('drain', done);
      stream.on('close', done);
    });
  }

  /** Sends frames and waits for the command's answer, which `take` recognises. */
  function command<T>(
    send: () => Promise<void>,
    take: (message: RunnerMessage, resolve: (value: T) => void, reject: (error: Error) => void) => boolean,
  ): Promise<T> {
    if (broken) return Promise.reject(broken);
    if (pending) return Promise.reject(new Error('runner channel: a command is already in flight'));
    return new Promise<T>((resolve, reject) => {
      pending = {
        take: (message) => take(message, resolve, reject),
        fail: reject,
      };
      send().catch((error) => breakWith(error instanceof Error ? error : new Error(String(error))));
    });
  }

  const unexpected = (message: RunnerMessage, what: string): never => {
    throw new ProtocolError(`a '${message.type}' frame ${what}`);
  };

  /** Commands whose answer is a sync's ok, with runbox-run's errors before it: the first fails the command. */
  function synced(send: () => Promise<void>): Promise<void> {
    const errors: { error: string; code?: string }[] = [];
    return command<void>(send, (message, resolve, reject) => {
      if (message.type === 'error') {
        errors.push(message);
        return false;
      }
      if (message.type !== 'ok') return unexpected(message, 'before the answer to a sync');
      if (errors.length > 0) reject(new RunnerCommandError(errors[0].error, errors[0].code));
      else resolve();
      return true;
    });
  }
  const sending =
    (...frames: Buffer[]) =>
    async () => {
      for (const frame of frames) await write(frame);
    };

  function* folderFrames(folder: WorkFolder, under?: string): Generator<Buffer> {
    if (under) yield encoder.frame(HostFrame.file, encodeFile(S_IFDIR | 0o755, 0, under));
    for (const entry of folder.entries) {
      yield encoder.frame(HostFrame.file, encodeFile(entry.mode, entry.size, under ? `${under}/${entry.path}` : entry.path));
      for (const piece of entry.pieces) {
        const data = folder.read(piece);
        for (let at = 0; at < data.length; at += CHUNK_BYTES) {
          yield encoder.frame(HostFrame.data, encodeData(piece.offset + at, data.subarray(at, at + CHUNK_BYTES)));
        }
      }
    }
  }

  return {
    /** Sends the key and waits for runbox-run to say it is ready. */
    start(): Promise<number> {
      return command<number>(sending(keyFrame(key)), (message, resolve) => {
        if (message.type !== 'ready') return unexpected(message, 'before ready');
        resolve(message.uid);
        return true;
      });
    },

    /** Writes a folder into the work folder (into its folder `under`, made first, where given). */
    putFiles: (folder: WorkFolder, under?: string) =>
      synced(async () => {
        for (const frame of folderFrames(folder, under)) await write(frame);
        await write(encoder.frame(HostFrame.sync));
      }),

    snapshot: () => synced(sending(encoder.frame(HostFrame.snapshot), encoder.frame(HostFrame.sync))),
    restore: () => synced(sending(encoder.frame(HostFrame.restore), encoder.frame(HostFrame.sync))),

    /**
     * Runs one program: its stdin (bytes, or chunks as they come) follows the spec; output goes
     * to `onOutput` as it arrives. Resolves with the report, checked against its schema.
     */
    execute(spec: ExecSpec, stdin: StdinSource, onOutput: OutputListener): Promise<RunnerReport> {
      let reported = false;
      let stdinEnded = false;
      const endStdin = async () => {
        if (stdinEnded) return;
        stdinEnded = true;
        await write(encoder.frame(HostFrame.stdinEnd));
      };
      const feed = async () => {
        await write(encoder.frame(HostFrame.exec, encodeExec(spec)));
        const chunks = stdin === undefined ? [] : Buffer.isBuffer(stdin) ? [stdin] : stdin;
        for await (const chunk of chunks) {
          for (let at = 0; at < chunk.length; at += CHUNK_BYTES) {
            // Once the program has reported, its stdin has ended: nothing may follow the end.
            if (reported || stdinEnded) return;
            await write(encoder.frame(HostFrame.stdin, chunk.subarray(at, at + CHUNK_BYTES)));
          }
          if (reported || stdinEnded) return;
        }
        await endStdin();
      };
      return command<RunnerReport>(feed, (message, resolve, reject) => {
        if (message.type === 'stdout' || message.type === 'stderr') {
          onOutput(message.type, message.data);
          return false;
        }
        if (message.type === 'error') {
          reject(new RunnerCommandError(message.error));
          return true;
        }
        if (message.type !== 'report') return unexpected(message, 'while a program ran');
        reported = true;
        // The protocol owes one stdin end per exec; an interactive client may never send it.
        endStdin().catch((error) => breakWith(error));
        resolve(message.report);
        return true;
      });
    },

    /**
     * The work folder back, up to `budgetBytes` of data; `exceeded` when it holds more. The
     * host counts too: a collect that sends past its budget breaks the channel. With `keep`,
     * only the entries it accepts are held (the others' data is read and dropped).
     */
    collect(budgetBytes: number, keep?: CollectFilter): Promise<CollectOutcome> {
      const folder = new WorkFolder();
      let error: string | undefined;
      let received = 0;
      let entries = 0;
      let keeping = false;
      return command<CollectOutcome>(sending(encoder.frame(HostFrame.collect, encodeBudget(budgetBytes))), (message, resolve) => {
        if (message.type === 'file') {
          received += 512;
          entries++;
          keeping = keep ? keep({ path: message.path, mode: message.mode, size: message.size }) : true;
          if (keeping) folder.addEntry(message.path, message.mode, message.size);
        } else if (message.type === 'data') {
          received += message.data.length;
          if (entries === 0) throw new ProtocolError('file data before any file');
          if (keeping) folder.addData(message.offset, message.data);
        } else if (message.type === 'error') {
          error ??= message.error;
        } else if (message.type === 'collected') {
          resolve({ folder, collected: message.collected, ...(error ? { error } : {}) });
          return true;
        } else unexpected(message, 'during a collect');
        if (received > budgetBytes + COLLECT_SLACK_BYTES)
          throw new ProtocolError(`a collect sent more than its budget of ${budgetBytes} bytes`);
        return false;
      }).catch((e) => {
        folder.dispose();
        throw e;
      });
    },

    /**
     * One path of the work folder ("" for the folder itself): a file's bytes or a folder's
     * entries, up to `budgetBytes` (a file larger than that is `too-large`, nothing of it sent).
     * Links are never followed: a link on the way is an error (ELOOP), as a missing path is (ENOENT).
     */
    get(path: string, budgetBytes: number): Promise<PathContent> {
      let file: { mode: number; size: number; pieces: { offset: number; data: Buffer }[] } | undefined;
      const entries: FolderEntry[] = [];
      let error: { error: string; code?: string } | undefined;
      let received = 0;
      return command<PathContent>(sending(encoder.frame(HostFrame.get, encodeGet(budgetBytes, path))), (message, resolve, reject) => {
        if (message.type === 'file') {
          if (file || entries.length > 0) throw new ProtocolError('a second file in a get');
          if (message.size > budgetBytes) throw new ProtocolError('a file larger than the budget of its get');
          file = { mode: message.mode, size: message.size, pieces: [] };
        } else if (message.type === 'data') {
          if (!file) throw new ProtocolError('file data before any file');
          if (message.offset + message.data.length > file.size) throw new ProtocolError('file data past its size');
          received += message.data.length;
          file.pieces.push({ offset: message.offset, data: message.data });
        } else if (message.type === 'entry') {
          if (file) throw new ProtocolError('a folder entry after a file');
          received += message.name.length;
          entries.push({ name: message.name, mode: message.mode, size: message.size, mtimeMs: message.mtimeMs });
        } else if (message.type === 'error') {
          error ??= message;
        } else if (message.type === 'collected') {
          if (error) reject(new RunnerCommandError(error.error, error.code));
          else if (file) {
            const data = Buffer.alloc(file.size);
            for (const piece of file.pieces) piece.data.copy(data, piece.offset);
            resolve({ kind: 'file', mode: file.mode, data });
          } else if (message.collected.exceeded && entries.length === 0 && message.collected.files === 0) resolve({ kind: 'too-large' });
          else resolve({ kind: 'folder', entries, exceeded: message.collected.exceeded });
          return true;
        } else unexpected(message, 'during a get');
        if (received > budgetBytes + COLLECT_SLACK_BYTES)
          throw new ProtocolError(`a get sent more than its budget of ${budgetBytes} bytes`);
        return false;
      });
    },

    /** Removes a file, link or folder (with what it holds) of the work folder; never through a link. */
    remove: (path: string) => synced(sending(encoder.frame(HostFrame.remove, Buffer.from(path)), encoder.frame(HostFrame.sync))),

    /** Copies what a folder of the image holds (a snapshot's work folder) into the work folder. */
    load: (folder: string) => synced(sending(encoder.frame(HostFrame.load, Buffer.from(folder)), encoder.frame(HostFrame.sync))),

    /** Asks runbox-run to exit. */
    quit(): Promise<void> {
      return command<void>(sending(encoder.frame(HostFrame.quit)), (message, resolve) => {
        if (message.type !== 'bye') return unexpected(message, 'before bye');
        resolve();
        return true;
      });
    },

    /** Why nothing more can be said, if so: a ProtocolError (tampering) or ChannelClosedError. */
    get broken(): Error | undefined {
      return broken;
    },
    /** Marks the channel broken (the sandbox was killed). */
    close(reason: Error): void {
      breakWith(reason);
    },
    ended,
    diagnostics: () => Buffer.concat(diagnostics).toString('utf8').trim(),
  };
}

export type RunnerChannel = ReturnType<typeof createRunnerChannel>;
