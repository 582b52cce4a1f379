// The parts of openapi.yaml that are not derived from route schemas: the title, and the
// WebSocket route GET /runs/{id}/stream. @fastify/websocket hides WebSocket routes from
// the generated document, so that path is written here: its parameters come from the
// route's own schemas, its frames are JSON Schemas under components.schemas
// (Stream*Frame), tied to the path by the extension x-websocket-frames. The frames
// themselves are made in routes/run-stream.ts; keep the two in step.
import { Type, type TObject } from '@sinclair/typebox';
import { RunStatus } from '../domain/run-record.js';
import { RunIdParamsSchema, RuntimeNameParamsSchema, StreamQuerySchema } from './schemas.js';

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));

const StreamStatusFrameSchema = Type.Object(
  {
    type: Type.Literal('status'),
    status: literals(Object.values(RunStatus)),
  },
  {
    additionalProperties: false,
    description: 'The run changed status. Carries no seq: ?from=N counts output frames only.',
  },
);

const StreamOutputFrameSchema = Type.Object(
  {
    type: Type.Union([Type.Literal('stdout'), Type.Literal('stderr')]),
    seq: Type.Integer({ minimum: 1, description: 'rises by one per output frame of the run (both streams, all phases), from 1' }),
    data: Type.String({
      description:
        'the bytes as UTF-8 (a frame never splits a character; bytes that are not UTF-8 become U+FFFD), or base64 of the raw bytes with ?encoding=base64',
    }),
    phase: Type.Optional(
      Type.Union([Type.Literal('compile'), Type.Literal('test')], {
        description:
          'compile: compiler output; test: output of one test of a judged run (see test); absent for the program of a run without tests',
      }),
    ),
    test: Type.Optional(Type.Integer({ minimum: 0, description: "with phase test: the index of the test in the request's tests, from 0" })),
  },
  { additionalProperties: false, description: 'Output of the program, of its compiler, or of one test of a judged run.' },
);

const StreamEndFrameSchema = Type.Object(
  {
    type: Type.Literal('end'),
    run: Type.Ref('RunRecord'),
  },
  { additionalProperties: false, description: 'The last frame; the server then closes with 1000.' },
);

const StreamStdinFrameSchema = Type.Object(
  {
    type: Type.Literal('stdin'),
    data: Type.String({ description: "written to the program's standard input as UTF-8" }),
  },
  {
    additionalProperties: false,
    description: [
      'Interactive runs only (interactive: true); ignored otherwise.',
      'The stdin frames of one run, from every socket together, may carry STDIN_MAX_BYTES (UTF-8 bytes) in all:',
      'the frame that would pass it is dropped and the server closes the socket with 4413, and drops the frames sent after it on that socket.',
      'A frame for a run that has ended is dropped without an answer (the end frame follows).',
    ].join(' '),
  },
);

const StreamEofFrameSchema = Type.Object(
  { type: Type.Literal('eof') },
  {
    additionalProperties: false,
    description: 'Closes the standard input of an interactive run (also after the stdin limit, from a new socket).',
  },
);

const StreamCancelFrameSchema = Type.Object(
  { type: Type.Literal('cancel') },
  { additionalProperties: false, description: 'Cancels the run, as DELETE /runs/{id} does; the stream then ends as usual.' },
);

const BuildLogFrameSchema = Type.Object(
  { type: Type.Literal('log'), data: Type.String({ description: "one line of the build's output (terminal escapes removed)" }) },
  { additionalProperties: false, description: 'A line of the build log.' },
);

const BuildProgressFrameSchema = Type.Object(
  {
    type: Type.Literal('progress'),
    step: Type.Integer({ minimum: 1 }),
    steps: Type.Integer({ minimum: 1, description: "the Dockerfile's steps, the service's own included" }),
    instruction: Type.String(),
  },
  { additionalProperties: false, description: 'The build began step `step` of `steps`.' },
);

const BuildStatusFrameSchema = Type.Object(
  { type: Type.Literal('status'), status: literals(['building', 'ready', 'failed', 'deleted']) },
  { additionalProperties: false, description: "The runtime's status changed." },
);

const BuildEndFrameSchema = Type.Object(
  {
    type: Type.Literal('end'),
    runtime: Type.Union([Type.Ref('Runtime'), Type.Null()], { description: 'as GET /runtimes/{name} shows it; null once deleted' }),
  },
  { additionalProperties: false, description: 'The last frame; the server then closes with 1000.' },
);

/** The WebSocket frame schemas, by component name (also used by tests to check real frames). */
export const streamFrameSchemas = {
  StreamStatusFrame: StreamStatusFrameSchema,
  StreamOutputFrame: StreamOutputFrameSchema,
  StreamEndFrame: StreamEndFrameSchema,
  StreamStdinFrame: StreamStdinFrameSchema,
  StreamEofFrame: StreamEofFrameSchema,
  StreamCancelFrame: StreamCancelFrameSchema,
  BuildLogFrame: BuildLogFrameSchema,
  BuildProgressFrame: BuildProgressFrameSchema,
  BuildStatusFrame: BuildStatusFrameSchema,
  BuildEndFrame: BuildEndFrameSchema,
};

const ref = (name: keyof typeof streamFrameSchemas) => ({ $ref: `#/components/schemas/${name}` });

