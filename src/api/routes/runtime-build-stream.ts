// GET /runtimes/{name}/build (WebSocket, admin): a custom runtime's build log from its start,
// then live: log lines, progress (step N of M), status changes, and an end frame with the
// runtime as GET /runtimes/{name} shows it; then close 1000.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { buildCloseCodes as close, buildServerFrame } from '../build-frames.js';
import type { AppDependencies } from '../deps.js';
import { ApiError } from '../errors.js';
import { loadRuntimeViews, runtimeEntry } from '../runtime-catalogue.js';
import { RuntimeNameParamsSchema } from '../schemas.js';

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
      socket.on('message', () => socket.close(close.badFrame.code, 'this stream takes no client frames'));
      const end = async () => {
        const view = (await loadRuntimeViews(deps)).find((v) => v.runtime.language === name && v.custom);
        socket.send(JSON.stringify({ type: 'end', runtime: view ? runtimeEntry(view) : null }));
        socket.close(close.normal.code);
      };
      void (async () => {
        const custom = await deps.runtimes.getCustom(name);
        if (!custom) return socket.close(close.notFound.code, 'no such custom runtime');
        // A build that ended long ago has no log left: the runtime as it is, at once.
        if (custom.status !== 'building' && !(await deps.runtimes.hasBuildLog(name))) return end();
        for await (const frame of deps.runtimes.readBuildLog(name, closed.signal)) {
          if (frame.kind === 'end') return end();
          socket.send(buildServerFrame(frame));
        }
      })().catch((error) => {
        if (closed.signal.aborted) return;
        request.log.error({ err: error, runtime: name }, 'build stream failed');
        socket.close(close.internalError.code, 'internal error');
      });
    },
  });
};
