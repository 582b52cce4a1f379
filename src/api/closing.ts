// What an HTTP server does once it starts to close: a new request is 503 unavailable (our
// error shape, with Retry-After) instead of Fastify's bare 503, and every response closes
// its connection (an idle keep-alive socket would otherwise hold the process for
// keepAliveTimeout, 72 s, after shutdown began). Build the instance with
// return503OnClosing: false, so that requests reach these hooks while it closes.
import fp from 'fastify-plugin';
import { ApiError } from './errors.js';

/** Registered with fastify-plugin: its hooks cover every route of the app. */
export const closingPlugin = fp(async (app) => {
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
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
