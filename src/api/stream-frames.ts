// The WebSocket frames of GET /runs/{id}/stream, written once: the route builds the server
// frames and parses the client frames by these schemas, and openapi.yaml documents them
// (openapi-document.ts), close codes included.
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { RunStatus } from '../domain/run-record.js';

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
          "compile: compiler output; test: output of one test of a judged run (see test; with an interactor, the submission's side of the conversation); absent for the program of a run without tests. A checker's and an interactor's output (and their compilers') is never sent",
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

/** The WebSocket frame schemas, by component name (also used by tests to check real frames). */
export const streamFrameSchemas = {
  StreamStatusFrame: StreamStatusFrameSchema,
  StreamOutputFrame: StreamOutputFrameSchema,
  StreamEndFrame: StreamEndFrameSchema,
  StreamStdinFrame: StreamStdinFrameSchema,
  StreamEofFrame: StreamEofFrameSchema,
  StreamCancelFrame: StreamCancelFrameSchema,
};

const ClientFrameSchema = Type.Union([StreamStdinFrameSchema, StreamEofFrameSchema, StreamCancelFrameSchema]);
export type ClientFrame = Static<typeof ClientFrameSchema>;
export type StatusFrame = Static<typeof StreamStatusFrameSchema>;
export type OutputFrame = Static<typeof StreamOutputFrameSchema>;

const clientFrame = TypeCompiler.Compile(ClientFrameSchema);

/** A client's text frame as one of the client frames; undefined for anything else (not JSON, unknown type, extra fields). */
export function parseClientFrame(text: string): ClientFrame | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return clientFrame.Check(value) ? value : undefined;
}

/** How the server closes a stream, and what each code means (documented in openapi.yaml). */
export const streamCloseCodes = {
  normal: { code: 1000, description: 'the run ended (sent after the end frame)' },
  goingAway: { code: 1001, description: 'the API process is shutting down; reconnect with ?from=N to resume' },
  internalError: { code: 1011, description: 'internal error of the API' },
  badFrame: { code: 4400, description: 'the client sent a frame that is not one of the client frames' },
  notFound: { code: 4404, description: "no such run (unknown, expired, or another API key's)" },
  stdinLimit: {
    code: 4413,
    description:
      "stdin limit reached: the run's stdin frames would pass STDIN_MAX_BYTES; that frame and the ones after it on this socket were dropped",
  },
  tooMany: { code: 4429, description: 'this API key already has WS_MAX_PER_KEY streams open on this API process' },
} as const;

/** The close codes by name. */
export const CloseCode = Object.fromEntries(Object.entries(streamCloseCodes).map(([name, { code }]) => [name, code])) as {
  [K in keyof typeof streamCloseCodes]: (typeof streamCloseCodes)[K]['code'];
};
