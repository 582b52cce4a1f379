// A one-line spinner on a terminal while a run waits ("queued 2.4s"); nothing at all when
// the stream is not a TTY, so piped or logged output stays clean.
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function createSpinner(stream: NodeJS.WritableStream & { isTTY?: boolean }, intervalMs = 100) {
  let timer: NodeJS.Timeout | undefined;
  let since = 0;
  let label = '';
  const draw = (i: number) => stream.write(`\r${FRAMES[i % FRAMES.length]} ${label} ${((Date.now() - since) / 1000).toFixed(1)}s\x1b[K`);
  return {
    start(text: string): void {
      if (!stream.isTTY || timer) return;
      label = text;
      since = Date.now();
      let i = 0;
      draw(i);
      timer = setInterval(() => draw(++i), intervalMs);
    },
    stop(): void {
      if (!timer) return;
      clearInterval(timer);
      timer = undefined;
      stream.write('\r\x1b[K');
    },
  };
}
