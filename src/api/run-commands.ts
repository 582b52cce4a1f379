// What the API does to runs, shared by its routes (POST /runs, the batch, DELETE, the
// stream's cancel frame, the reads): submit = validate, admit and write, enqueue (or undo); cancel;
// find a run the caller may see. A run of another key is reported as missing.
import { randomUUID } from 'node:crypto';
import type { RunRecord } from '../domain/run-record.js';
import type { CommandTemplates } from '../domain/run-spec.js';
import type { Admission, CancelOutcome } from '../store/run-store.js';
import { canSee, type Principal } from './auth.js';
import type { AppDependencies } from './deps.js';
import { ApiError } from './errors.js';
import { checkTakesRuns, loadRuntimeViews } from './runtime-catalogue.js';
import { prepareSubmission } from './run-submission.js';
import type { RunRequestBody } from './schemas.js';

/** Why the store did not admit a run, as the client is told. */
function refusal(admission: Exclude<Admission, { admitted: true }>, config: AppDependencies['config']): ApiError {
  const MiB = 1024 * 1024;
  switch (admission.refusal) {
    case 'in_flight':
      return new ApiError(
        'too_many_in_flight',
        `this key already has ${config.keyMaxInFlight} runs queued or running; retry when one has ended`,
      );
    case 'key_output_budget':
      return new ApiError(
        'output_budget_exceeded',
        `the runs of this key keep ${Math.round(config.keyOutputBudgetBytes / MiB)} MiB of output (KEY_OUTPUT_BUDGET_BYTES); retry once some have expired`,
        admission.retryAfterMs / 1000,
      );
    case 'output_budget':
      return new ApiError(
        'storage_full',
        'runs keep as much output as this server stores (OUTPUT_BUDGET_BYTES); retry once some have expired',
        admission.retryAfterMs / 1000,
      );
  }
}

export interface SubmitOptions {
  id?: string;
  now?: Date;
  commands?: CommandTemplates;
  /** The submitting request's id (x-request-id), carried into the worker's log lines. */
  requestId?: string;
}

export function createRunCommands(deps: AppDependencies) {
  const newId = deps.newId ?? randomUUID;
  const { config } = deps;

  async function checkQueueRoom(): Promise<void> {
    if (config.queueMaxWaiting === 0) return;
    const counts = await deps.queue.counts();
    const waiting = (counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0);
    if (waiting >= config.queueMaxWaiting) throw new ApiError('queue_full', `${waiting} runs are waiting; retry later`);
  }

  /**
   * Throws ApiError for bad input, a runtime not ready or no room, before anything is written.
   * `options.id` is the run's id where the caller needs it first; `options.commands` replace
   * the runtime's (the compatibility facades: compiler options, wrappers, multi-file programs).
   * `options.requestId` goes with the job, so the worker's log lines for the run carry the
   * submitting request's id.
   */
  async function submit(body: RunRequestBody, principal: Principal, options: SubmitOptions = {}): Promise<RunRecord> {
    const problem = body.problem === undefined ? undefined : await deps.problems.get(body.problem);
    if (body.problem !== undefined && !problem) throw new ApiError('not_found', `no problem ${body.problem}`);
    const views = await loadRuntimeViews(deps);
    const prepared = prepareSubmission(
      body,
      config,
      views.map((v) => v.runtime),
      options.id ?? newId(),
      options.now ?? new Date(),
      problem,
    );
    const { record } = prepared;
    checkTakesRuns(views.find((v) => v.runtime.language === record.language));
    const request = options.commands ? { ...prepared.request, commands: options.commands } : prepared.request;
    await checkQueueRoom();
    const admission = await deps.store.create(record, request, principal.name, config.keyMaxInFlight);
    if (!admission.admitted) throw refusal(admission, config);
    try {
      await deps.queue.enqueue(record.id, options.requestId);
    } catch (error) {
      // No job, no run: a record left queued would never start and would hold its key's place.
      await deps.store
        .discard(record.id)
        .catch((cause) => deps.log.error({ err: cause, runId: record.id }, 'could not remove a run that was not queued'));
      throw error;
    }
    deps.metrics.submitted(record.language);
    deps.log.info({ runId: record.id, language: record.language, key: principal.name }, 'run queued');
    return record;
  }

  /** The record, if the caller may see it. */
  async function find(id: string, principal: Principal): Promise<RunRecord | undefined> {
    const owned = await deps.store.getOwned(id);
    return owned && canSee(principal, owned.owner) ? owned.record : undefined;
  }

  /**
   * The records of several runs, each id once (where it first appears), in that order; a
   * run the caller may not see is undefined. Records come whole while their output fits in
   * what is left of LIST_OUTPUT_BUDGET_BYTES; from the first that does not, without it
   * (outputOmitted). One record is read at a time, and its output only when it fits, so a
   * list holds at most its budget and one record's other fields at once.
   */
  async function list(ids: string[], principal: Principal): Promise<(RunRecord | undefined)[]> {
    const summaryOf = async (id: string) => {
      const summary = await deps.store.getOwnedSummary(id);
      return summary && canSee(principal, summary.owner) ? summary.record : undefined;
    };
    const records: (RunRecord | undefined)[] = [];
    let left = config.listOutputBudgetBytes;
    let spent = false;
    for (const id of new Set(ids)) {
      if (spent) {
        records.push(await summaryOf(id));
        continue;
      }
      const whole = await deps.store.getOwnedIfOutputFits(id, left);
      if (whole && 'record' in whole) {
        const visible = canSee(principal, whole.owner);
        if (visible) left -= whole.outputBytes;
        records.push(visible ? whole.record : undefined);
      } else if (whole) {
        // Its output does not fit in what is left: from this run on, records come without it.
        const summary = await summaryOf(id);
        spent = summary !== undefined;
        records.push(summary);
      } else {
        records.push(undefined);
      }
    }
    return records;
  }

  /** A queued run ends here and leaves the queue; a running one is told to stop. */
  async function cancel(id: string, principal: Principal): Promise<CancelOutcome> {
    const record = await find(id, principal);
    if (!record) return 'missing';
    const now = new Date().toISOString();
    const outcome = await deps.store.cancel(id, now);
    if (outcome === 'cancelled') {
      // Ended here, never reaching a worker: counted here.
      deps.metrics.runEnded({ language: record.language, status: 'cancelled', createdAt: record.createdAt, finishedAt: now });
      await deps.queue.remove(id);
      if (record.webhook) await deps.webhooks.enqueue(id); // the run ended here, not on a worker
    }
    if (outcome === 'cancelled' || outcome === 'cancelling') deps.log.info({ runId: id, outcome }, 'run cancel requested');
    return outcome;
  }

  /** Deletes a run that has ended (record, stream, request); one still queued or running is left alone. */
  async function remove(id: string, principal: Principal): Promise<'missing' | 'active' | 'deleted'> {
    const record = await find(id, principal);
    if (!record) return 'missing';
    if (record.status === 'queued' || record.status === 'running') return 'active';
    await deps.store.discard(id);
    deps.log.info({ runId: id }, 'run deleted');
    return 'deleted';
  }

  return { submit, find, list, cancel, remove };
}

export type RunCommands = ReturnType<typeof createRunCommands>;

/** What the run routes get: the app's dependencies and the one set of run commands built from them. */
export interface RouteDependencies extends AppDependencies {
  commands: RunCommands;
}
