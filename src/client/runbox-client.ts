// A TypeScript client of runbox's HTTP and WebSocket API: submit, wait, stream (an async
// iterator of frames that reconnects with ?from=N), cancel, interactive stdin, judge, batch,
// runtimes; sessions, their execs, files, terminals and snapshots (session-api.ts). Typed from
// the API's schemas (./types.ts). Needs fetch (Node 18+) and the `ws` package for WebSockets.
//
// Extension point: every method is a call of `request()` (HTTP) or `openSocket()` (a
// WebSocket); a new API adds methods over those two, as the ones below and session-api.ts do.
import WebSocket from 'ws';
import { sessionApi } from './session-api.js';
import type { BatchItem, ErrorBody, ListItem, RunRecord, RunRequest, Runtime, StreamFrame } from './types.js';

export type { BatchItem, ListItem, RunRecord, RunRequest, Runtime, StreamFrame } from './types.js';
export type {
  CreateSessionRequest,
  ExecFrame,
  ExecRecord,
  ExecRequest,
  FileEntry,
  SessionRecord,
  ShellFrame,
  SnapshotRecord,
} from './types.js';
export type { Page, Shell } from './session-api.js';

export interface RunboxClientOptions {
  /** The server, e.g. http://127.0.0.1:8080. */
  url: string;
  /** An API key, sent as Authorization: Bearer. */
  key?: string;
  /** How often a dropped stream is resumed before the iterator gives up. */
  reconnects?: number;
}

/** An answer of the API that is not a success: its status and runbox's error body. */
export class RunboxError extends Error {
  override name = 'RunboxError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
  }
}

/** Close codes after which a stream is resumed: the API went away (1001), the connection dropped (1006), an API fault (1011). */
const RESUMABLE = new Set([1001, 1006, 1011]);

export interface StreamOptions {
  /** Resume after output frame N. */
  from?: number;
  encoding?: 'utf8' | 'base64';
  signal?: AbortSignal;
}

/** A run's stream: iterate its frames; on an interactive run, type into it. */
export interface RunStream extends AsyncIterable<StreamFrame> {
  /** Sends stdin to an interactive run (queued until the socket is open). */
  stdin(data: string): void;
  /** Closes the run's stdin. */
  eof(): void;
  /** Cancels the run; the stream then ends as usual. */
  cancel(): void;
  /** Stops reading (the run goes on). */
  close(): void;
}

