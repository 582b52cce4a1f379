// The client's session methods (docs/sessions.md): open, read, list, end and keep alive a
// session; exec (a record, or its output line by line); files in and out; a terminal; snapshots.
// Built over the client's request() and openSocket() and the same key; file bodies are bytes.
import WebSocket from 'ws';
import type {
  CreateSessionRequest,
  ExecFrame,
  ExecRecord,
  ExecRequest,
  FileEntry,
  SessionRecord,
  ShellFrame,
  SnapshotRecord,
} from './types.js';

type Request = <T>(method: string, path: string, body?: unknown) => Promise<{ status: number; body: T; headers: Headers }>;

export interface SessionApiParts {
  request: Request;
  openSocket: (path: string) => WebSocket;
  /** A raw HTTP call with the client's key (bodies that are not JSON); throws on a status of 400 or more. */
  fetchRaw: (method: string, path: string, init?: { body?: Uint8Array | string; contentType?: string }) => Promise<Response>;
}

export interface Page {
  limit?: number;
  cursor?: string;
}

/** A terminal: its frames as they come, and what to send it. */
export interface Shell extends AsyncIterable<ShellFrame> {
  /** Typed input (queued until the socket is open). */
  write(data: string): void;
  resize(cols: number, rows: number): void;
  /** Hangs the shell up. */
  close(): void;
}

const at = (id: string) => `/sessions/${encodeURIComponent(id)}`;
/** A path in the work folder as a URL path: each segment encoded, the slashes kept. */
const filePath = (id: string, path: string) => `${at(id)}/files/${path.split('/').map(encodeURIComponent).join('/')}`;
const pageQuery = ({ limit, cursor }: Page) => {
  const query = new URLSearchParams();
  if (limit !== undefined) query.set('limit', String(limit));
  if (cursor !== undefined) query.set('cursor', cursor);
  return query.size > 0 ? `?${query}` : '';
};

export function sessionApi({ request, openSocket, fetchRaw }: SessionApiParts) {
  /** POST /sessions: the record once the session is ready. */
  const createSession = async (body: CreateSessionRequest) => (await request<SessionRecord>('POST', '/sessions', body)).body;
  const getSession = async (id: string) => (await request<SessionRecord>('GET', at(id))).body;
  const listSessions = async (page: Page = {}) =>
    (await request<{ sessions: SessionRecord[]; nextCursor: string | null }>('GET', `/sessions${pageQuery(page)}`)).body;
  /** DELETE /sessions/{id}: ends it (409 conflict when it has ended already). */
  const deleteSession = async (id: string) => void (await request('DELETE', at(id)));
  const keepalive = async (id: string) => (await request<SessionRecord>('POST', `${at(id)}/keepalive`)).body;

  /** POST /sessions/{id}/exec: the exec's record once it has ended. */
  const exec = async (id: string, body: ExecRequest) => (await request<ExecRecord>('POST', `${at(id)}/exec`, body)).body;

  /** POST /sessions/{id}/exec?stream=true: output frames as they come, then the end frame (or an error frame). */
  async function* execStream(id: string, body: ExecRequest): AsyncGenerator<ExecFrame> {
    const response = await fetchRaw('POST', `${at(id)}/exec?stream=true`, { body: JSON.stringify(body), contentType: 'application/json' });
    const decoder = new TextDecoder();
    let pending = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      pending += decoder.decode(chunk, { stream: true });
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line.trim()) yield JSON.parse(line) as ExecFrame;
      }
    }
  }

  /** PUT a file (folders on the way are made). */
  const writeFile = async (id: string, path: string, data: Uint8Array | string) =>
    void (await fetchRaw('PUT', filePath(id, path), { body: data, contentType: 'application/octet-stream' }));
  /** A file's bytes. */
  const readFile = async (id: string, path: string) => new Uint8Array(await (await fetchRaw('GET', filePath(id, path))).arrayBuffer());
  /** A folder's entries ('' or nothing: the work folder). */
  const listFiles = async (id: string, path = '') =>
    (await request<FileEntry[]>('GET', path ? filePath(id, path) : `${at(id)}/files`)).body;
  /** Removes a file, a link (never its target) or a folder with what it holds. */
  const removeFile = async (id: string, path: string) => void (await request('DELETE', filePath(id, path)));

  /** Keeps the session's work folder as a snapshot; its id. */
  const snapshotSession = async (id: string, label?: string) =>
    (await request<{ snapshot: string }>('POST', `${at(id)}/snapshot`, label === undefined ? {} : { label })).body.snapshot;
  const listSnapshots = async (page: Page = {}) =>
    (await request<{ snapshots: SnapshotRecord[]; nextCursor: string | null }>('GET', `/snapshots${pageQuery(page)}`)).body;
  const getSnapshot = async (id: string) => (await request<SnapshotRecord>('GET', `/snapshots/${encodeURIComponent(id)}`)).body;
  const deleteSnapshot = async (id: string) => void (await request('DELETE', `/snapshots/${encodeURIComponent(id)}`));

  /** GET /sessions/{id}/shell: a terminal of `cols` x `rows`. Iterating ends after the exit frame or when the socket closes. */
  function shell(id: string, { cols = 80, rows = 24 }: { cols?: number; rows?: number } = {}): Shell {
    const ws = openSocket(`${at(id)}/shell?cols=${cols}&rows=${rows}`);
    const outbox: string[] = [];
    const queue: ShellFrame[] = [];
    let closed: { code: number; reason: string } | undefined;
    let wake: (() => void) | undefined;
    const post = (frame: object) => {
      const text = JSON.stringify(frame);
      if (ws.readyState === WebSocket.OPEN) ws.send(text);
      else outbox.push(text);
    };
    ws.on('open', () => outbox.splice(0).forEach((text) => ws.send(text)));
    ws.on('message', (data) => {
      queue.push(JSON.parse(data.toString()) as ShellFrame);
      wake?.();
    });
    ws.on('close', (code, reason) => {
      closed = { code, reason: reason.toString() };
      wake?.();
    });
    ws.on('error', () => undefined); // a close follows
    async function* frames(): AsyncGenerator<ShellFrame> {
      for (;;) {
        while (queue.length > 0) yield queue.shift()!;
        if (closed) {
          if (closed.code !== 1000) throw new Error(`the terminal closed with ${closed.code} ${closed.reason}`.trim());
          return;
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    }
    return {
      [Symbol.asyncIterator]: frames,
      write: (data) => post({ type: 'stdin', data }),
      resize: (newCols, newRows) => post({ type: 'resize', cols: newCols, rows: newRows }),
      close: () => ws.close(),
    };
  }

  return {
    createSession,
    getSession,
    listSessions,
    deleteSession,
    keepalive,
    exec,
    execStream,
    writeFile,
    readFile,
    listFiles,
    removeFile,
    snapshotSession,
    listSnapshots,
    getSnapshot,
    deleteSnapshot,
    shell,
  };
}
