// Options shared by runbox's BullMQ jobs: one job per run (job id = run id, so a run is
// never queued twice), retried with exponential backoff, and not kept once finished (the
// record lives in the store).
import type { JobsOptions } from 'bullmq';

/** BullMQ's own key prefix for every queue of runbox (queue names carry REDIS_KEY_PREFIX). */
export const BULLMQ_PREFIX = 'bull';

export function runJobOptions(runId: string, attempts: number, backoffMs: number): JobsOptions {
  return {
    jobId: runId,
    attempts,
    backoff: { type: 'exponential', delay: backoffMs },
    removeOnComplete: true,
    removeOnFail: true,
  };
}
