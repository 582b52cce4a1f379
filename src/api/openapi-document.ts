// The parts of openapi.yaml that are not derived from route schemas: the title, and the
// WebSocket route GET /runs/{id}/stream. @fastify/websocket hides WebSocket routes from
// the generated document, so that path is written here: its parameters come from the
// route's own schemas, its frames are JSON Schemas under components.schemas
// (Stream*Frame, from stream-frames.ts, which the route builds and parses its frames by),
// tied to the path by the extension x-websocket-frames; GET /runtimes/{name}/build likewise
// (Build*Frame, from build-frames.ts).
import type { TObject } from '@sinclair/typebox';
import { buildCloseCodes, buildFrameSchemas } from './build-frames.js';
import { RunIdParamsSchema, RuntimeNameParamsSchema, StreamQuerySchema } from './schemas.js';
import { SessionIdParamsSchema, shellCloseCodes, shellFrameSchemas, ShellQuerySchema } from './session-schemas.js';
import { streamCloseCodes, streamFrameSchemas } from './stream-frames.js';

const ref = (name: keyof typeof streamFrameSchemas | keyof typeof buildFrameSchemas | keyof typeof shellFrameSchemas) => ({
  $ref: `#/components/schemas/${name}`,
});

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

const shellPath = {
  get: {
    summary: 'A terminal in a session (WebSocket)',
    description: [
      "Upgrades to a WebSocket with an interactive bash on a TTY in the session's sandbox, as its program user, in its work folder:",
      'client frames stdin and resize, server frames stdout, then exit, then close 1000. Frame schemas: x-websocket-frames; docs/sessions.md has an xterm.js example.',
    ].join(' '),
    tags: ['sessions'],
    parameters: [...parameters('path', SessionIdParamsSchema), ...parameters('query', ShellQuerySchema)],
    responses: {
      101: { description: 'Switching Protocols: the WebSocket (an unknown session is then closed with 4404)' },
      400: { description: 'invalid_request: a parameter does not match its schema, or not a WebSocket upgrade request' },
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

const pistonConnectPath = {
  get: {
    summary: 'Interactive job (Piston WebSocket)',
    description: [
      "Piston API v2's interactive protocol: an init frame (a job, as POST /piston/api/v2/execute takes it), data frames (stdin), signal",
      "frames, and runbox's eof frame; the server sends runtime, stage, data and exit frames and closes with 4999 when the job is done.",
      'Frames and close codes: x-websocket-frames and docs/compat-piston.md.',
    ].join(' '),
    tags: ['piston'],
    responses: {
      101: { description: 'Switching Protocols: the WebSocket' },
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
      'GET /runs/{id}/stream and GET /sessions/{id}/shell are WebSockets: their frames are the Stream*Frame and Shell*Frame schemas, listed per path under x-websocket-frames.',
    ].join(' '),
  },
  tags: [
    { name: 'runs', description: 'Submit, read, cancel and stream runs' },
    { name: 'runtimes', description: 'Languages: the built-in catalogue and custom runtimes built from a Dockerfile' },
    { name: 'sessions', description: 'Sandboxes kept open for commands, files and a terminal (docs/sessions.md)' },
    { name: 'snapshots', description: "Work folders kept as images: a run's after it exited, or a session's" },
    { name: 'health', description: 'Liveness, readiness and metrics' },
    {
      name: 'judge0',
      description:
        'The Judge0 CE 1.13 facade under /judge0: its field names, units, status ids and error shapes (422 {field: [messages]}, {error}); docs/compat-judge0.md',
    },
    {
      name: 'piston',
      description:
        'The Piston API v2 facade under /piston: runtimes, execute (400 {message}), and the WebSocket /piston/api/v2/connect (documented in docs/compat-piston.md: OpenAPI has no words for its frames); a body without a JSON content type is read as JSON',
    },
  ],
  // A getter with a copy: @fastify/swagger rewrites the $refs of the schemas it is given in
  // place, and the frame schemas are what the stream route checks its frames against.
  get components() {
    const schemas = { ...streamFrameSchemas, ...buildFrameSchemas, ...shellFrameSchemas };
    return { schemas: JSON.parse(JSON.stringify(schemas)) as typeof schemas };
  },
  // A getter, so each app gets a fresh object: @fastify/swagger adds the other routes'
  // paths to the object it is given.
  get paths() {
    return {
      '/runs/{id}/stream': streamPath,
      '/runtimes/{name}/build': buildPath,
      '/sessions/{id}/shell': shellPath,
      '/piston/api/v2/connect': pistonConnectPath,
    };
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
      closeCodes: Object.fromEntries(Object.values(streamCloseCodes).map(({ code, description }) => [code, description])),
    },
    '/sessions/{id}/shell': {
      description: [
        'GET with Upgrade: websocket answers 101; frames are JSON text both ways.',
        'stdin frames carry what is typed (UTF-8), resize frames the terminal size; stdout frames carry what the terminal shows.',
        'When the shell exits (or the session ends) an exit frame comes, then close 1000; closing the socket hangs the shell up.',
      ].join(' '),
      server: { oneOf: [ref('ShellStdoutFrame'), ref('ShellExitFrame')] },
      client: { oneOf: [ref('ShellStdinFrame'), ref('ShellResizeFrame')] },
      closeCodes: shellCloseCodes,
    },
    '/piston/api/v2/connect': {
      description: 'Piston v2 frames, JSON text; docs/compat-piston.md has each field.',
      server: {
        runtime: '{type: "runtime", language, version}: the job is queued',
        stage: '{type: "stage", stage: "compile" | "run"}: a stage starts',
        data: '{type: "data", stream: "stdout" | "stderr", data}: output',
        exit: '{type: "exit", stage, code, signal, status, message, verdict?}: a stage ended',
        error: '{type: "error", message}: sent before a 4002 close',
      },
      client: {
        init: '{type: "init", language, version, files, args?, run_timeout?, ...}: the job (first frame, within a second)',
        data: '{type: "data", stream: "stdin", data}: written to stdin',
        signal: '{type: "signal", signal: "SIGTERM"}: stops the program',
        eof: '{type: "eof"}: closes stdin (a runbox addition)',
      },
      closeCodes: {
        1001: 'the API process is shutting down',
        4000: 'Already Initialized: a second init',
        4001: 'Initialization Timeout: no init within a second',
        4002: 'Notified Error: after an error frame',
        4003: 'Not yet initialized: data, signal or eof before init',
        4004: 'Can only write to stdin',
        4005: 'Invalid signal',
        4429: 'this API key already has WS_MAX_PER_KEY of these sockets open on this API process',
        4999: 'Job Completed',
      },
    },
    '/runtimes/{name}/build': {
      description:
        'GET with Upgrade: websocket (admin scope) answers 101 and sends JSON text frames: the build log from its start, then live.',
      server: { oneOf: [ref('BuildLogFrame'), ref('BuildProgressFrame'), ref('BuildStatusFrame'), ref('BuildEndFrame')] },
      client: { oneOf: [] },
      closeCodes: Object.fromEntries(Object.values(buildCloseCodes).map(({ code, description }) => [code, description])),
    },
  },
};
