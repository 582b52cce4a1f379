// The Judge0 facade: every route under /judge0, where keys also come as Judge0 clients send
// them (X-Auth-Token, or X-Auth-User for the admin routes).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RouteDependencies } from '../run-commands.js';
import { judge0InfoRoutes } from './info-routes.js';
import { judge0SubmissionRoutes } from './submission-routes.js';

export const JUDGE0_KEY_HEADERS = ['x-auth-token', 'x-auth-user'] as const;

export const judge0Routes: FastifyPluginAsyncTypebox<RouteDependencies> = async (app, deps) => {
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, keyHeaders: JUDGE0_KEY_HEADERS };
  });
  await app.register(judge0SubmissionRoutes, deps);
  await app.register(judge0InfoRoutes, deps);
};
