// Webhook deliveries as BullMQ jobs (job id = run id), so a delivery is retried with
// backoff and survives a worker restart. The record is read at delivery time.
import { Queue, type ConnectionOptions } from 'bullmq';
import { BULLMQ_PREFIX, runJobOptions } from './job-options.js';

export interface WebhookJobData {
  runId: string;
}

export const webhookQueueName = (prefix: string) => `${prefix}-webhooks`;

export interface WebhookQueueOptions {
  connection: ConnectionOptions;
  prefix: string;
  attempts: number;
  backoffMs: number;
}

export function createWebhookQueue(options: WebhookQueueOptions) {
  const queue = new Queue<WebhookJobData>(webhookQueueName(options.prefix), { connection: options.connection, prefix: BULLMQ_PREFIX });
  return {
    async enqueue(runId: string): Promise<void> {
      await queue.add('webhook', { runId }, runJobOptions(runId, options.attempts, options.backoffMs));
    },
    close: () => queue.close(),
  };
}

export type WebhookQueue = ReturnType<typeof createWebhookQueue>;
