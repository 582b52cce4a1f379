// GET /sessions/{id}/shell: a terminal (TTY) in a session over WebSocket, for xterm.js and the
// like. Client frames: stdin, resize; server frames: stdout, then exit and close 1000. The
// terminal runs on the worker that holds the session; its input and output travel through Redis
// (session-channel.ts), and its output is acknowledged as it is sent, so a slow client pauses the
// terminal instead of growing anything in between.
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { WebSocket } from 'ws';
import type { AppDependencies } from '../deps.js';
import { ApiError } from '../errors.js';
import { createOpenSockets } from '../open-sockets.js';
import { CloseCode } from '../stream-frames.js';
import { SessionIdParamsSchema, ShellClientFrameSchema, ShellQuerySchema, type ShellClientFrame } from '../session-schemas.js';

const clientFrame = TypeCompiler.Compile(ShellClientFrameSchema);

/**
 * Input flow control. Bytes of client frames this process holds (waiting for the terminal to
 * start, or for the worker to take earlier input) past which it stops reading the socket (TCP
 * then holds the client back); input entries the worker has not taken past which the frame
 * after waits until they are down to the low mark.
 */
const INPUT_HELD_MAX_BYTES = 1024 * 1024;
/** Client frames held past which it stops reading too: a flood of tiny frames costs a closure each, not only its bytes. */
const INPUT_HELD_MAX_FRAMES = 1024;
const INPUT_BACKLOG_HIGH = 64;
const INPUT_BACKLOG_LOW = 16;
const INPUT_BACKLOG_POLL_MS = 50;

/** Close codes of a terminal, besides the run stream's: the session is not ready (ended, lost, starting, or out of terminals). */
export const ShellCloseCode = { ...CloseCode, conflict: 4409, unavailable: 4503 } as const;

function parse(raw: string): ShellClientFrame | undefined {
  try {
    const frame: unknown = JSON.parse(raw);
    return clientFrame.Check(frame) ? frame : undefined;
  } catch {
    return undefined;
  }
}

export const sessionShellRoutes: FastifyPluginAsyncTypebox<AppDependencies> = async (app, deps) => {
  const { sessions } = deps;
  const openShells = createOpenSockets(deps.config.wsMaxPerKey);

  app.route({
    method: 'GET',
    url: '/sessions/:id/shell',
    config: { scope: 'runs' },
    schema: { hide: true, params: SessionIdParamsSchema, querystring: ShellQuerySchema },
    handler: async () => {
      throw new ApiError('invalid_request', 'GET /sessions/{id}/shell is a WebSocket: send Upgrade: websocket');
    },
    wsHandler: (socket: WebSocket, request) => {
      const shellId = randomUUID();
      const log = request.log.child({ sessionId: request.params.id, shellId });
      let closed = false;
      /** The terminal has ended (its exit frame came): nothing to hang up. */
      let exited = false;
      let stopOutput: (() => void) | undefined;
      const { admitted, release } = openShells.enter(request.principal.name);
      const close = (code: number, reason?: string) => {
        release();
        if (closed) return;
        closed = true;
        stopOutput?.();
        socket.close(code, reason?.slice(0, 120));
      };
      // Frames the client sends before the terminal is there wait for it, in order.
      let ready!: (worker: string | undefined) => void;
      const started = new Promise<string | undefined>((resolve) => (ready = resolve));
      let passing: Promise<unknown> = started;
      let heldBytes = 0;
      let heldFrames = 0;
      let paused = false;
      /** Past the high mark of input the worker has not taken, waits until it is down to the low mark. */
      const untilTaken = async (backlog: number) => {
        if (backlog <= INPUT_BACKLOG_HIGH) return;
        while (!closed && (await sessions.channel.shellInputBacklog(shellId)) > INPUT_BACKLOG_LOW) {
          await new Promise((resolve) => setTimeout(resolve, INPUT_BACKLOG_POLL_MS));
        }
      };
      socket.on('message', (raw: Buffer) => {
        const frame = parse(raw.toString());
        if (!frame) return close(ShellCloseCode.badFrame, 'not a stdin or resize frame');
        heldBytes += raw.length;
        heldFrames++;
        if ((heldBytes > INPUT_HELD_MAX_BYTES || heldFrames > INPUT_HELD_MAX_FRAMES) && !paused) {
          paused = true;
          socket.pause();
        }
        passing = passing
          .then(async () => {
            if ((await started) === undefined || closed) return;
            const backlog = await sessions.channel.sendShellInput(
              shellId,
              frame.type === 'stdin'
                ? { kind: 'stdin', data: Buffer.from(frame.data, 'utf8') }
                : { kind: 'resize', cols: frame.cols, rows: frame.rows },
            );
            await untilTaken(backlog);
          })
          .catch((error) => log.warn({ err: error }, 'could not pass terminal input on'))
          .finally(() => {
            heldBytes -= raw.length;
            heldFrames--;
            if (paused && heldBytes <= INPUT_HELD_MAX_BYTES / 2 && heldFrames <= INPUT_HELD_MAX_FRAMES / 2) {
              paused = false;
              socket.resume();
            }
          });
      });
      socket.on('close', () => {
        release();
        closed = true;
        stopOutput?.();
        // The socket went (either side) before the terminal ended: the worker hangs it up.
        if (!exited) {
          void started
            .then((worker) => (worker === undefined ? undefined : sessions.channel.sendShellInput(shellId, { kind: 'close' })))
            .catch(() => undefined);
        }
      });

      if (!admitted) {
        ready(undefined);
        return close(ShellCloseCode.tooMany, 'too many open terminals for this key');
      }
      void (async () => {
        const stored = await sessions.find(request.params.id, request.principal);
        if (!stored) return close(ShellCloseCode.notFound, 'session not found');
        if (stored.record.status !== 'ready') return close(ShellCloseCode.conflict, `the session is ${stored.record.status}`);
        const decoder = new TextDecoder();
        let sending: Promise<void> = Promise.resolve();
        stopOutput = sessions.channel.followShellOutput(sessions.follower, shellId, (output, acknowledge) => {
          sending = sending.then(
            () =>
              new Promise<void>((resolve) => {
                if (closed) return resolve();
                if (output.kind === 'stdout') {
                  const data = decoder.decode(output.data, { stream: true });
                  if (!data) return resolve(acknowledge());
                  return socket.send(JSON.stringify({ type: 'stdout', data }), () => resolve(acknowledge()));
                }
                exited = true;
                const exit =
                  output.kind === 'exit'
                    ? { type: 'exit', exitCode: output.exitCode }
                    : { type: 'exit', exitCode: null, reason: output.message };
                socket.send(JSON.stringify(exit), () => {
                  close(ShellCloseCode.normal);
                  void sessions.channel.dropShell(shellId).catch(() => undefined);
                  resolve();
                });
              }),
          );
        });
        try {
          await sessions.call(stored.worker, {
            kind: 'shell',
            sessionId: stored.record.id,
            shellId,
            cols: request.query.cols ?? 80,
            rows: request.query.rows ?? 24,
          });
          ready(stored.worker);
        } catch (error) {
          ready(undefined);
          const code = error instanceof ApiError && error.code === 'conflict' ? ShellCloseCode.conflict : ShellCloseCode.unavailable;
          close(code, (error as Error).message);
        }
      })().catch((error) => {
        log.error({ err: error }, 'terminal failed');
        close(ShellCloseCode.internalError, 'internal error');
      });
    },
  });
};
