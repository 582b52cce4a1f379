// Custom runtime builds as BullMQ jobs: the API queues one when a runtime is defined, one
// worker builds and checks it (job id = name and definition hash, so a definition is queued
// once). A build is tried once: a failed build is the definition's, and is recorded as such;
// a worker that dies mid-build hands its job to another (BullMQ's stalled jobs).
import { Queue, type ConnectionOptions } from 'bullmq';
import { BULLMQ_PREFIX, runJobOptions } from './job-options.js';

export interface RuntimeBuildJobData {
  name: string;
  hash: string;
}

export const runtimeBuildQueueName = (prefix: string) => `${prefix}-runtime-builds`;

export function createRuntimeBuildQueue(options: { connection: ConnectionOptions; prefix: string }) {
  const queue = new Queue<RuntimeBuildJobData>(runtimeBuildQueueName(options.prefix), {
    connection: options.connection,
    prefix: BULLMQ_PREFIX,
  });
  const jobId = (name: string, hash: string) => `${name}-${hash}`;
  return {
    async enqueue(name: string, hash: string): Promise<void> {
      await queue.add('build', { name, hash }, runJobOptions(jobId(name, hash), 1, 0));
    },
    /** Takes a build that has not started off the queue (its runtime was deleted); one under way ends on its own. */
    async remove(name: string, hash: string): Promise<void> {
      await queue.remove(jobId(name, hash)).catch(() => undefined);
    },
    close: () => queue.close(),
  };
}
export type RuntimeBuildQueue = ReturnType<typeof createRuntimeBuildQueue>;