/** A route schema's properties as OpenAPI 3.0 parameters (no `const`: a union of literals becomes an enum). */
function parameters(location: 'path' | 'query', schema: TObject) {
  return Object.entries(schema.properties).map(([name, property]) => {
    const plain = JSON.parse(JSON.stringify(property)) as { description?: string; anyOf?: { const: string }[]; [key: string]: unknown };
    const { description, anyOf, ...rest } = plain;
    const converted = anyOf ? { type: 'string', enum: anyOf.map((a) => a.const), ...rest } : rest;
    return {
      name,
      in: location,
      required: location === 'path' || (schema.required ?? []).includes(name),
      ...(description === undefined ? {} : { description }),
      schema: converted,
    };
  });
}

const streamPath = {
  get: {
    summary: 'Stream a run (WebSocket)',
    description: [
      "Upgrades to a WebSocket and sends the run's frames as JSON text: status, stdout and stderr (with seq),",
      'then end (with the record), then close 1000. A client that connects late gets every frame from the start',
      '(replay), then live ones. Frame schemas: x-websocket-frames.',
    ].join(' '),
    tags: ['runs'],
    parameters: [...parameters('path', RunIdParamsSchema), ...parameters('query', StreamQuerySchema)],
    responses: {
      101: { description: 'Switching Protocols: the WebSocket (an unknown run is then closed with 4404)' },
      400: { description: 'invalid_request: a parameter does not match its schema (the usual error body)' },
      404: { description: 'Not a WebSocket upgrade request (empty body)' },
    },
  },
};

const buildPath = {
  get: {
    summary: "Stream a custom runtime's build (WebSocket, admin)",
    description: [
      'Upgrades to a WebSocket and sends the build log of a custom runtime as JSON text frames: log lines, progress (step N of M),',
      'status changes, then end (with the runtime), then close 1000. A client that connects late gets the log from the start.',
      'Needs the admin scope. Frame schemas: x-websocket-frames.',
    ].join(' '),
    tags: ['runtimes'],
    parameters: parameters('path', RuntimeNameParamsSchema),
    responses: {
      101: { description: 'Switching Protocols: the WebSocket (no such custom runtime: closed with 4404)' },
      401: { description: 'unauthorized: no valid API key (the usual error body)' },
      403: { description: 'forbidden: the key lacks the admin scope' },
      404: { description: 'Not a WebSocket upgrade request (empty body)' },
    },
  },
};

export const openapiDocument = {
  openapi: '3.0.3',
  info: {
    title: 'runbox',
    version: '0.1.0',
    description: [
      'Runs untrusted code in disposable, network-isolated containers.',
      'Errors have the shape {statusCode, error, code, message}; `code` is stable (see the README).',
      'Every 429 and every 503 carries Retry-After: the seconds to wait before trying again.',
      'GET /runs/{id}/stream is a WebSocket: its frames are the Stream*Frame schemas, listed per path under x-websocket-frames.',
    ].join(' '),
  },
  tags: [
    { name: 'runs', description: 'Submit, read, cancel and stream runs' },
    { name: 'runtimes', description: 'Languages: the built-in catalogue and custom runtimes built from a Dockerfile' },
    { name: 'health', description: 'Liveness, readiness and metrics' },
  ],
  components: {
    schemas: streamFrameSchemas,
  },
  // A getter, so each app gets a fresh object: @fastify/swagger adds the other routes'
  // paths to the object it is given.
  get paths() {
    return { '/runs/{id}/stream': streamPath, '/runtimes/{name}/build': buildPath };
  },
  'x-websocket-frames': {
    '/runs/{id}/stream': {
      description: [
        'GET with Upgrade: websocket answers 101 and sends JSON text frames.',
        'A client that connects late gets every frame from the start (replay), then live ones;',
        '?from=N resumes after output frame N: the output frames with a higher seq and the status frames sent after frame N;',
        '?encoding=base64 sends data as base64 of the raw bytes.',
      ].join(' '),
      server: { oneOf: [ref('StreamStatusFrame'), ref('StreamOutputFrame'), ref('StreamEndFrame')] },
      client: { oneOf: [ref('StreamStdinFrame'), ref('StreamEofFrame'), ref('StreamCancelFrame')] },
      closeCodes: {
        1000: 'the run ended (sent after the end frame)',
        1001: 'the API process is shutting down; reconnect with ?from=N to resume',
        1011: 'internal error of the API',
        4400: 'the client sent a frame that is not one of the client frames',
        4404: "no such run (unknown, expired, or another API key's)",
        4413: "stdin limit reached: the run's stdin frames would pass STDIN_MAX_BYTES; that frame and the ones after it on this socket were dropped",
        4429: 'this API key already has WS_MAX_PER_KEY streams open on this API process',
      },
    },
    '/runtimes/{name}/build': {
      description:
        'GET with Upgrade: websocket (admin scope) answers 101 and sends JSON text frames: the build log from its start, then live.',
      server: { oneOf: [ref('BuildLogFrame'), ref('BuildProgressFrame'), ref('BuildStatusFrame'), ref('BuildEndFrame')] },
      client: { oneOf: [] },
      closeCodes: {
        1000: 'the build ended (sent after the end frame)',
        1001: 'the API process is shutting down; reconnect to read the log again',
        1011: 'internal error of the API',
        4400: 'the client sent a frame (this stream takes none)',
        4404: 'no such custom runtime',
      },
    },
  },
};
