// HTTP and WebSocket helpers for integration tests: raw answers (status, headers, body) and raw
// frames with close codes, for tests that assert on them; runToEnd goes through the runbox client,
// and runFigures says how a run ended, for assertion messages.
import WebSocket from 'ws';
import { createRunboxClient, type RunRequest } from '../../src/client/runbox-client.js';

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export async function request<T = any>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply<T>> {
  const response = await fetch(base + path, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body:
      body === undefined
        ? undefined
        : typeof body === 'string'
          ? body
          : Buffer.isBuffer(body)
            ? new Uint8Array(body)
            : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/**
 * How long runToEnd follows a run the server's ?wait=true gave back unended (WAIT_MAX_MS, a
 * minute by default, passes on a slow host while runs queue behind the worker's slots, under
 * gVisor most of all), before it fails the test.
 */
const FOLLOW_MAX_MS = 240_000;

/** POST /runs?wait=true through the runbox client and return the final record (fails the test when it has not ended). */
export async function runToEnd(base: string, run: Record<string, unknown>): Promise<any> {
  const client = createRunboxClient({ url: base });
  const record = await client.submit(run as RunRequest, { wait: true });
  if (record.status !== 'queued' && record.status !== 'running') return record;
  return client.wait(record.id, AbortSignal.timeout(FOLLOW_MAX_MS)).catch((error: Error) => {
    throw new Error(`run did not end (${error.message}): ${JSON.stringify(record)}`);
  });
}

/** How a run or one of its tests ended, for an assertion's message: the figures that tell a stalled program from one stopped early. */
export const runFigures = (record: Record<'verdict' | 'timeMs' | 'cpuTimeMs' | 'exitCode' | 'signal', unknown>) =>
  `${record.verdict}: wall ${record.timeMs} ms, cpu ${record.cpuTimeMs} ms, exit ${record.exitCode}, signal ${record.signal}`;

export interface StreamResult {
  frames: any[];
  closeCode: number;
  /** ms since the socket opened, per frame. */
  times: number[];
}

/** Opens a run's stream; `onOpen` may send client frames. Resolves on close. */
export function readStream(
  wsBase: string,
  path: string,
  onOpen?: (ws: WebSocket) => void,
  onFrame?: (frame: any, ws: WebSocket) => void,
): Promise<StreamResult> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsBase + path);
    const frames: any[] = [];
    const times: number[] = [];
    const opened = Date.now();
    ws.on('open', () => onOpen?.(ws));
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      frames.push(frame);
      times.push(Date.now() - opened);
      onFrame?.(frame, ws);
    });
    ws.on('close', (code) => resolve({ frames, closeCode: code, times }));
    ws.on('error', reject);
  });
}
