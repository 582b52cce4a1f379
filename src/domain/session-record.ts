// Sessions: a live sandbox a client keeps and gives commands (execs, files, a terminal), its
// record and lifecycle; the record of one exec in it; and snapshots, a work folder kept as an
// image. The schemas are the one source for validation, types and openapi.yaml.
import { Type, type Static } from '@sinclair/typebox';
import { LimitsSchema } from './limits.js';

export const SessionStatus = {
  /** Its worker is starting the sandbox. */
  starting: 'starting',
  ready: 'ready',
  ended: 'ended',
  /** Its worker stopped answering (died): the sandbox went with it, or will be reaped. */
  lost: 'lost',
} as const;
export type SessionStatus = (typeof SessionStatus)[keyof typeof SessionStatus];

export const SessionEndReason = {
  deleted: 'deleted',
  idle: 'idle',
  lifetime: 'lifetime',
  /** Its worker shut down. */
  shutdown: 'shutdown',
  /** The sandbox itself failed (under gVisor, a program killed for memory takes it). */
  failed: 'failed',
} as const;
export type SessionEndReason = (typeof SessionEndReason)[keyof typeof SessionEndReason];

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const SessionRecordSchema = Type.Object(
  {
    id: Type.String(),
    language: Type.String(),
    status: Type.Union([Type.Literal('starting'), Type.Literal('ready'), Type.Literal('ended'), Type.Literal('lost')]),
    createdAt: Type.String({ format: 'date-time' }),
    lastUsedAt: Type.String({ format: 'date-time', description: 'the last command, or the last open terminal closing' }),
    expiresAt: Type.String({ format: 'date-time', description: 'when it ends unless it is used again (idle timeout), at most endsAt' }),
    endsAt: Type.String({ format: 'date-time', description: 'the end of its maximum lifetime, used or not' }),
    idleTimeoutMs: Type.Integer(),
    maxLifetimeMs: Type.Integer(),
    limits: LimitsSchema,
    network: Type.Boolean(),
    snapshot: Nullable(Type.String({ description: 'the snapshot it was opened on' })),
    endedAt: Nullable(Type.String({ format: 'date-time' })),
    endReason: Type.Union(
      [
        Type.Literal('deleted'),
        Type.Literal('idle'),
        Type.Literal('lifetime'),
        Type.Literal('shutdown'),
        Type.Literal('failed'),
        Type.Null(),
      ],
      {
        description: 'how an ended session ended: deleted, idle, lifetime, shutdown (its worker stopped), failed (the sandbox failed)',
      },
    ),
    error: Type.Optional(Type.String({ description: 'why it failed, or why it was lost' })),
  },
  { $id: 'Session', additionalProperties: false },
);
export type SessionRecord = Static<typeof SessionRecordSchema>;

/** An exec's verdict: a run's, without judge mode's. */
export const ExecVerdictSchema = Type.Union([
  Type.Literal('ok'),
  Type.Literal('runtime_error'),
  Type.Literal('time_limit_exceeded'),
  Type.Literal('memory_limit_exceeded'),
  Type.Literal('output_limit_exceeded'),
]);

export const ExecRecordSchema = Type.Object(
  {
    id: Type.String(),
    sessionId: Type.String(),
    command: Type.Array(Type.String(), { description: 'the argv that ran (a string command runs as ["sh", "-c", command])' }),
    verdict: ExecVerdictSchema,
    exitCode: Type.Union([Type.Integer(), Type.Null()]),
    signal: Nullable(Type.String({ description: 'name of the signal that ended it, e.g. SIGKILL' })),
    timeMs: Type.Integer({ description: 'wall time, milliseconds' }),
    cpuTimeMs: Type.Union([Type.Integer(), Type.Null()]),
    memoryBytes: Type.Union([Type.Integer({ description: "peak resident memory of the exec's processes" }), Type.Null()]),
    stdout: Type.String(),
    stderr: Type.String(),
    stdoutTruncated: Type.Boolean(),
    stderrTruncated: Type.Boolean(),
    startedAt: Type.String({ format: 'date-time' }),
    finishedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Exec', additionalProperties: false },
);
export type ExecRecord = Static<typeof ExecRecordSchema>;

export const SnapshotRecordSchema = Type.Object(
  {
    id: Type.String(),
    label: Type.String(),
    language: Type.String(),
    sizeBytes: Type.Integer({
      description: 'what the work folder holds (data, and 512 bytes per entry), counted against SNAPSHOT_KEY_MAX_BYTES',
    }),
    createdAt: Type.String({ format: 'date-time' }),
    expiresAt: Type.String({ format: 'date-time' }),
    source: Type.Object(
      { kind: Type.Union([Type.Literal('run'), Type.Literal('session')]), id: Type.String() },
      { additionalProperties: false },
    ),
  },
  { $id: 'Snapshot', additionalProperties: false },
);
export type SnapshotRecord = Static<typeof SnapshotRecordSchema>;

/** A folder entry as a session's files route lists it. */
export const FileEntrySchema = Type.Object(
  {
    name: Type.String(),
    type: Type.Union([Type.Literal('file'), Type.Literal('folder'), Type.Literal('symlink'), Type.Literal('other')]),
    size: Type.Integer({ description: 'bytes (a folder: 0; a link: its target length)' }),
    mtime: Type.String({ format: 'date-time' }),
  },
  { $id: 'FileEntry', additionalProperties: false },
);
export type FileEntry = Static<typeof FileEntrySchema>;

/** Lists go newest first; records made in the same millisecond by id. */
export const newestFirst = (a: { createdAt: string; id: string }, b: { createdAt: string; id: string }) =>
  a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1;

// The schema spells the values out for TypeBox's types; these keep them equal to the constants.
const _statusesMatch: SessionRecord['status'] extends SessionStatus
  ? SessionStatus extends SessionRecord['status']
    ? true
    : never
  : never = true;
const _reasonsMatch: Exclude<SessionRecord['endReason'], null> extends SessionEndReason
  ? SessionEndReason extends SessionRecord['endReason']
    ? true
    : never
  : never = true;
void _statusesMatch;
void _reasonsMatch;
