// Two incremental parsers for the bytes a sandbox sends back: Docker's multiplexed attach
// stream (8-byte headers: stream type, size) and runbox-run's frames inside its stdout
// (type byte, 4-byte size). Both accept chunks cut anywhere.

export interface Frame {
  type: number;
  payload: Buffer;
}

/**
 * A frame announcing more than this is not from Docker or runbox-run (they write at most
 * 64 KiB at once) but from a program writing to the supervisor's stdout directly; refusing
 * it keeps the worker from buffering what the header claims (up to 4 GiB).
 */
export const MAX_FRAME_BYTES = 1024 * 1024;

export class FrameTooLargeError extends Error {
  override name = 'FrameTooLargeError';
}

function createFrameParser(headerBytes: number, typeAt: number, sizeAt: number) {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk: Buffer): Frame[] => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    const frames: Frame[] = [];
    let offset = 0;
    while (pending.length - offset >= headerBytes) {
      const size = pending.readUInt32BE(offset + sizeAt);
      if (size > MAX_FRAME_BYTES) throw new FrameTooLargeError(`a frame of ${size} bytes is over the limit of ${MAX_FRAME_BYTES}`);
      if (pending.length - offset - headerBytes < size) break;
      const start = offset + headerBytes;
      frames.push({ type: pending[offset + typeAt], payload: pending.subarray(start, start + size) });
      offset = start + size;
    }
    pending = pending.subarray(offset);
    return frames;
  };
}

/** Docker attach (non-TTY): [stream 1=stdout 2=stderr, 0, 0, 0, size u32be]. */
export const createDockerStreamParser = () => createFrameParser(8, 0, 4);

export const RunnerFrame = {
  stdout: 'o'.charCodeAt(0),
  stderr: 'e'.charCodeAt(0),
  archive: 'a'.charCodeAt(0),
  result: 'r'.charCodeAt(0),
} as const;

/** runbox-run: [type byte, size u32be]. */
export const createRunnerFrameParser = () => createFrameParser(5, 0, 1);
