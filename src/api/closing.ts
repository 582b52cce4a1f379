// What an HTTP server does once it starts to close: a new request is 503 unavailable (our
// error shape, with Retry-After) instead of Fastify's bare 503, and every response closes
// its connection (an idle keep-alive socket would otherwise hold the process for
// keepAliveTimeout, 72 s, after shutdown began). Build the instance with
// return503OnClosing: false, so that requests reach these hooks while it closes. Routes
// that hold a request (?wait=true, Judge0's wait, Piston's execute) listen to `app.closing`
// and answer at once when it aborts.
import { setMaxListeners } from 'node:events';
import fp from 'fastify-plugin';
import { ApiError } from './errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Aborted when the server starts to close. */
    closing: AbortSignal;
  }
}

/** Registered with fastify-plugin: its hooks cover every route of the app. */
export const closingPlugin = fp(async (app) => {
  let closing = false;
  const controller = new AbortController();
  // Every held request listens to it: as many listeners as requests in flight, none left behind.
  setMaxListeners(Infinity, controller.signal);
  app.decorate('closing', controller.signal);
  app.addHook('preClose', (done) => {
    closing = true;
    controller.abort();
    done();
  });
  app.addHook('onRequest', async () => {
    if (closing) throw new ApiError('unavailable', 'this server is shutting down; retry (on another one)');
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });
});
