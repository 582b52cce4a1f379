// What a client of runbox does, with every wait bounded: HTTP requests with a timeout (a
// hang is a result, not a stuck test), polling a run to its end, and a WebSocket reader
// that resumes with ?from=N after a disconnect, as a client of a restarting API would.
import WebSocket from 'ws';
import { sleep } from './processes.js';

export interface Reply<T = any> {
  status: number;
  body: T;
  ms: number;
}

/** Resolves with the reply, or status 0 and body `{ error }` when it failed or took longer than `timeoutMs`. */
export async function call<T = any>(base: string, method: string, path: string, body?: unknown, timeoutMs = 5_000): Promise<Reply<T>> {
  const started = performance.now();
  try {
    const response = await fetch(base + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let parsed: any = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: response.status, body: parsed, ms: performance.now() - started };
  } catch (error) {
    const err = error as Error;
    return {
      status: 0,
      body: { error: err.name === 'TimeoutError' ? 'timeout' : ((err.cause as Error)?.message ?? err.message) } as T,
      ms: performance.now() - started,
    };
  }
}

export const terminal = new Set(['completed', 'failed', 'cancelled']);

/** Polls until `check` returns a value (not undefined); throws after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(intervalMs);
  }
}

/** GET /runs/{id} until its status is one of `statuses` (default: any terminal one). */
export async function waitForStatus(base: string, id: string, timeoutMs: number, statuses: Set<string> = terminal): Promise<any> {
  return waitFor(`run ${id} to be ${[...statuses].join('|')}`, timeoutMs, async () => {
    const reply = await call(base, 'GET', `/runs/${id}`, undefined, 3_000);
    return reply.status === 200 && statuses.has(reply.body.status) ? reply.body : undefined;
  });
}

export interface StreamRead {
  frames: any[];
  closeCode: number;
}

/** Reads one connection of a run's stream until it closes (or fails to open). */
export function readStreamOnce(
  wsBase: string,
  id: string,
  from: number | undefined,
  onFrame?: (frame: any) => void,
  timeoutMs = 120_000,
): Promise<StreamRead> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${wsBase}/runs/${id}/stream${from === undefined ? '' : `?from=${from}`}`);
    const frames: any[] = [];
    const timer = setTimeout(() => ws.terminate(), timeoutMs);
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      frames.push(frame);
      onFrame?.(frame);
    });
    ws.on('close', (code) => {
      clearTimeout(timer);
      resolve({ frames, closeCode: code });
    });
    ws.on('error', () => undefined); // 'close' follows with 1006
  });
}

export interface FollowResult {
  /** Every frame received, over every connection, in order. */
  frames: any[];
  /** Close code of each connection; the last is 1000 when the end frame came. */
  closeCodes: number[];
  /** The `from` each reconnection asked for. */
  resumedFrom: number[];
}

/**
 * Follows a run's stream to its end frame like a well-behaved client: after a close that
 * is not 1000 it reconnects with ?from=N (N = the last seq it saw), retrying while the
 * API is away, until `timeoutMs`.
 */
export async function followStream(
  wsBase: () => string,
  id: string,
  timeoutMs: number,
  onFrame?: (frame: any) => void,
): Promise<FollowResult> {
  const deadline = Date.now() + timeoutMs;
  const result: FollowResult = { frames: [], closeCodes: [], resumedFrom: [] };
  let lastSeq = 0;
  let first = true;
  while (Date.now() < deadline) {
    if (!first) result.resumedFrom.push(lastSeq);
    const read = await readStreamOnce(
      wsBase(),
      id,
      first ? undefined : lastSeq,
      (frame) => {
        if (typeof frame.seq === 'number') lastSeq = frame.seq;
        onFrame?.(frame);
      },
      Math.max(1, deadline - Date.now()),
    );
    first = false;
    result.frames.push(...read.frames);
    result.closeCodes.push(read.closeCode);
    if (read.frames.some((f) => f.type === 'end')) return result;
    if (read.closeCode === 4404) return result;
    await sleep(100);
  }
  return result;
}

/** Percentile (nearest rank) of a list of numbers. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
