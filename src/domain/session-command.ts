// What the API asks of the worker that holds a session, and what it answers: the contract of a
// worker's command stream (store/session-channel.ts carries it). Shared by both sides.
import type { ExecLimits, Limits } from './limits.js';
import type { ExecRecord, FileEntry, SessionRecord, SnapshotRecord } from './session-record.js';

export interface OpenSessionRequest {
  /** The runtime's id. */
  language: string;
  limits: Limits;
  network: boolean;
  /** The session's environment: every exec's and terminal's, under the exec's own. */
  env: Record<string, string>;
  /** Written into the work folder once it is open; content in base64. */
  files: { name: string; content: string }[];
  idleTimeoutMs: number;
  maxLifetimeMs: number;
  /** Open on a snapshot: its image, whose work folder is loaded first. */
  snapshot?: { id: string; image: string };
}

export type SessionCommand =
  | { kind: 'open'; sessionId: string; request: OpenSessionRequest }
  | {
      kind: 'exec';
      sessionId: string;
      execId: string;
      command: string[];
      /** base64 */
      stdin: string;
      env: Record<string, string>;
      cwd?: string;
      limits: ExecLimits;
      /** Send output as it comes, not only in the end. */
      stream: boolean;
    }
  | { kind: 'read'; sessionId: string; path: string; budgetBytes: number }
  /** The file's bytes travel beside the command. */
  | { kind: 'write'; sessionId: string; path: string }
  | { kind: 'remove'; sessionId: string; path: string }
  | { kind: 'keepalive'; sessionId: string }
  | { kind: 'close'; sessionId: string }
  | { kind: 'snapshot'; sessionId: string; snapshotId: string; label: string; owner: string }
  | { kind: 'shell'; sessionId: string; shellId: string; cols: number; rows: number }
  | { kind: 'removeSnapshot'; snapshotId: string };

/** What each command answers when it succeeds. */
export interface SessionCommandResults {
  open: Pick<SessionRecord, 'lastUsedAt' | 'expiresAt'>;
  exec: ExecRecord;
  /** A file's bytes follow as data; a folder's entries are here. */
  read: { kind: 'file'; size: number } | { kind: 'folder'; entries: FileEntry[]; truncated: boolean };
  write: Record<string, never>;
  remove: Record<string, never>;
  keepalive: Pick<SessionRecord, 'lastUsedAt' | 'expiresAt'>;
  close: Record<string, never>;
  snapshot: SnapshotRecord;
  shell: Record<string, never>;
  removeSnapshot: { removed: boolean };
}

/**
 * Why a command failed, as the worker says it: the API answers each with the error code of the
 * same name (src/api/errors.ts), `failed` as a 500 after which the session has ended.
 */
export const CommandErrorCode = {
  notFound: 'not_found',
  conflict: 'conflict',
  invalidFileName: 'invalid_file_name',
  payloadTooLarge: 'payload_too_large',
  snapshotQuotaExceeded: 'snapshot_quota_exceeded',
  sessionsFull: 'sessions_full',
  unknownLanguage: 'unknown_language',
  forbidden: 'forbidden',
  internalError: 'internal_error',
} as const;
export type CommandErrorCode = (typeof CommandErrorCode)[keyof typeof CommandErrorCode];

export interface CommandError {
  code: CommandErrorCode;
  message: string;
  /** Seconds to wait before trying again, where the worker knows (a snapshot quota). */
  retryAfterSeconds?: number;
}
