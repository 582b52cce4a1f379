// Every request has an id: the client's `x-request-id` when it is short and plain, else a
// new UUID. It is in every log line of the request, in the answer's `x-request-id`, and
// goes with a submitted run to the worker, whose log lines for the run carry it too.
import { randomUUID } from 'node:crypto';
import type { FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

/** Letters, digits and `._:-`, up to 64 characters: anything else could forge or flood log lines. */
const PLAIN_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** The client's id if it is short and plain, else undefined. */
export function acceptedRequestId(header: string | string[] | undefined): string | undefined {
  return typeof header === 'string' && PLAIN_ID.test(header) ? header : undefined;
}

/** Fastify options: ids from acceptedRequestId or a new UUID (Fastify's own header handling off). */
export const requestIdOptions = {
  requestIdHeader: false,
  genReqId: (request: IncomingMessage) => acceptedRequestId(request.headers[REQUEST_ID_HEADER]) ?? randomUUID(),
} satisfies Pick<FastifyServerOptions, 'requestIdHeader' | 'genReqId'>;

/**
 * Sends the id back on every answer, errors and refusals included: registered before the
 * auth and rate-limit hooks, with fastify-plugin so that it covers every route.
 */
export const requestIdPlugin = fp(async (app) => {
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
});
