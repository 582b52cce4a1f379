// What the API does to runs, shared by its routes (POST /runs, the batch, DELETE, the
// stream's cancel frame): submit = validate, write the record, enqueue; cancel.
import { randomUUID } from 'node:crypto';
import type { RunRecord } from '../domain/run-record.js';
import type { CancelOutcome } from '../store/run-store.js';
import type { AppDependencies } from './deps.js';
import { prepareSubmission } from './run-submission.js';
import type { RunRequestBody } from './schemas.js';

export function createRunCommands(deps: AppDependencies) {
  const newId = deps.newId ?? randomUUID;

  /** Throws ApiError for bad input, before anything is written. */
  async function submit(body: RunRequestBody): Promise<RunRecord> {
    const { record, request } = prepareSubmission(body, deps.config, deps.catalogue, newId(), new Date());
    await deps.store.create(record, request);
    await deps.queue.enqueue(record.id);
    deps.metrics.submitted.inc({ language: record.language });
    deps.log.info({ runId: record.id, language: record.language }, 'run queued');
    return record;
  }

  /** A queued run ends here and leaves the queue; a running one is told to stop. */
  async function cancel(id: string): Promise<CancelOutcome> {
    const outcome = await deps.store.cancel(id, new Date().toISOString());
    if (outcome === 'cancelled') await deps.queue.remove(id);
    if (outcome === 'cancelled' || outcome === 'cancelling') deps.log.info({ runId: id, outcome }, 'run cancel requested');
    return outcome;
  }

  return { submit, cancel };
}

export type RunCommands = ReturnType<typeof createRunCommands>;
