// GET /healthz (the process answers) and GET /readyz (its backing services answer).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { retryAfterOf } from '../errors.js';
import { HealthSchema } from '../schemas.js';

export interface HealthOptions {
  readiness: Record<string, () => Promise<unknown>>;
}

const CHECK_TIMEOUT_MS = 2000;

export const healthRoutes: FastifyPluginAsyncTypebox<HealthOptions> = async (app, { readiness }) => {
  // Health is never rate limited or authenticated: supervisors must always reach it.
  app.get(
    '/healthz',
    { config: { rateLimit: false }, schema: { summary: 'The process is alive', tags: ['health'], response: { 200: HealthSchema } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      config: { rateLimit: false },
      schema: {
        summary: 'Redis (and, where a worker runs, Docker) answer',
        tags: ['health'],
        response: { 200: HealthSchema, 503: HealthSchema },
      },
    },
    async (_request, reply) => {
      const checks: Record<string, string> = {};
      await Promise.all(
        Object.entries(readiness).map(async ([name, check]) => {
          try {
            await Promise.race([
              check(),
              new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS).unref()),
            ]);
            checks[name] = 'ok';
          } catch (error) {
            checks[name] = `unavailable: ${(error as Error).message}`;
          }
        }),
      );
      const ready = Object.values(checks).every((c) => c === 'ok');
      if (!ready) reply.header('retry-after', String(retryAfterOf('unavailable')));
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', checks });
    },
  );
};
