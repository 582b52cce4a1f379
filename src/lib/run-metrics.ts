// The run metrics both the API and the worker record, named in one place.
import { createMetrics, type Metrics } from './metrics.js';

export function createRunMetrics(metrics: Metrics = createMetrics()) {
  return {
    registry: metrics,
    submitted: metrics.counter('runbox_runs_submitted_total', 'Runs accepted by POST /runs, by language'),
    finished: metrics.counter('runbox_runs_finished_total', 'Runs a worker finished, by status and verdict'),
    runSeconds: metrics.counter('runbox_run_seconds_total', 'Wall time of finished programs, seconds'),
    sandboxFailures: metrics.counter('runbox_sandbox_failures_total', 'Sandboxes that could not be created, started or read'),
    poolHits: metrics.counter('runbox_pool_hits_total', 'Runs that found a warm sandbox waiting'),
    poolMisses: metrics.counter('runbox_pool_misses_total', 'Runs that started a sandbox cold (pool empty, off, or not for its profile)'),
    poolSize: metrics.gauge('runbox_pool_sandboxes', 'Warm sandboxes waiting, by profile (read at scrape time)'),
    queueJobs: metrics.gauge('runbox_queue_jobs', 'Jobs in the run queue, by state (read at scrape time)'),
    problemFetches: metrics.counter('runbox_problem_fetches_total', 'Problem bundles a worker fetched from Redis into its cache'),
    problemCacheHits: metrics.counter(
      'runbox_problem_cache_hits_total',
      "Judged runs that found their problem's bundle in the worker's cache",
    ),
  };
}

export type RunMetrics = ReturnType<typeof createRunMetrics>;
