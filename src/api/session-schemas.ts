// Request schemas of the session, exec, files and snapshot routes, and the terminal's WebSocket
// frames: the one source for validation, types and openapi.yaml.
import { Type, type Static } from '@sinclair/typebox';
import { LimitsSchema } from '../domain/limits.js';
import { ExecRecordSchema, FileEntrySchema, SessionRecordSchema, SnapshotRecordSchema } from '../domain/session-record.js';
import { FileSchema } from './schemas.js';

const EnvSchema = Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.String(), {
  additionalProperties: false,
  description: 'environment variables; names are letters, digits and _',
});

export const CreateSessionRequestSchema = Type.Object(
  {
    language: Type.Optional(
      Type.String({
        minLength: 1,
        description: "a runtime id or alias from GET /runtimes; with snapshot, the snapshot's (may be left out)",
      }),
    ),
    limits: Type.Optional(
      Type.Partial(LimitsSchema, {
        description:
          "memoryMb, cpus, pids and diskMb hold for the whole session (its container); timeMs, cpuTimeMs and outputBytes are each exec's defaults",
      }),
    ),
    network: Type.Optional(Type.Boolean({ default: false })),
    env: Type.Optional(EnvSchema),
    files: Type.Optional(Type.Array(FileSchema, { description: 'written into the work folder before the session is ready' })),
    idleTimeoutMs: Type.Optional(
      Type.Integer({ minimum: 1000, description: 'ends after this long without a command or an open terminal (SESSION_IDLE_TIMEOUT_MS)' }),
    ),
    maxLifetimeMs: Type.Optional(Type.Integer({ minimum: 1000, description: 'ends after this long, used or not (SESSION_LIFETIME_MS)' })),
    snapshot: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: "a snapshot of this key's: the session starts with its work folder" }),
    ),
  },
  { additionalProperties: false, $id: 'CreateSessionRequest' },
);
export type CreateSessionRequest = Static<typeof CreateSessionRequestSchema>;

export const ExecRequestSchema = Type.Object(
  {
    command: Type.Union([Type.Array(Type.String(), { minItems: 1 }), Type.String({ minLength: 1 })], {
      description: 'an argv (found through the container PATH), or a string run as sh -c STRING',
    }),
    stdin: Type.Optional(Type.String({ default: '' })),
    env: Type.Optional(EnvSchema),
    cwd: Type.Optional(Type.String({ description: 'working folder, relative to the work folder (the file-name rules)' })),
    timeMs: Type.Optional(Type.Integer({ minimum: 1, description: "wall-time limit of this exec (default: the session's limits.timeMs)" })),
    cpuTimeMs: Type.Optional(
      Type.Integer({ minimum: 1, description: "CPU-time limit of this exec (default: the session's, or timeMs when given)" }),
    ),
  },
  { additionalProperties: false, $id: 'ExecRequest' },
);
export type ExecRequest = Static<typeof ExecRequestSchema>;

export const SnapshotRequestSchema = Type.Object(
  { label: Type.Optional(Type.String({ maxLength: 200, description: 'a name of your own for it' })) },
  { additionalProperties: false },
);

export const SessionIdParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
export const SessionFileParamsSchema = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  '*': Type.String({ description: 'a path in the work folder (the file-name rules); empty for the work folder itself' }),
});

/** The same, as openapi.yaml names it: OpenAPI has no wildcard, so the path is a parameter {path}. */
export const SessionFileDocParamsSchema = Type.Object({
  id: SessionFileParamsSchema.properties.id,
  path: Type.String({ description: 'a path in the work folder (the file-name rules), its slashes as they are' }),
});

export const ExecQuerySchema = Type.Object({
  stream: Type.Optional(
    Type.Boolean({
      default: false,
      description:
        'answer with newline-delimited JSON frames as the output comes (stdout, stderr, then end with the exec), not one record at the end',
    }),
  ),
});

export const PageQuerySchema = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  cursor: Type.Optional(Type.String({ maxLength: 200, description: "the previous page's nextCursor" })),
});

export const SessionListSchema = Type.Object({
  sessions: Type.Array(SessionRecordSchema),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const SnapshotListSchema = Type.Object({
  snapshots: Type.Array(SnapshotRecordSchema),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const SnapshotCreatedSchema = Type.Object({
  snapshot: Type.String({ description: 'the id of the snapshot (GET /snapshots/{id})' }),
});

export const FileListingSchema = Type.Array(FileEntrySchema, {
  description: 'a folder: its entries (links listed, never followed); header x-runbox-truncated: true when there were more than fit',
});

export const ShellQuerySchema = Type.Object({
  cols: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 80 })),
  rows: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 24 })),
});

// The terminal's WebSocket frames (GET /sessions/{id}/shell), JSON text both ways.
export const ShellStdinFrameSchema = Type.Object(
  { type: Type.Literal('stdin'), data: Type.String({ description: "typed into the terminal, as UTF-8 (xterm.js's onData)" }) },
  { additionalProperties: false, description: 'Input for the terminal.' },
);
export const ShellResizeFrameSchema = Type.Object(
  {
    type: Type.Literal('resize'),
    cols: Type.Integer({ minimum: 1, maximum: 1000 }),
    rows: Type.Integer({ minimum: 1, maximum: 1000 }),
  },
  { additionalProperties: false, description: 'The terminal changed size (xterm.js onResize).' },
);
export const ShellClientFrameSchema = Type.Union([ShellStdinFrameSchema, ShellResizeFrameSchema]);
export type ShellClientFrame = Static<typeof ShellClientFrameSchema>;

export const ShellStdoutFrameSchema = Type.Object(
  {
    type: Type.Literal('stdout'),
    data: Type.String({
      description: "the terminal's output as UTF-8 (a character is never split between frames; bytes that are not UTF-8 become U+FFFD)",
    }),
  },
  { additionalProperties: false, description: "The terminal's output (stdout and stderr, as a terminal shows them)." },
);
export const ShellExitFrameSchema = Type.Object(
  {
    type: Type.Literal('exit'),
    exitCode: Type.Union([Type.Integer(), Type.Null()], { description: "the shell's exit code; null when it did not exit by itself" }),
    reason: Type.Optional(Type.String({ description: 'why it ended, when the shell did not exit by itself (the session ended)' })),
  },
  { additionalProperties: false, description: 'The last frame; the server then closes with 1000.' },
);

export { ExecRecordSchema, FileEntrySchema, SessionRecordSchema, SnapshotRecordSchema };

/** The terminal's frames as OpenAPI components (openapi-document.ts). */
export const shellFrameSchemas = {
  ShellStdinFrame: ShellStdinFrameSchema,
  ShellResizeFrame: ShellResizeFrameSchema,
  ShellStdoutFrame: ShellStdoutFrameSchema,
  ShellExitFrame: ShellExitFrameSchema,
};

/** The terminal's close codes, for openapi.yaml. */
export const shellCloseCodes = {
  1000: 'the terminal ended (after the exit frame)',
  1001: 'the API process is shutting down',
  1011: 'internal error of the API',
  4400: 'the client sent a frame that is not stdin or resize',
  4404: "no such session (unknown, expired, or another API key's)",
  4409: 'the session is not ready (starting, ended or lost), or was lost meanwhile',
  4429: 'this API key already has WS_MAX_PER_KEY terminals open on this API process',
  4503: "the session's worker has no room for another terminal (SESSION_SHELLS_MAX), or did not answer",
};
