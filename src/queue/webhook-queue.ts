// Webhook deliveries as BullMQ jobs (job id = run id), so a delivery is retried with
// backoff and survives a worker restart. The record is read at delivery time.
import { Queue, type ConnectionOptions } from 'bullmq';

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
  const queue = new Queue<WebhookJobData>(webhookQueueName(options.prefix), { connection: options.connection, prefix: 'bull' });
  return {
    async enqueue(runId: string): Promise<void> {
      await queue.add('webhook', { runId }, {
        jobId: runId,
        attempts: options.attempts,
        backoff: { type: 'exponential', delay: options.backoffMs },
        removeOnComplete: true,
        removeOnFail: true,
      });
    },
    close: () => queue.close(),
  };
}

export type WebhookQueue = ReturnType<typeof createWebhookQueue>;
