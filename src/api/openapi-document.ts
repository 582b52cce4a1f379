// The parts of openapi.yaml that are not derived from route schemas: the title, and the
// WebSocket frames, which OpenAPI cannot express as a route (x-websocket-frames).
export const openapiDocument = {
  openapi: '3.0.3',
  info: {
    title: 'runbox',
    version: '0.1.0',
    description:
      'Runs untrusted code in disposable, network-isolated containers. Errors have the shape {statusCode, error, code, message}.',
  },
  tags: [
    { name: 'runs', description: 'Submit, read, cancel and stream runs' },
    { name: 'runtimes', description: 'Languages' },
    { name: 'health', description: 'Liveness and readiness' },
  ],
  components: {
    schemas: {},
  },
  'x-websocket-frames': {
    path: '/runs/{id}/stream',
    server: {
      status: { type: 'status', status: 'queued | running | completed | cancelled | failed' },
      stdout: { type: 'stdout', seq: 'integer, +1 per output frame from 1', data: 'string (base64 with ?encoding=base64)', phase: 'compile (absent for the program)' },
      stderr: { type: 'stderr', seq: 'integer', data: 'string', phase: 'compile (absent for the program)' },
      end: { type: 'end', run: 'the run record (RunRecord)' },
    },
    client: {
      stdin: { type: 'stdin', data: 'string; interactive runs only' },
      eof: { type: 'eof' },
      cancel: { type: 'cancel' },
    },
    closeCodes: { 1000: 'the run ended (after the end frame)', 4404: 'no such run', 4400: 'unknown client frame', 1011: 'internal error' },
  },
};
