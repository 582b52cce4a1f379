// The client's types, derived from the API's own schemas (type-only imports: the client's
// JavaScript needs none of the server's code).
import type { Static } from '@sinclair/typebox';
import type { BatchItemSchema, ListItemSchema } from '../api/routes/run-batch.js';
import type { ErrorSchema, RunRequestSchema, RuntimeSchema } from '../api/schemas.js';
import type { OutputFrame, StatusFrame } from '../api/stream-frames.js';
import type { RunRecordSchema } from '../domain/run-record.js';
import type { ExecRecord } from '../domain/session-record.js';

/** A POST /runs body. */
export type RunRequest = Static<typeof RunRequestSchema>;
export type RunRecord = Static<typeof RunRecordSchema>;
export type Runtime = Static<typeof RuntimeSchema>;
export type ErrorBody = Static<typeof ErrorSchema>;
export type BatchItem = Static<typeof BatchItemSchema>;
export type ListItem = Static<typeof ListItemSchema>;

export type { OutputFrame, StatusFrame };
/** The last frame: the final record. */
export type EndFrame = { type: 'end'; run: RunRecord };
/** What GET /runs/{id}/stream sends. */
export type StreamFrame = StatusFrame | OutputFrame | EndFrame;

// Sessions, their execs, files, terminals and snapshots.
export type { CreateSessionRequest, ExecRequest } from '../api/session-schemas.js';
export type { ExecRecord };
export type { FileEntry, SessionRecord, SnapshotRecord } from '../domain/session-record.js';
/** A line of POST /sessions/{id}/exec?stream=true. */
export type ExecFrame =
  { type: 'stdout' | 'stderr'; seq: number; data: string } | { type: 'end'; exec: ExecRecord } | { type: 'error'; error: ErrorBody };
/** What a terminal sends: its output, then how it ended. */
export type ShellFrame = { type: 'stdout'; data: string } | { type: 'exit'; exitCode: number | null; reason?: string };
