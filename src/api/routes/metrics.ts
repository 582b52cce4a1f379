// GET /metrics: the process's counters in the Prometheus text format.
import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../../lib/metrics.js';

export interface MetricsRouteOptions {
  metrics: Metrics;
  /** Refreshes gauges read at scrape time (queue depth). */
  beforeScrape?: () => Promise<void>;
}

export const metricsRoutes: FastifyPluginAsync<MetricsRouteOptions> = async (app, { metrics, beforeScrape }) => {
  app.get(
    '/metrics',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Prometheus metrics',
        tags: ['health'],
        response: { 200: { type: 'string', description: 'Prometheus text format 0.0.4' } },
      },
    },
    async (_request, reply) => {
      await beforeScrape?.().catch(() => undefined);
      return reply.type('text/plain; version=0.0.4').send(metrics.render());
    },
  );
};
