// Maps every error to Fastify's error shape plus a stable `code` from the table. Client
// mistakes say what is wrong; a service fault is logged and answered without its message.
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isRedisUnavailable } from '../lib/redis-connection.js';
import { ApiError, errorCodes, retryAfterOf, type ErrorCode } from './errors.js';

/** Redis refused a write at its maxmemory (noeviction): nothing is lost, nothing more fits until records expire. */
const isRedisOutOfMemory = (error: Error) => /\bOOM command not allowed\b/.test(error.message);

function codeFor(error: FastifyError): ErrorCode {
  if (error instanceof ApiError) return error.code;
  if (isRedisOutOfMemory(error)) return 'storage_full';
  if (isRedisUnavailable(error)) return 'unavailable';
  if (error.validation) return 'invalid_request';
  const status = error.statusCode ?? 500;
  if (status === 413) return 'payload_too_large';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  if (status >= 400 && status < 500) return 'invalid_request';
  return 'internal_error';
}

/** The error shape of every failed request (and of each refused item of a batch). */
export function errorBody(code: ErrorCode, message: string) {
  const statusCode = errorCodes[code].statusCode;
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', code, message };
}

export function sendError(reply: FastifyReply, code: ErrorCode, message: string) {
  return reply.code(errorCodes[code].statusCode).send(errorBody(code, message));
}

/** 404 not_found for a route that does not exist, naming it. */
export function notFoundHandler(request: FastifyRequest, reply: FastifyReply) {
  return sendError(reply, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`);
}

/**
 * What a client is told of an error: its code and a message. Our own errors say what is
 * wrong; anything else in a 5xx is a fault: logged, its message kept back.
 */
export function publicError(error: FastifyError, log: { error(obj: object, msg: string): void }): { code: ErrorCode; message: string } {
  const code = codeFor(error);
  if (error instanceof ApiError) return { code, message: error.message };
  if (errorCodes[code].statusCode >= 500) {
    log.error({ err: error }, 'request failed');
    return { code, message: errorCodes[code].message };
  }
  return { code, message: error.message };
}

/**
 * Every 429 and 503 says when to try again: the error's own figure where it has one, else
 * a header already set (@fastify/rate-limit sets its window's), else the table's.
 */
function setRetryAfter(error: FastifyError, code: ErrorCode, reply: FastifyReply): void {
  const own = error instanceof ApiError ? error.retryAfterSeconds : undefined;
  if (own !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(own))));
  else if (!reply.hasHeader('retry-after') && retryAfterOf(code) !== undefined) reply.header('retry-after', String(retryAfterOf(code)));
}

export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const { code, message } = publicError(error, request.log);
  setRetryAfter(error, code, reply);
  return sendError(reply, code, message);
}
