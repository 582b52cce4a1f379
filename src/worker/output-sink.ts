// Publishes a program's output as frames that each decode on their own (UTF-8 boundaries
// kept per stream), tagged with their phase and, in judge mode, their test.
import { createUtf8Chunker } from '../lib/utf8-chunks.js';
import type { OutputStream } from '../sandbox/execution-result.js';
import type { EventPublisher, OutputPhase } from '../store/event-stream.js';

export function createOutputSink(events: EventPublisher, phase: OutputPhase, test?: number) {
  const chunkers = { stdout: createUtf8Chunker(), stderr: createUtf8Chunker() };
  return {
    onOutput: (stream: OutputStream, data: Buffer) => events.output(stream, chunkers[stream].push(data), phase, test),
    flush: () => {
      for (const stream of ['stdout', 'stderr'] as const) events.output(stream, chunkers[stream].flush(), phase, test);
    },
  };
}
export type OutputSink = ReturnType<typeof createOutputSink>;

export const decodeOutput = (bytes: Buffer) => new TextDecoder('utf-8', { fatal: false }).decode(bytes);
