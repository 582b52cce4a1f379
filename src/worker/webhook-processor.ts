// Delivers one webhook job, signed: the run's final record (POST), or for a Judge0
// submission's callback_url the submission as Judge0 sends it (PUT, base64, its default
// fields). A refusal that cannot pass (a private address, a 4xx) is not retried; BullMQ
// retries the rest with backoff.
import { UnrecoverableError } from 'bullmq';
import type { Logger } from 'pino';
import { defaultJudge0Fields, renderJudge0Submission } from '../domain/judge0/submission.js';
import type { Judge0Submissions } from '../store/judge0-submissions.js';
import type { RunStore } from '../store/run-store.js';
import { deliverWebhook, WebhookError, type WebhookOptions } from './webhook-delivery.js';

export function createWebhookProcessor(
  store: Pick<RunStore, 'get'>,
  options: WebhookOptions,
  log: Logger,
  judge0: Pick<Judge0Submissions, 'get'>,
) {
  return async function process(runId: string, attempt: number): Promise<void> {
    const record = await store.get(runId);
    if (!record?.webhook) return;
    if (!options.secret) throw new UnrecoverableError('WEBHOOK_SECRET is not set on this worker: webhooks are never sent unsigned');
    const meta = await judge0.get(runId);
    // A Judge0 submission's callback_url (the record holds it normalised: a bare host gains its /).
    const callback = Boolean(meta?.callback_url);
    const body = callback
      ? JSON.stringify(renderJudge0Submission(record, meta, { fields: defaultJudge0Fields, base64: true }))
      : JSON.stringify(record);
    try {
      const status = await deliverWebhook(record.webhook, body, runId, options, callback ? 'PUT' : 'POST');
      log.info({ runId, status, attempt }, 'webhook delivered');
    } catch (error) {
      log.warn({ runId, attempt, err: error }, 'webhook delivery failed');
      if (error instanceof WebhookError && !error.retryable) throw new UnrecoverableError(error.message);
      throw error;
    }
  };
}
