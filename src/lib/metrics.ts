// The process's Prometheus metrics (prom-client), one registry per process. The API and the
// workers register the same families under the same names, and each fills what it sees:
// runs submitted and cancelled while queued on the API, queue wait, sandbox starts and runs
// ended on workers; gauges are read from their sources at each scrape.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Where the gauges are read from at scrape time; each process gives the ones it has. */
export interface GaugeSources {
  /** Jobs of the run queue by state (waiting, active, delayed, prioritized). */
  queueJobs: () => Promise<Record<string, number>>;
  /** Warm sandboxes waiting, by profile. */
  poolSandboxes: () => Record<string, number>;
  /** Sandboxes this worker has on its engine: waiting in the pool, running a program, or being removed. */
  liveSandboxes: () => number;
  /** WebSocket clients connected to this API process. */
  websocketClients: () => number;
}

/** What a run's end is counted by. `createdAt`/`finishedAt` as in the record (ISO 8601). */
export interface RunEnd {
  language: string;
  status: string;
  verdict?: string | null;
  createdAt: string;
  finishedAt: string;
  timeMs?: number | null;
}

// Seconds. Queue wait and end-to-end latency reach minutes under load; a sandbox start is
// milliseconds warm and around a second cold; programs run up to the wall-time maximum.
const WAIT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const RUN_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const START_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const secondsBetween = (from: string, to: string) => Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);

export interface MetricsOptions {
  /** Node's process and event-loop metrics (process_*, nodejs_*); on by default. */
  defaults?: boolean;
}

export function createMetrics({ defaults = true }: MetricsOptions = {}) {
  const registry = new Registry();
  if (defaults) collectDefaultMetrics({ register: registry });
  const sources: Partial<GaugeSources> = {};
  const registers = [registry];

  /** A gauge by label, replaced whole at each scrape; a source that fails leaves it empty. */
  function labelledGauge<L extends string>(name: string, help: string, label: L, read: () => Promise<Record<string, number>> | undefined) {
    return new Gauge({
      name,
      help,
      labelNames: [label],
      registers,
      async collect() {
        this.reset();
        const values = await read()?.catch(() => undefined);
        for (const [value, count] of Object.entries(values ?? {})) this.set({ [label]: value } as Record<L, string>, count);
      },
    });
  }

  function plainGauge(name: string, help: string, read: () => number | undefined) {
    return new Gauge({
      name,
      help,
      registers,
      collect() {
        const value = read();
        if (value === undefined) this.reset();
        else this.set(value);
      },
    });
  }

  const submitted = new Counter({
    name: 'runbox_runs_submitted_total',
    help: 'Runs accepted by POST /runs and POST /runs/batch',
    labelNames: ['language'],
    registers,
  });
  const finished = new Counter({
    name: 'runbox_runs_finished_total',
    help: 'Runs ended, by language, status and verdict (none when null): on workers, and on the API for runs cancelled while queued',
    labelNames: ['language', 'status', 'verdict'],
    registers,
  });
  const sandboxFailures = new Counter({
    name: 'runbox_sandbox_failures_total',
    help: 'Runs that ended failed through a fault in the worker (tries that were retried are not counted)',
    registers,
  });
  const problemFetches = new Counter({
    name: 'runbox_problem_fetches_total',
    help: 'Problem bundles a worker fetched from Redis into its cache',
    registers,
  });
  const problemCacheHits = new Counter({
    name: 'runbox_problem_cache_hits_total',
    help: "Judged runs that found their problem's bundle in the worker's cache",
    registers,
  });
  const queueWait = new Histogram({
    name: 'runbox_queue_wait_seconds',
    help: 'From submission to a worker taking the run (queued -> running)',
    labelNames: ['language'],
    buckets: WAIT_BUCKETS,
    registers,
  });
  const runDuration = new Histogram({
    name: 'runbox_run_duration_seconds',
    help: "Wall time of a run's program (timeMs; a judged run's tests together)",
    labelNames: ['language'],
    buckets: RUN_BUCKETS,
    registers,
  });
  const sandboxStart = new Histogram({
    name: 'runbox_sandbox_start_seconds',
    help: 'Time to get a sandbox ready for commands: source warm (taken from the pool) or cold (started for it)',
    labelNames: ['source'],
    buckets: START_BUCKETS,
    registers,
  });
  const latency = new Histogram({
    name: 'runbox_run_latency_seconds',
    help: 'End to end, from submission to the final record, by language and status',
    labelNames: ['language', 'status'],
    buckets: WAIT_BUCKETS,
    registers,
  });
  labelledGauge('runbox_queue_jobs', 'Jobs in the run queue, by state (read from Redis at scrape time)', 'state', () =>
    sources.queueJobs?.(),
  );
  labelledGauge('runbox_pool_sandboxes', 'Warm sandboxes waiting, by profile (read at scrape time)', 'profile', () =>
    sources.poolSandboxes ? Promise.resolve(sources.poolSandboxes()) : undefined,
  );
  plainGauge('runbox_sandboxes_live', "Sandboxes on this worker's engine: waiting, running a program, or being removed", () =>
    sources.liveSandboxes?.(),
  );
  plainGauge('runbox_websocket_clients', 'WebSocket clients connected to this API process', () => sources.websocketClients?.());

  return {
    registry,
    /** Gives the gauges their sources (the API and a worker in one process each give theirs). */
    observe(given: Partial<GaugeSources>): void {
      Object.assign(sources, given);
    },
    submitted(language: string): void {
      submitted.inc({ language });
    },
    /** A worker took a queued run. */
    runStarted(run: { language: string; createdAt: string; startedAt: string }): void {
      queueWait.observe({ language: run.language }, secondsBetween(run.createdAt, run.startedAt));
    },
    runEnded(run: RunEnd): void {
      finished.inc({ language: run.language, status: run.status, verdict: run.verdict ?? 'none' });
      latency.observe({ language: run.language, status: run.status }, secondsBetween(run.createdAt, run.finishedAt));
      if (run.timeMs !== null && run.timeMs !== undefined) runDuration.observe({ language: run.language }, run.timeMs / 1000);
    },
    sandboxFailed(): void {
      sandboxFailures.inc();
    },
    sandboxStarted(source: 'warm' | 'cold', seconds: number): void {
      sandboxStart.observe({ source }, seconds);
    },
    /** A worker fetched a problem's bundle from Redis (its cache did not hold it). */
    problemFetched(): void {
      problemFetches.inc();
    },
    /** A judged run found its problem's bundle in the worker's cache. */
    problemCacheHit(): void {
      problemCacheHits.inc();
    },
    /** The Prometheus text exposition of every family. */
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
