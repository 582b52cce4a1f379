// GET /metrics: the process's metrics in the Prometheus text format (prom-client).
import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../../lib/metrics.js';

export interface MetricsRouteOptions {
  metrics: Pick<Metrics, 'render' | 'contentType'>;
}

export const metricsRoutes: FastifyPluginAsync<MetricsRouteOptions> = async (app, { metrics }) => {
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
    async (_request, reply) => reply.type(metrics.contentType).send(await metrics.render()),
  );
};
