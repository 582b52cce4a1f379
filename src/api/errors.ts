// The one table of API error codes (DESIGN.md): HTTP status and default message. Routes
// throw ApiError with a code; the error handler turns everything into Fastify's error
// shape plus `code`, and never leaks an internal message in a 5xx.

export const errorCodes = {
  invalid_request: { statusCode: 400, message: 'the request does not match the schema' },
  unknown_language: { statusCode: 400, message: 'no runtime has that language or alias' },
  limit_exceeded: { statusCode: 400, message: 'a limit is above the server maximum' },
  invalid_file_name: { statusCode: 400, message: 'a file name is not allowed' },
  unauthorized: { statusCode: 401, message: 'a valid API key is required' },
  forbidden: { statusCode: 403, message: 'not allowed by the server configuration' },
  not_found: { statusCode: 404, message: 'no such resource' },
  conflict: { statusCode: 409, message: 'the resource is not in a state that allows this' },
  payload_too_large: { statusCode: 413, message: 'the request body is too large' },
  rate_limited: { statusCode: 429, message: 'too many requests' },
  internal_error: { statusCode: 500, message: 'the service failed; the fault is logged' },
  queue_full: { statusCode: 503, message: 'the queue is full; retry later' },
  unavailable: { statusCode: 503, message: 'a backing service is unreachable; retry later' },
} as const;

export type ErrorCode = keyof typeof errorCodes;

export class ApiError extends Error {
  override name = 'ApiError';
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
  ) {
    super(message ?? errorCodes[code].message);
    this.statusCode = errorCodes[code].statusCode;
  }
}
