// One run followed over its WebSocket (GET /runs/{id}/stream): every frame from the start,
// then live ones, until the end frame with the record. Cancel goes through DELETE /runs/{id};
// an interactive run's input through stdin and eof frames.
import { describeError, type Api } from './api.js';
import type { OutputView, RunRecord } from './output.js';

export interface RunWatch {
  readonly id: string;
  cancel(): Promise<void>;
  sendLine(text: string): void;
  sendEof(): void;
  /** Resolves with the record when the run has ended (undefined if the stream closed first). */
  ended: Promise<RunRecord | undefined>;
}

type ServerFrame =
  | { type: 'status'; status: string }
  | { type: 'stdout' | 'stderr'; seq: number; data: string; phase?: string; test?: number }
  | { type: 'end'; run: RunRecord };

export function watchRun(api: Api, id: string, view: OutputView, onStatus: (status: string) => void): RunWatch {
  const socket = new WebSocket(api.socketUrl(`/runs/${encodeURIComponent(id)}/stream`));
  let record: RunRecord | undefined;
  /** The test whose output came last: a judged run's output is marked where each test's begins. */
  let lastTest: number | undefined;
  const ended = new Promise<RunRecord | undefined>((resolve) => {
    socket.addEventListener('message', (event) => {
      const frame = JSON.parse(String(event.data)) as ServerFrame;
      if (frame.type === 'status') {
        view.status(frame.status);
        onStatus(frame.status);
      } else if (frame.type === 'end') {
        record = frame.run;
        view.status(`${frame.run.status}${frame.run.verdict ? `: ${frame.run.verdict}` : ''}`);
        view.showRecord(frame.run);
      } else {
        if (frame.phase === 'test' && frame.test !== lastTest) {
          lastTest = frame.test;
          view.note(`[test ${(frame.test ?? 0) + 1}]`);
        }
        view.output(frame.type, frame.data, frame.phase);
      }
    });
    socket.addEventListener('close', (event) => {
      if (!record) {
        const why = { 4404: 'no such run (or not one of this key)', 1001: 'the server is restarting' }[event.code] ?? `code ${event.code}`;
        view.note(`the stream closed before the run ended: ${why}`);
      }
      resolve(record);
    });
  });
  const sendFrame = (frame: object) => {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  };
  return {
    id,
    ended,
    async cancel() {
      const reply = await api.delete(`/runs/${encodeURIComponent(id)}`);
      if (!reply.ok && reply.status !== 409) view.note(`cancel refused: ${describeError(reply)}`);
    },
    sendLine(text) {
      view.typed(`${text}\n`);
      sendFrame({ type: 'stdin', data: `${text}\n` });
    },
    sendEof() {
      view.note('[end of input]');
      sendFrame({ type: 'eof' });
    },
  };
}
