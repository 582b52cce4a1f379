// GET /runtimes/{name}/build (WebSocket, admin): a custom runtime's build log from its start,
// then live: log lines, progress (step N of M), status changes, and an end frame with the
// runtime as GET /runtimes/{name} shows it; then close 1000.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { readBuildLog, type BuildFrame } from '../../store/runtime-store.js';
import type { AppDependencies } from '../deps.js';
import { ApiError } from '../errors.js';
import { loadRuntimeViews, runtimeEntry } from '../runtime-catalogue.js';
import { RuntimeNameParamsSchema } from '../schemas.js';
import { CloseCode } from './run-stream.js';

function serverFrame(frame: Exclude<BuildFrame, { kind: 'end' }>): string {
  if (frame.kind === 'log') return JSON.stringify({ type: 'log', data: frame.data });
  if (frame.kind === 'progress')
    return JSON.stringify({ type: 'progress', step: frame.step, steps: frame.steps, instruction: frame.instruction });
  return JSON.stringify({ type: 'status', status: frame.status });
}

export const runtimeBuildStreamRoutes: FastifyPluginAsyncTypebox<AppDependencies> = async (app, deps) => {
  app.route({
    method: 'GET',
    url: '/runtimes/:name/build',
    config: { scope: 'admin' },
    schema: { hide: true, params: RuntimeNameParamsSchema },
    handler: async () => {
      throw new ApiError('invalid_request', 'GET /runtimes/{name}/build is a WebSocket: send Upgrade: websocket');
    },
    wsHandler: (socket, request) => {
      const { name } = request.params;
      const closed = new AbortController();
      socket.on('close', () => closed.abort());
      // Nothing is read from the client; a frame it sends is a mistake it should hear about.
      socket.on('message', () => socket.close(CloseCode.badFrame, 'this stream takes no client frames'));
      const end = async () => {
        const view = (await loadRuntimeViews(deps)).find((v) => v.runtime.language === name && v.custom);
        socket.send(JSON.stringify({ type: 'end', runtime: view ? runtimeEntry(view) : null }));
        socket.close(CloseCode.normal);
      };
      void (async () => {
        const custom = await deps.runtimes.getCustom(name);
        if (!custom) return socket.close(CloseCode.notFound, 'no such custom runtime');
        // A build that ended long ago has no log left: the runtime as it is, at once.
        if (custom.status !== 'building' && !(await deps.runtimes.hasBuildLog(name))) return end();
        const redis = deps.blockingRedis();
        closed.signal.addEventListener('abort', () => redis.disconnect(), { once: true });
        try {
          for await (const frame of readBuildLog(redis, deps.keys, name, closed.signal)) {
            if (frame.kind === 'end') return end();
            socket.send(serverFrame(frame));
          }
        } finally {
          redis.disconnect();
        }
      })().catch((error) => {
        if (closed.signal.aborted) return;
        request.log.error({ err: error, runtime: name }, 'build stream failed');
        socket.close(CloseCode.internalError, 'internal error');
      });
    },
  });
};
