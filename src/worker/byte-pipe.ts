// One direction of an interaction: bytes one sandbox printed, waiting to be written to the
// other's stdin, read as an async iterable (a StdinSource). Bounded: it holds at most
// `capacityBytes` not yet taken; what would pass it is dropped and `overflowed` says so. (The
// writer's output limit already bounds what can come, so this is a backstop.)
export class BytePipe implements AsyncIterable<Buffer> {
  private readonly chunks: Buffer[] = [];
  private held = 0;
  private ended = false;
  private waiting?: () => void;
  overflowed = false;
  /** Bytes pushed in all. */
  total = 0;

  constructor(private readonly capacityBytes: number) {}

  push(data: Buffer): void {
    if (this.ended || data.length === 0) return;
    if (this.held + data.length > this.capacityBytes) {
      this.overflowed = true;
      return;
    }
    this.chunks.push(Buffer.from(data));
    this.held += data.length;
    this.total += data.length;
    this.wake();
  }

  /** No more bytes: the reader sees the end once it has taken what is held. */
  end(): void {
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      if (this.chunks.length > 0) {
        const chunk = this.chunks.shift()!;
        this.held -= chunk.length;
        yield chunk;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }
}
