// The one table of API error codes (docs/api.md#error-codes): HTTP status, default message, and for a
// 429 or 503 the Retry-After (seconds) sent when the error itself does not know better.
// Routes throw ApiError with a code; the error handler turns everything into Fastify's
// error shape plus `code`, and never leaks an internal message in a 5xx.

interface ErrorEntry {
  statusCode: number;
  message: string;
  retryAfterSeconds?: number;
}

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
  // Problems stay until they are deleted: waiting does not help, so no Retry-After.
  quota_exceeded: { statusCode: 403, message: 'the problems stored take the whole quota' },
  rate_limited: { statusCode: 429, message: 'too many requests', retryAfterSeconds: 60 },
  // A run in flight usually ends within seconds; which one ends first is not known.
  too_many_in_flight: { statusCode: 429, message: 'this key has too many runs queued or running', retryAfterSeconds: 1 },
  output_budget_exceeded: {
    statusCode: 429,
    message: 'the runs of this key keep their whole output budget in storage',
    retryAfterSeconds: 60,
  },
  // A session lasts minutes; one of the key's may end sooner (DELETE it).
  too_many_sessions: { statusCode: 429, message: 'this key has as many sessions open as it may', retryAfterSeconds: 30 },
  snapshot_quota_exceeded: { statusCode: 429, message: "this key's snapshots use its whole quota", retryAfterSeconds: 60 },
  internal_error: { statusCode: 500, message: 'the service failed; the fault is logged' },
  queue_full: { statusCode: 503, message: 'the queue is full; retry later', retryAfterSeconds: 5 },
  unavailable: { statusCode: 503, message: 'a backing service is unreachable; retry later', retryAfterSeconds: 5 },
  storage_full: { statusCode: 503, message: 'storage for runs is full; retry later', retryAfterSeconds: 60 },
  sessions_full: { statusCode: 503, message: 'no worker has room for another session; retry later', retryAfterSeconds: 10 },
  // A runtime image takes a minute or a few to build; a client polls about twice a minute.
  runtime_not_ready: {
    statusCode: 503,
    message: 'the runtime is not ready (its image is being built, or its build failed)',
    retryAfterSeconds: 30,
  },
} as const satisfies Record<string, ErrorEntry>;

export type ErrorCode = keyof typeof errorCodes;

/** Retry-After of a code that has one (every 429 and 503). */
export const retryAfterOf = (code: ErrorCode): number | undefined => (errorCodes[code] as ErrorEntry).retryAfterSeconds;

export class ApiError extends Error {
  override name = 'ApiError';
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    /** Seconds a client should wait before it tries again, where this error knows (else the table's). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message ?? errorCodes[code].message);
    this.statusCode = errorCodes[code].statusCode;
  }
}
