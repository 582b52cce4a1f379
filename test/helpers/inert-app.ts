// The app built on stand-in dependencies, for what needs routes but no services:
// generating openapi.yaml (scripts/write-openapi.ts) and checking it (test/unit/api).
// No Redis, no Docker: every service method throws, so a route that reaches one during
// generation fails loudly instead of waiting for a connection that is not there.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import type { AppDependencies } from '../../src/api/deps.js';
import { buildApp, type App, type BuildAppOptions } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { runtimeCatalogue } from '../../src/domain/runtimes.js';
import { createMetrics } from '../../src/lib/metrics.js';

/** An object whose every property is a function that throws, naming what was called. */
function inert<T>(name: string): T {
  return new Proxy(
    {},
    {
      get(_target, property) {
        if (property === 'then') return undefined; // not a thenable: `await` leaves it alone
        return () => {
          throw new Error(`inert dependency: ${name}.${String(property)} was called`);
        };
      },
    },
  ) as T;
}

/** App dependencies whose services throw when used; tests override the ones they exercise. */
export function inertDependencies(overrides: Partial<AppDependencies> = {}): AppDependencies {
  const config = loadConfig({ RATE_LIMIT_PER_MINUTE: '0' });
  return {
    config,
    log: pino({ level: 'silent' }),
    store: inert('store'),
    artifacts: inert('artifacts'),
    problems: inert('problems'),
    queue: inert('queue'),
    webhooks: inert('webhooks'),
    metrics: createMetrics(),
    input: inert('input'),
    events: inert('events'),
    runtimeVersions: inert('runtimeVersions'),
    judge0: inert('judge0'),
    authFailures: inert('authFailures'),
    rateLimitRedis: inert('rateLimitRedis'),
    ends: inert('ends'),
    catalogue: runtimeCatalogue,
    // No worker has reported anything: every built-in runtime's status is unknown, and takes runs.
    runtimes: { ...inert<AppDependencies['runtimes']>('runtimes'), snapshot: async () => ({ versions: {}, states: {}, customs: [] }) },
    runtimeBuilds: inert('runtimeBuilds'),
    readiness: { redis: async () => inert<{ ping(): unknown }>('redis').ping() },
    sessions: inert('sessions'),
    ...overrides,
  };
}

export interface RegisteredRoute {
  method: string;
  /** Fastify's form, e.g. /runs/:id */
  url: string;
}

/**
 * buildApp on inert dependencies, ready, with every route it registered. Routes are seen
 * through an onRoute hook added the moment Fastify creates the instance (its
 * `fastify.initialization` diagnostics channel), since buildApp registers them all inside.
 */
export async function buildInertApp(
  overrides: Partial<AppDependencies> = {},
  options: BuildAppOptions = {},
): Promise<{ app: App; routes: RegisteredRoute[] }> {
  const routes: RegisteredRoute[] = [];
  const onInit = (message: unknown) => {
    const { fastify } = message as { fastify: FastifyInstance };
    fastify.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) routes.push({ method, url: route.url });
    });
  };
  subscribe('fastify.initialization', onInit);
  let app: App;
  try {
    app = await buildApp(inertDependencies(overrides), options);
  } finally {
    unsubscribe('fastify.initialization', onInit);
  }
  await app.ready();
  return { app, routes };
}
