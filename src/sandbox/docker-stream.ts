// Docker's multiplexed attach stream (non-TTY): 8-byte headers [stream 1=stdout 2=stderr, 0,
// 0, 0, size u32be], then the payload. An incremental parser that accepts chunks cut anywhere.

export interface DockerFrame {
  /** 1 stdout, 2 stderr. */
  stream: number;
  payload: Buffer;
}

/** Docker writes at most a read buffer at once; anything larger is not Docker's framing. */
export const MAX_DOCKER_FRAME_BYTES = 1024 * 1024;

export class FrameTooLargeError extends Error {
  override name = 'FrameTooLargeError';
}

export function createDockerStreamParser() {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk: Buffer): DockerFrame[] => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    const frames: DockerFrame[] = [];
    let offset = 0;
    while (pending.length - offset >= 8) {
      const size = pending.readUInt32BE(offset + 4);
      if (size > MAX_DOCKER_FRAME_BYTES)
        throw new FrameTooLargeError(`a frame of ${size} bytes is over the limit of ${MAX_DOCKER_FRAME_BYTES}`);
      if (pending.length - offset - 8 < size) break;
      frames.push({ stream: pending[offset], payload: pending.subarray(offset + 8, offset + 8 + size) });
      offset += 8 + size;
    }
    pending = pending.subarray(offset);
    return frames;
  };
}
