// GET /runs/{id}/stream: the run's frames over WebSocket, replayed from the start (or after
// ?from=N) and then live, ending with the record and close 1000. Client frames: stdin and
// eof for interactive runs, cancel for any.
import { whileUnavailable } from '../../lib/redis-connection.js';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { WebSocket } from 'ws';
import type { RunRecord } from '../../domain/run-record.js';
import type { EventFrame } from '../../store/event-stream.js';
import { hasScope } from '../auth.js';
import type { RouteDependencies } from '../run-commands.js';
import { ApiError } from '../errors.js';
import { createOpenSockets } from '../open-sockets.js';
import { RunIdParamsSchema, StreamQuerySchema } from '../schemas.js';
import { CloseCode, parseClientFrame, type OutputFrame, type StatusFrame } from '../stream-frames.js';

/** Above this many unsent bytes the reader waits for the client, so a slow client cannot grow the API's memory. */
const HIGH_WATER_BYTES = 1024 * 1024;

function serverFrame(frame: Exclude<EventFrame, { kind: 'end' }>, encoding: 'utf8' | 'base64'): StatusFrame | OutputFrame {
  if (frame.kind === 'status') return { type: 'status', status: frame.status as StatusFrame['status'] };
  const data = encoding === 'base64' ? frame.data.toString('base64') : new TextDecoder().decode(frame.data);
  return {
    type: frame.stream,
    seq: frame.seq,
    data,
    ...(frame.phase === 'run' ? {} : { phase: frame.phase }),
    ...(frame.test === undefined ? {} : { test: frame.test }),
  };
}

/** Sends a frame; past HIGH_WATER_BYTES unsent, waits until this one is out. */
export async function send(socket: WebSocket, text: string): Promise<void> {
  if (socket.bufferedAmount < HIGH_WATER_BYTES) return socket.send(text);
  await new Promise<void>((resolve) => socket.send(text, () => resolve()));
}

export const runStreamRoutes: FastifyPluginAsyncTypebox<RouteDependencies> = async (app, deps) => {
  const { config } = deps;
  const { commands } = deps;
  /** Open streams per key on this process (WS_MAX_PER_KEY). */
  const openStreams = createOpenSockets(config.wsMaxPerKey);

  app.route({
    method: 'GET',
    url: '/runs/:id/stream',
    config: { scope: 'read' },
    schema: {
      // Documented by hand in openapi-document.ts: OpenAPI has no words for WebSocket frames.
      hide: true,
      params: RunIdParamsSchema,
      querystring: StreamQuerySchema,
    },
    handler: async () => {
      throw new ApiError('invalid_request', 'GET /runs/{id}/stream is a WebSocket: send Upgrade: websocket');
    },
    wsHandler: (socket, request) => {
      const { id } = request.params;
      const closed = new AbortController();
      const key = request.principal.name;
      const { admitted, release } = openStreams.enter(key);
      /** A stream the server closes stops counting before its close frame goes out, so a client that opens the next one at once is not refused. */
      const close = (code: number, reason?: string) => {
        release();
        socket.close(code, reason);
      };
      socket.on('close', () => {
        closed.abort();
        release();
      });
      if (!admitted) return close(CloseCode.tooMany, 'too many open streams for this key');
      const mayControl = hasScope(request.principal, 'runs');
      const log = request.log.child({ runId: id });
      const recordReady: Promise<RunRecord | undefined> = commands.find(id, request.principal);

      // Client frames are passed on one at a time, in the order they came, and none after
      // the one that reached the stdin limit. Handlers go on before any await, so no client
      // frame is dropped.
      let passing: Promise<unknown> = recordReady;
      let stdinRefused = false;
      socket.on('message', (raw) => {
        const frame = parseClientFrame(raw.toString());
        if (!frame) return close(CloseCode.badFrame, 'unknown frame');
        if (!mayControl) return; // a read-only key watches; it does not type or cancel
        passing = passing
          .then(async () => {
            const record = await recordReady;
            if (!record || stdinRefused) return;
            if (frame.type === 'cancel') {
              await commands.cancel(id, request.principal);
            } else if (record.interactive) {
              const input =
                frame.type === 'stdin' ? { kind: 'stdin' as const, data: Buffer.from(frame.data, 'utf8') } : { kind: 'eof' as const };
              const outcome = await deps.input.send(id, input);
              // A frame for a run that has ended is dropped; the client gets the end frame.
              if (outcome === 'limit') {
                stdinRefused = true;
                close(CloseCode.stdinLimit, 'stdin limit reached');
              }
            }
          })
          .catch((error) => log.error({ err: error }, 'could not pass a client frame on'));
      });

      void (async () => {
        const record = await recordReady;
        if (!record) return close(CloseCode.notFound, 'run not found');
        const encoding = request.query.encoding ?? 'utf8';
        for await (const frame of deps.events.read(id, { after: request.query.from ?? 0, signal: closed.signal })) {
          if (frame.kind === 'end') {
            // The record as it is now; a failover of Redis at this moment delays it, never drops it.
            const run = await whileUnavailable(() => commands.find(id, request.principal));
            await send(socket, JSON.stringify({ type: 'end', run }));
            close(CloseCode.normal);
            return;
          }
          await send(socket, JSON.stringify(serverFrame(frame, encoding)));
        }
      })().catch((error) => {
        if (closed.signal.aborted) return;
        log.error({ err: error }, 'stream failed');
        close(CloseCode.internalError, 'internal error');
      });
    },
  });
};
