// The BullMQ job contract shared by the API and the worker: one job per run, job id = run
// id, data = { runId, requestId? }. The record lives in the store, so finished jobs are not kept.
import { Queue, type ConnectionOptions } from 'bullmq';
import { BULLMQ_PREFIX, runJobOptions } from './job-options.js';

export interface RunJobData {
  runId: string;
  /** The id of the API request that submitted the run (x-request-id), for the worker's log lines. */
  requestId?: string;
}

export const runQueueName = (prefix: string) => `${prefix}-runs`;

export interface RunQueueOptions {
  connection: ConnectionOptions;
  prefix: string;
  attempts: number;
  backoffMs: number;
}

export function createRunQueue(options: RunQueueOptions) {
  const queue = new Queue<RunJobData>(runQueueName(options.prefix), { connection: options.connection, prefix: BULLMQ_PREFIX });

  async function enqueue(runId: string, requestId?: string): Promise<void> {
    await queue.add('run', requestId ? { runId, requestId } : { runId }, runJobOptions(runId, options.attempts, options.backoffMs));
  }

  /** Drops a queued job (a cancelled run); a job already taken by a worker stays. */
  async function remove(runId: string): Promise<void> {
    await queue.remove(runId).catch(() => undefined);
  }

  /** Jobs per state, for metrics and backpressure. */
  async function counts(): Promise<Record<string, number>> {
    return queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
  }

  /** Workers connected to the queue (BullMQ lists its workers' Redis connections). */
  async function workerCount(): Promise<number> {
    return queue.getWorkersCount();
  }

  return { enqueue, remove, counts, workerCount, close: () => queue.close() };
}

export type RunQueue = ReturnType<typeof createRunQueue>;
