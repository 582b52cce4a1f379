// Joins a terminal in a session's sandbox (a process with a TTY, beside runbox-run) to the API
// process that holds the client's WebSocket, through Redis: input (stdin, resize, close) from
// the terminal's input stream, output to its output stream. Output the API has not read yet is
// bounded: past a high-water mark the terminal is paused until the API catches up. Input is
// bounded the other way: while the terminal takes no more (its pty's buffer is full), its input
// is not read, so it waits in Redis, where the API sees the backlog and stops reading the
// client. A flood of resizes makes at most one resize call at a time, of the latest size.
import type { Logger } from 'pino';
import type { TtyProcess } from '../sandbox/container-lifecycle.js';
import type { SessionChannel } from '../store/session-channel.js';
import type { StreamFollower } from '../store/stream-follower.js';

/** Unread output entries past which the terminal is paused, and below which it goes on. */
const HIGH_WATER_ENTRIES = 256;
const LOW_WATER_ENTRIES = 32;
/** How often a paused terminal looks whether the API has caught up. */
const PAUSE_POLL_MS = 50;
/** The largest terminal a client may ask for. */
const MAX_SIZE = 1000;

export interface ShellBridgeOptions {
  shellId: string;
  tty: TtyProcess;
  channel: Pick<SessionChannel, 'followShellInput' | 'sendShellOutput' | 'shellBacklog'>;
  follower: StreamFollower;
  log: Logger;
  /** Asked to end the terminal (the client went): hang it up. */
  hangup: () => Promise<unknown>;
  /** Called once, when the terminal has ended and its exit has been sent. */
  onEnd: () => void;
}

const clamp = (n: number) => Math.max(1, Math.min(MAX_SIZE, Math.floor(n)));

export function bridgeShell({ shellId, tty, channel, follower, log, hangup, onEnd }: ShellBridgeOptions) {
  let ended = false;
  let sending: Promise<unknown> = Promise.resolve();
  let paused = false;

  const waitForReader = async () => {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, PAUSE_POLL_MS));
      const unread = await channel.shellBacklog(shellId).catch(() => 0);
      if (ended || unread <= LOW_WATER_ENTRIES) return;
    }
  };

  tty.stream.on('data', (data: Buffer) => {
    sending = sending
      .then(() => channel.sendShellOutput(shellId, { kind: 'stdout', data }))
      .then(async (unread) => {
        if (unread < HIGH_WATER_ENTRIES || paused) return;
        paused = true;
        tty.stream.pause();
        await waitForReader();
        paused = false;
        tty.stream.resume();
      })
      .catch((error) => log.warn({ err: error, shellId }, 'could not pass terminal output on'));
  });

  let wantedSize: { cols: number; rows: number } | undefined;
  let resizing = false;
  const resize = async () => {
    if (resizing) return;
    resizing = true;
    while (wantedSize && !ended) {
      const { cols, rows } = wantedSize;
      wantedSize = undefined;
      await tty.resize(cols, rows).catch(() => undefined);
    }
    resizing = false;
  };

  let stopInput = () => {};
  const readInput = (from?: string) => {
    stopInput = channel.followShellInput(
      follower,
      shellId,
      (input, id) => {
        if (ended) return;
        if (input.kind === 'stdin') {
          if (tty.stream.write(input.data)) return;
          // The terminal takes no more for now: read on after this entry once it has drained.
          stopInput();
          tty.stream.once('drain', () => {
            if (!ended) readInput(id);
          });
        } else if (input.kind === 'resize') {
          wantedSize = { cols: clamp(input.cols), rows: clamp(input.rows) };
          void resize();
        } else void hangup().catch(() => undefined);
      },
      from,
    );
  };
  readInput();

  const finish = async () => {
    if (ended) return;
    ended = true;
    stopInput();
    await sending;
    // The engine may say the exec still runs for a moment after its stream ended.
    let exitCode: number | null = null;
    for (let tries = 0; tries < 20 && exitCode === null; tries++) {
      exitCode = await tty.exitCode().catch(() => null);
      if (exitCode === null) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await channel.sendShellOutput(shellId, { kind: 'exit', exitCode }).catch(() => undefined);
    onEnd();
  };
  tty.stream.once('end', () => void finish());
  tty.stream.once('close', () => void finish());
  tty.stream.once('error', () => void finish());

  return {
    /** Ends it from this side (the session ends): its output says so, then it exits. */
    close(reason: string): void {
      if (ended) return;
      void channel.sendShellOutput(shellId, { kind: 'error', message: reason }).catch(() => undefined);
      tty.stream.destroy();
    },
  };
}

export type ShellBridge = ReturnType<typeof bridgeShell>;
