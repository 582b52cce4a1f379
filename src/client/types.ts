// The client's types, derived from the API's own schemas (type-only imports: the client's
// JavaScript needs none of the server's code).
import type { Static } from '@sinclair/typebox';
import type { BatchItemSchema, ListItemSchema } from '../api/routes/run-batch.js';
import type { ErrorSchema, RunRequestSchema, RuntimeSchema } from '../api/schemas.js';
import type { OutputFrame, StatusFrame } from '../api/stream-frames.js';
import type { RunRecordSchema } from '../domain/run-record.js';

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