export function createRunboxClient(options: RunboxClientOptions) {
  const base = options.url.replace(/\/+$/, '');
  const headers = (extra: Record<string, string> = {}) => ({
    ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
    ...extra,
  });

  /** The body of an answer, parsed as JSON where it is JSON. */
  function parseBody(text: string): unknown {
    try {
      return text ? JSON.parse(text) : undefined;
    } catch {
      return text; // not JSON
    }
  }

  /** The RunboxError of an answer of 400 or more. */
  function refusal(method: string, path: string, status: number, parsed: unknown): RunboxError {
    const error = parsed as Partial<ErrorBody> | undefined;
    return new RunboxError(status, error?.code ?? 'error', error?.message ?? `${method} ${path} answered ${status}`, parsed);
  }

  /** One HTTP call; a status of 400 or more throws RunboxError. */
  async function request<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T; headers: Headers }> {
    const response = await fetch(base + path, {
      method,
      headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const parsed = parseBody(await response.text());
    if (response.status >= 400) throw refusal(method, path, response.status, parsed);
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  /** One HTTP call whose bodies need not be JSON (a session's files); a status of 400 or more throws RunboxError. */
  async function fetchRaw(
    method: string,
    path: string,
    init: { body?: Uint8Array | string; contentType?: string } = {},
  ): Promise<Response> {
    const response = await fetch(base + path, {
      method,
      headers: headers(init.contentType ? { 'content-type': init.contentType } : {}),
      body: typeof init.body === 'string' || init.body === undefined ? init.body : new Uint8Array(init.body),
    });
    if (response.status >= 400) throw refusal(method, path, response.status, parseBody(await response.text()));
    return response;
  }

  /** A WebSocket to `path` with the client's key. */
  function openSocket(path: string): WebSocket {
    return new WebSocket(base.replace(/^http/, 'ws') + path, { headers: headers() });
  }

  /** POST /runs: the queued record, or with `wait` the final one (or the record as it stands after the server's WAIT_MAX_MS). */
  async function submit(run: RunRequest, { wait = false } = {}): Promise<RunRecord> {
    return (await request<RunRecord>('POST', `/runs${wait ? '?wait=true' : ''}`, run)).body;
  }

  async function get(id: string): Promise<RunRecord> {
    return (await request<RunRecord>('GET', `/runs/${encodeURIComponent(id)}`)).body;
  }

  /** DELETE /runs/{id}: the record once the kill is confirmed (409 conflict when it has ended). */
  async function cancel(id: string): Promise<RunRecord> {
    return (await request<RunRecord>('DELETE', `/runs/${encodeURIComponent(id)}`)).body;
  }

  function stream(id: string, { from = 0, encoding = 'utf8', signal }: StreamOptions = {}): RunStream {
    const outbox: string[] = [];
    let socket: WebSocket | undefined;
    let stopped = false;
    const post = (frame: object) => {
      const text = JSON.stringify(frame);
      if (socket?.readyState === WebSocket.OPEN) socket.send(text);
      else outbox.push(text);
    };

    async function* frames(): AsyncGenerator<StreamFrame> {
      let after = from;
      let reconnects = options.reconnects ?? 5;
      while (!stopped && !signal?.aborted) {
        const query = `?from=${after}${encoding === 'base64' ? '&encoding=base64' : ''}`;
        const ws = (socket = openSocket(`/runs/${encodeURIComponent(id)}/stream${query}`));
        const queue: StreamFrame[] = [];
        let closeCode: number | undefined;
        let closeReason = '';
        let wake: (() => void) | undefined;
        const notify = () => wake?.();
        ws.on('open', () => outbox.splice(0).forEach((text) => ws.send(text)));
        ws.on('message', (data) => {
          queue.push(JSON.parse(data.toString()) as StreamFrame);
          notify();
        });
        ws.on('close', (code, reason) => {
          closeCode = code;
          closeReason = reason.toString();
          notify();
        });
        ws.on('error', () => undefined); // a close follows
        const abort = () => ws.close();
        signal?.addEventListener('abort', abort, { once: true });
        try {
          for (;;) {
            while (queue.length > 0) {
              const frame = queue.shift()!;
              if (frame.type === 'stdout' || frame.type === 'stderr') after = frame.seq;
              yield frame;
              if (frame.type === 'end') return;
            }
            if (closeCode !== undefined) break;
            await new Promise<void>((resolve) => (wake = resolve));
          }
        } finally {
          signal?.removeEventListener('abort', abort);
          if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
        }
        if (stopped || signal?.aborted) return;
        if (!RESUMABLE.has(closeCode) || reconnects-- <= 0) {
          throw new RunboxError(
            closeCode === 4404 ? 404 : 0,
            `websocket_${closeCode}`,
            `the stream of run ${id} closed with ${closeCode} ${closeReason}`.trim(),
            undefined,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }

    return {
      [Symbol.asyncIterator]: frames,
      stdin: (data) => post({ type: 'stdin', data }),
      eof: () => post({ type: 'eof' }),
      cancel: () => post({ type: 'cancel' }),
      close: () => {
        stopped = true;
        socket?.close();
      },
    };
  }

  /** The final record of a run, read from its stream's end frame (however long it runs). */
  async function wait(id: string, signal?: AbortSignal): Promise<RunRecord> {
    for await (const frame of stream(id, { signal })) if (frame.type === 'end') return frame.run;
    throw new RunboxError(0, 'aborted', `stopped waiting for run ${id}`, undefined);
  }

  /** A run from submission to its final record. */
  async function run(body: RunRequest, signal?: AbortSignal): Promise<RunRecord> {
    const record = await submit(body);
    return wait(record.id, signal);
  }

  /** A judged run: `tests` (and `compare`, ...) in the body; the final record has each test's verdict. */
  async function judge(body: RunRequest & Required<Pick<RunRequest, 'tests'>>, signal?: AbortSignal): Promise<RunRecord> {
    return run(body, signal);
  }

  /** POST /runs/batch: one item per run, in order: {id, status} or {error}. */
  async function batch(runs: RunRequest[]): Promise<BatchItem[]> {
    return (await request<BatchItem[]>('POST', '/runs/batch', { runs })).body;
  }

  /** GET /runs?ids=: the records (or {id, error}) in order. */
  async function list(ids: string[]): Promise<ListItem[]> {
    return (await request<ListItem[]>('GET', `/runs?ids=${ids.map(encodeURIComponent).join(',')}`)).body;
  }

  async function runtimes(): Promise<Runtime[]> {
    return (await request<Runtime[]>('GET', '/runtimes')).body;
  }

  return {
    request,
    openSocket,
    submit,
    get,
    cancel,
    stream,
    wait,
    run,
    judge,
    batch,
    list,
    runtimes,
    ...sessionApi({ request, openSocket, fetchRaw }),
  };
}

export type RunboxClient = ReturnType<typeof createRunboxClient>;
