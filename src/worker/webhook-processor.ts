// Delivers one webhook job: the run's final record, signed. A refusal that cannot pass (a
// private address, a 4xx) is not retried; BullMQ retries the rest with backoff.
import { UnrecoverableError } from 'bullmq';
import type { Logger } from 'pino';
import type { RunStore } from '../store/run-store.js';
import { deliverWebhook, WebhookError, type WebhookOptions } from './webhook-delivery.js';

export function createWebhookProcessor(store: RunStore, options: WebhookOptions, log: Logger) {
  return async function process(runId: string, attempt: number): Promise<void> {
    const record = await store.get(runId);
    if (!record?.webhook) return;
    if (!options.secret) throw new UnrecoverableError('WEBHOOK_SECRET is not set on this worker: webhooks are never sent unsigned');
    try {
      const status = await deliverWebhook(record.webhook, JSON.stringify(record), runId, options);
      log.info({ runId, status, attempt }, 'webhook delivered');
    } catch (error) {
      log.warn({ runId, attempt, err: error }, 'webhook delivery failed');
      if (error instanceof WebhookError && !error.retryable) throw new UnrecoverableError(error.message);
      throw error;
    }
  };
}
