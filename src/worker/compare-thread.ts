// The body of an output comparer's worker thread (output-comparer.ts): compares what it is
// sent with outputMatches and answers each message with its id and the result.
import { parentPort } from 'node:worker_threads';
import { outputMatches } from '../domain/compare.js';
import type { CompareReply, CompareTask } from './output-comparer.js';

parentPort!.on('message', (task: CompareTask) => {
  let reply: CompareReply;
  try {
    reply = { id: task.id, matches: outputMatches(task.actual, task.expected, task.mode, task.tolerance) };
  } catch (error) {
    reply = { id: task.id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort!.postMessage(reply);
});
