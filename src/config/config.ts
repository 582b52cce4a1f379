// The service's settings: one declarative table (name, default, parser, bounds, meaning),
// read once from the environment by the entry points. Pure: loadConfig(env) never reads
// process.env itself, so tests pass the values they need.

type Parser<T> = (raw: string, name: string) => T;

interface Setting<T> {
  env: string;
  default: T;
  parse: Parser<T>;
  description: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const integer =
  (min: number, max = Number.MAX_SAFE_INTEGER): Parser<number> =>
  (raw, name) => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
    }
    return value;
  };

const decimal =
  (min: number, max: number): Parser<number> =>
  (raw, name) => {
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max) {
      throw new ConfigError(`${name} must be a number from ${min} to ${max}, got "${raw}"`);
    }
    return value;
  };

const text: Parser<string> = (raw) => raw;

const boolean: Parser<boolean> = (raw, name) => {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
};

const oneOf =
  <T extends string>(...values: T[]): Parser<T> =>
  (raw, name) => {
    if ((values as string[]).includes(raw)) return raw as T;
    throw new ConfigError(`${name} must be one of ${values.join(', ')}, got "${raw}"`);
  };

export const apiScopes = ['runs', 'read', 'admin'] as const;
export type ApiScope = (typeof apiScopes)[number];

export interface ApiKeyEntry {
  name: string;
  scopes: ApiScope[];
  /** sha256 hex of the key; the key itself is never configured or stored. */
  sha256: string;
}

/** NAME:SCOPE+SCOPE:SHA256HEX, comma-separated. `npm run key:new` makes an entry. */
const apiKeyList: Parser<ApiKeyEntry[]> = (raw, name) =>
  raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => {
      const [keyName, scopes, sha256, ...rest] = entry.split(':');
      const scopeList = (scopes ?? '').split('+').filter((s) => s.length > 0);
      if (
        !keyName ||
        rest.length > 0 ||
        !/^[0-9a-f]{64}$/.test(sha256 ?? '') ||
        scopeList.length === 0 ||
        scopeList.some((s) => !(apiScopes as readonly string[]).includes(s))
      ) {
        throw new ConfigError(
          `${name}: each entry is NAME:SCOPES:SHA256 with SCOPES from ${apiScopes.join('+')} and the key's sha256 in hex; got "${keyName ?? ''}:..."`,
        );
      }
      return { name: keyName, scopes: scopeList as ApiScope[], sha256: sha256! };
    });

/** Origins (scheme://host[:port]), comma-separated; each exactly as a browser sends it in Origin. */
const originList: Parser<string[]> = (raw, name) =>
  raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => {
      let origin: string | undefined;
      try {
        origin = new URL(entry).origin;
      } catch {
        // reported below
      }
      if (origin !== entry || !/^https?:/.test(entry))
        throw new ConfigError(
          `${name}: each entry is an origin like https://app.example.org (no path, no trailing slash, no *); got "${entry}"`,
        );
      return entry;
    });

/** LANGUAGE=N, comma-separated, as a record. */
export const languageCounts: Parser<Record<string, number>> = (raw, name) =>
  Object.fromEntries(
    raw
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry.length > 0)
      .map((entry) => {
        const [language, count, ...rest] = entry.split('=');
        const n = Number(count);
        if (!language || rest.length > 0 || !Number.isInteger(n) || n < 0 || n > 256)
          throw new ConfigError(`${name}: each entry is LANGUAGE=N with N from 0 to 256; got "${entry}"`);
        return [language.trim().toLowerCase(), n];
      }),
  );

const MiB = 1024 * 1024;

const settings = {
  port: { env: 'PORT', default: 8080, parse: integer(0, 65535), description: 'HTTP port of the API (and of the all-in-one process)' },
  host: { env: 'HOST', default: '127.0.0.1', parse: text, description: 'address the HTTP server binds to; 0.0.0.0 to serve other hosts' },
  workerPort: {
    env: 'WORKER_PORT',
    default: 8081,
    parse: integer(0, 65535),
    description: 'health and metrics port of a standalone worker process',
  },
  logLevel: {
    env: 'LOG_LEVEL',
    default: 'info',
    parse: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
    description: 'pino log level',
  },
  redisUrl: {
    env: 'REDIS_URL',
    default: '',
    parse: text,
    description:
      'Redis to use: redis://host:port[/db], rediss:// for TLS, or a Sentinel set as redis+sentinel://host:port[,host:port...]/primary-name (Redis Cluster is refused); empty in the all-in-one mode starts a local redis-server child',
  },
  dataDir: { env: 'DATA_DIR', default: './data', parse: text, description: 'folder for the embedded Redis data (append-only file)' },
  keyPrefix: { env: 'REDIS_KEY_PREFIX', default: 'runbox', parse: text, description: 'prefix of every Redis key and of the BullMQ queue' },
  workerConcurrency: {
    env: 'WORKER_CONCURRENCY',
    default: 8,
    parse: integer(1, 256),
    description:
      'runs one worker process executes at once (each program is held to its own CPU quota and CPU-time limit; wall times stretch when more run than the host has cores: a judge that compares wall times sets it to the core count)',
  },
  jobAttempts: {
    env: 'JOB_ATTEMPTS',
    default: 3,
    parse: integer(1, 20),
    description: 'tries of a run whose sandbox could not be started (infrastructure faults)',
  },
  jobBackoffMs: {
    env: 'JOB_BACKOFF_MS',
    default: 1000,
    parse: integer(0),
    description: 'first retry delay after an infrastructure fault; doubles each try',
  },
  bodyLimitBytes: {
    env: 'BODY_LIMIT_BYTES',
    default: 8 * MiB,
    parse: integer(1024),
    description: 'largest request body; larger ones get 413 payload_too_large',
  },
  waitMaxMs: { env: 'WAIT_MAX_MS', default: 60_000, parse: integer(0), description: 'longest a POST /runs?wait=true request is held' },
  retentionSeconds: {
    env: 'RUN_RETENTION_S',
    default: 86_400,
    parse: integer(60),
    description: 'how long run records and their event streams are kept',
  },
  listOutputBudgetBytes: {
    env: 'LIST_OUTPUT_BUDGET_BYTES',
    default: 4 * MiB,
    parse: integer(0),
    description:
      'output one GET /runs?ids= answer carries: records come whole, in order, until the next would pass it; from there on without their output (outputOmitted: true)',
  },
  largeOutputBytes: {
    env: 'LARGE_OUTPUT_BYTES',
    default: 1 * MiB,
    parse: integer(0),
    description:
      'a run that keeps more output than this in Redis (record and event stream together) is kept for LARGE_OUTPUT_RETENTION_S instead',
  },
  largeOutputRetentionSeconds: {
    env: 'LARGE_OUTPUT_RETENTION_S',
    default: 3600,
    parse: integer(60),
    description: 'how long a run with a large output is kept (never longer than RUN_RETENTION_S)',
  },
  keyOutputBudgetBytes: {
    env: 'KEY_OUTPUT_BUDGET_BYTES',
    default: 512 * MiB,
    parse: integer(0),
    description:
      "output one API key may keep in Redis (its runs' records and event streams); at or above it, submissions get 429 output_budget_exceeded until enough expires; 0: no budget",
  },
  outputBudgetBytes: {
    env: 'OUTPUT_BUDGET_BYTES',
    default: 1536 * MiB,
    parse: integer(0),
    description:
      "output all runs together may keep in Redis; at or above it, submissions get 503 storage_full until enough expires; keep it below Redis's maxmemory; 0: no budget",
  },
  runTimeMs: {
    env: 'RUN_TIME_LIMIT_MS',
    default: 10_000,
    parse: integer(100),
    description: 'default wall-time limit of a run (and of each test); leaves room over the CPU limit',
  },
  runTimeMaxMs: {
    env: 'RUN_TIME_LIMIT_MAX_MS',
    default: 60_000,
    parse: integer(100),
    description: 'largest wall-time limit a request may ask for',
  },
  runCpuTimeMs: {
    env: 'RUN_CPU_TIME_LIMIT_MS',
    default: 5_000,
    parse: integer(10),
    description: 'default CPU-time limit of a run (and of each test), all its processes together',
  },
  runCpuTimeMaxMs: {
    env: 'RUN_CPU_TIME_LIMIT_MAX_MS',
    default: 60_000,
    parse: integer(10),
    description: 'largest CPU-time limit a request may ask for',
  },
  runMemoryMb: { env: 'RUN_MEMORY_MB', default: 256, parse: integer(16), description: 'default memory limit (swap is the same: none)' },
  runMemoryMaxMb: {
    env: 'RUN_MEMORY_MAX_MB',
    default: 2048,
    parse: integer(16),
    description: 'largest memory limit a request may ask for',
  },
  runCpus: { env: 'RUN_CPUS', default: 1, parse: decimal(0.01, 64), description: 'default CPU quota in cores' },
  runCpusMax: { env: 'RUN_CPUS_MAX', default: 2, parse: decimal(0.01, 64), description: 'largest CPU quota a request may ask for' },
  runPids: { env: 'RUN_PIDS', default: 64, parse: integer(8), description: 'default limit on processes and threads' },
  runPidsMax: { env: 'RUN_PIDS_MAX', default: 512, parse: integer(8), description: 'largest pids limit a request may ask for' },
  runOutputBytes: {
    env: 'RUN_OUTPUT_BYTES',
    default: 1 * MiB,
    parse: integer(1024),
    description: 'default cap on stdout and on stderr, each',
  },
  runOutputMaxBytes: {
    env: 'RUN_OUTPUT_MAX_BYTES',
    default: 16 * MiB,
    parse: integer(1024),
    description: 'largest output cap a request may ask for',
  },
  runDiskMb: { env: 'RUN_DISK_MB', default: 64, parse: integer(1), description: 'default size of the writable work folder (tmpfs)' },
  runDiskMaxMb: { env: 'RUN_DISK_MAX_MB', default: 512, parse: integer(1), description: 'largest work folder a request may ask for' },
  compileTimeMs: { env: 'COMPILE_TIME_LIMIT_MS', default: 20_000, parse: integer(100), description: 'wall-time limit of a compile step' },
  compileMemoryMb: { env: 'COMPILE_MEMORY_MB', default: 1024, parse: integer(16), description: 'memory limit of a compile step' },
  compileOutputBytes: {
    env: 'COMPILE_OUTPUT_BYTES',
    default: 256 * 1024,
    parse: integer(1024),
    description: 'cap on compiler stdout and stderr, each',
  },
  judgeMaxTests: { env: 'JUDGE_MAX_TESTS', default: 100, parse: integer(1, 10_000), description: 'most tests in one judged run' },
  judgeExpectedMaxBytes: {
    env: 'JUDGE_EXPECTED_MAX_BYTES',
    default: 4 * MiB,
    parse: integer(1),
    description: "largest total of the expected outputs of one run's tests",
  },
  judgeTestOutputBytes: {
    env: 'JUDGE_TEST_OUTPUT_BYTES',
    default: 64 * 1024,
    parse: integer(0),
    description: "bytes of each test's stdout and stderr kept in the record",
  },
  artifactsMaxFiles: {
    env: 'ARTIFACTS_MAX_FILES',
    default: 20,
    parse: integer(0, 10_000),
    description: "files a run's artifacts may keep, all its tests together; matches past it are listed as omitted (count_limit)",
  },
  artifactsMaxBytes: {
    env: 'ARTIFACTS_MAX_BYTES',
    default: 8 * MiB,
    parse: integer(0, 512 * MiB),
    description:
      "bytes a run's artifacts may keep, all its tests together (counted in the output budgets and LARGE_OUTPUT_BYTES); a file that would pass it is listed as omitted (size_limit)",
  },
  problemArchiveMaxBytes: {
    env: 'PROBLEM_ARCHIVE_MAX_BYTES',
    default: 64 * MiB,
    parse: integer(1024),
    description: 'largest archive PUT /problems/{id} accepts (its body limit; 413 payload_too_large beyond)',
  },
  problemMaxBytes: {
    env: 'PROBLEM_MAX_BYTES',
    default: 64 * MiB,
    parse: integer(1024),
    description: "largest total of a problem's files, uncompressed (also the largest single file); 413 beyond",
  },
  problemMaxFiles: {
    env: 'PROBLEM_MAX_FILES',
    default: 4096,
    parse: integer(1, 100_000),
    description: 'most entries (files and folders) in a problem archive',
  },
  problemArchiveMaxRatio: {
    env: 'PROBLEM_ARCHIVE_MAX_RATIO',
    default: 100,
    parse: integer(1),
    description: "a problem archive's files may expand to at most this many times the archive's size (or 1 MiB), against zip bombs",
  },
  problemArchiveTimeMs: {
    env: 'PROBLEM_ARCHIVE_TIME_MS',
    default: 10_000,
    parse: integer(100),
    description: 'longest reading a problem archive may take',
  },
  problemKeyQuotaBytes: {
    env: 'PROBLEM_KEY_QUOTA_BYTES',
    default: 256 * MiB,
    parse: integer(0),
    description: 'bytes of problems one API key may store in Redis (403 quota_exceeded beyond); 0: no quota',
  },
  problemsQuotaBytes: {
    env: 'PROBLEMS_QUOTA_BYTES',
    default: 256 * MiB,
    parse: integer(0),
    description:
      "bytes of problems all keys together may store in Redis; keep it and OUTPUT_BUDGET_BYTES below Redis's maxmemory; 0: no quota",
  },
  problemCacheDir: {
    env: 'PROBLEM_CACHE_DIR',
    default: '',
    parse: text,
    description: "where a worker caches problems' files by their hash; empty: DATA_DIR/problem-cache",
  },
  problemCacheMaxBytes: {
    env: 'PROBLEM_CACHE_MAX_BYTES',
    default: 1024 * MiB,
    parse: integer(0),
    description: 'bytes of problems a worker keeps on its disk; past it the least recently used go (and are fetched again when needed)',
  },
  webhookSecret: {
    env: 'WEBHOOK_SECRET',
    default: '',
    parse: text,
    description: 'HMAC-SHA256 key of the X-Runbox-Signature header; webhooks are refused (403) while it is empty',
  },
  webhookAllowPrivate: {
    env: 'WEBHOOK_ALLOW_PRIVATE',
    default: false,
    parse: boolean,
    description: 'let webhooks reach loopback and private addresses (off: no SSRF through workers)',
  },
  webhookTimeoutMs: { env: 'WEBHOOK_TIMEOUT_MS', default: 5_000, parse: integer(100), description: 'time one webhook delivery may take' },
  webhookAttempts: { env: 'WEBHOOK_ATTEMPTS', default: 3, parse: integer(1, 20), description: 'tries of a webhook delivery' },
  webhookBackoffMs: {
    env: 'WEBHOOK_BACKOFF_MS',
    default: 2_000,
    parse: integer(0),
    description: 'delay before the second try of a webhook; doubles each try',
  },
  filesMaxCount: { env: 'FILES_MAX_COUNT', default: 100, parse: integer(1), description: 'most files in one request' },
  filesMaxBytes: {
    env: 'FILES_MAX_BYTES',
    default: 4 * MiB,
    parse: integer(1),
    description: "largest total size of a request's files (decoded)",
  },
  fileNameMaxBytes: { env: 'FILE_NAME_MAX_BYTES', default: 255, parse: integer(1, 4096), description: 'longest file path in a request' },
  apiKeys: {
    env: 'API_KEYS',
    default: [] as ApiKeyEntry[],
    parse: apiKeyList,
    description: 'API keys as NAME:SCOPES:SHA256, comma-separated (scopes runs, read, admin joined by +); none: no auth, loopback only',
  },
  corsOrigins: {
    env: 'CORS_ORIGINS',
    default: [] as string[],
    parse: originList,
    description:
      "web origins (https://app.example.org, comma-separated) whose pages may call the API from a browser (CORS) and open its WebSockets; none by default: only the API's own pages (the playground)",
  },
  playground: {
    env: 'PLAYGROUND',
    default: true,
    parse: boolean,
    description: 'serve the playground page at / (built by npm run build into dist/playground)',
  },
  authFailuresPerMinute: {
    env: 'AUTH_FAILURES_PER_MINUTE',
    default: 30,
    parse: integer(0),
    description:
      'failed authentications per minute from one client address before its requests get 429 rate_limited (valid key or not) for the rest of the minute; 0 turns it off',
  },
  rateLimitPerMinute: {
    env: 'RATE_LIMIT_PER_MINUTE',
    default: 600,
    parse: integer(0),
    description: 'requests per minute per API key (per address without keys); 0 turns it off',
  },
  keyMaxInFlight: {
    env: 'KEY_MAX_IN_FLIGHT',
    default: 50,
    parse: integer(0),
    description: 'runs one key may have queued or running at once (429 beyond); 0: no cap',
  },
  queueMaxWaiting: {
    env: 'QUEUE_MAX_WAITING',
    default: 10_000,
    parse: integer(0),
    description: 'runs waiting in the queue before POST /runs answers 503 queue_full; 0: no cap',
  },
  wsMaxPerKey: {
    env: 'WS_MAX_PER_KEY',
    default: 20,
    parse: integer(1),
    description: 'open run streams per key on one API process (close 4429 beyond)',
  },
  argsEnvMaxBytes: {
    env: 'ARGS_ENV_MAX_BYTES',
    default: 1 * MiB,
    parse: integer(1024, 1536 * 1024),
    description: "largest total of a run's args and env (each string also under 128 KiB, the kernel's limit)",
  },
  stdinMaxBytes: { env: 'STDIN_MAX_BYTES', default: 1 * MiB, parse: integer(0), description: 'largest stdin of a run (and of each test)' },
  networkAllowed: {
    env: 'NETWORK_ALLOWED',
    default: false,
    parse: boolean,
    description: 'whether runs may ask for network: true (else 403 forbidden)',
  },
  usernsRemap: {
    env: 'USERNS_REMAP',
    default: false,
    parse: boolean,
    description:
      'set when the Docker engine runs with userns-remap (deploy/docker/daemon.userns.json): runs may then ask for root inside under runc too; the worker checks the engine before each such run',
  },
  sandboxRuntime: {
    env: 'SANDBOX_RUNTIME',
    default: 'runc',
    parse: text,
    description: 'Docker runtime of the sandboxes: runc, or runsc for gVisor',
  },
  imagePrefix: { env: 'RUNTIME_IMAGE_PREFIX', default: 'runbox/', parse: text, description: 'runtime images are PREFIX<language>:latest' },
  shutdownGraceMs: {
    env: 'SHUTDOWN_GRACE_MS',
    default: 30_000,
    parse: integer(0),
    description: 'on SIGTERM, how long a worker lets running runs finish before it kills them (recorded as failed)',
  },
  workerLockMs: {
    env: 'WORKER_LOCK_MS',
    default: 30_000,
    parse: integer(1000),
    description:
      'how long a worker holds a job without renewing its lock (renewed every half of it); a worker that died is noticed after about this long',
  },
  workerStalledIntervalMs: {
    env: 'WORKER_STALLED_INTERVAL_MS',
    default: 30_000,
    parse: integer(500),
    description: 'how often workers look for jobs whose lock lapsed (their worker died); such a run ends failed, never runs twice',
  },
  poolSize: {
    env: 'POOL_SIZE',
    default: 2,
    parse: integer(0, 256),
    description:
      'warm sandboxes kept at least per profile (runtime and container limits), each waiting for one run; 0 turns the warm pool off',
  },
  poolSizes: {
    env: 'POOL_SIZES',
    default: '',
    parse: (raw, name) => (languageCounts(raw, name), raw),
    description: 'per-language floors over POOL_SIZE, as LANGUAGE=N, comma-separated (e.g. python=8,cpp=4)',
  },
  poolSizeMax: {
    env: 'POOL_SIZE_MAX',
    default: 24,
    parse: integer(0, 256),
    description: 'most warm sandboxes per profile: a profile keeps as many as runs took in any 2 s of the last POOL_IDLE_MS, up to this',
  },
  poolMaxContainers: {
    env: 'POOL_MAX_CONTAINERS',
    default: 64,
    parse: integer(0, 4096),
    description: 'most warm sandboxes on one worker, all profiles together',
  },
  poolMemoryMb: {
    env: 'POOL_MEMORY_MB',
    default: 16_384,
    parse: integer(0),
    description: "the memory limits of a worker's warm sandboxes may add up to this much",
  },
  poolIdleMs: {
    env: 'POOL_IDLE_MS',
    default: 600_000,
    parse: integer(1000),
    description: 'a profile no run has used for this long is no longer kept warm',
  },
  poolMaxAgeMs: {
    env: 'POOL_MAX_AGE_MS',
    default: 900_000,
    parse: integer(10_000),
    description: 'a warm sandbox older than this is replaced by a fresh one',
  },
  poolFillConcurrency: {
    env: 'POOL_FILL_CONCURRENCY',
    default: 4,
    parse: integer(1, 32),
    description: 'warm sandboxes started at once while the pool fills',
  },
  poolWarmLanguages: {
    env: 'POOL_WARM_LANGUAGES',
    default: 'python,javascript,c,cpp,bash',
    parse: text,
    description: 'languages kept warm from the start with the default limits (comma-separated); others once a run uses them',
  },
  imagesBuildMissing: {
    env: 'IMAGES_BUILD_MISSING',
    default: false,
    parse: boolean,
    description:
      "a worker builds the built-in runtime images it lacks in the background (scripts/build-images.sh, one at a time), each runtime's status building until it is ready; make up sets it. Off: a missing image is status failed",
  },
  customRuntimesMax: {
    env: 'CUSTOM_RUNTIMES_MAX',
    default: 32,
    parse: integer(0, 1000),
    description: 'custom runtimes that may be defined at once (POST /runtimes answers 409 beyond)',
  },
  runtimeBuildTimeMs: {
    env: 'RUNTIME_BUILD_TIME_LIMIT_MS',
    default: 600_000,
    parse: integer(1000),
    description:
      "wall time one custom runtime's image build may take (its check included); past it the build is stopped and leaves nothing",
  },
  runtimeBuildMaxMb: {
    env: 'RUNTIME_BUILD_MAX_MB',
    default: 2048,
    parse: integer(1),
    description:
      "how much a custom runtime's build may add to its base image; checked after each step, a build past it is stopped and leaves nothing",
  },
  runtimeBuildMemoryMb: {
    env: 'RUNTIME_BUILD_MEMORY_MB',
    default: 2048,
    parse: integer(64),
    description: "memory limit of each step of a custom runtime's build (no swap)",
  },
  runtimeBuildNetwork: {
    env: 'RUNTIME_BUILD_NETWORK',
    default: 'none',
    parse: (raw, name) => {
      // The host's network would put the host's own services (Redis, a Docker API on TCP) within a build's reach.
      if (raw === 'host') throw new ConfigError(`${name} may not be host: a build would reach the host's own services`);
      return raw;
    },
    description:
      "Docker network of a custom runtime's build steps: none (no network: files come as build files), or a network the operator made that reaches only the package mirrors allowed (docs/runtimes.md)",
  },
  reaperIntervalMs: {
    env: 'REAPER_INTERVAL_MS',
    default: 60_000,
    parse: integer(1000),
    description: 'how often a worker removes stray sandboxes (and expired snapshot images)',
  },
  sessionMaxPerKey: {
    env: 'SESSION_MAX_PER_KEY',
    default: 5,
    parse: integer(0, 10_000),
    description: 'sessions one API key may have open at once (429 too_many_sessions beyond); 0: none allowed',
  },
  sessionMaxTotal: {
    env: 'SESSION_MAX_TOTAL',
    default: 100,
    parse: integer(0, 100_000),
    description: 'sessions open at once, all keys together (503 sessions_full beyond)',
  },
  sessionMaxPerWorker: {
    env: 'SESSION_MAX_PER_WORKER',
    default: 32,
    parse: integer(0, 10_000),
    description: 'sessions one worker holds at once; a new session goes to the live worker with the most room',
  },
  sessionIdleTimeoutMs: {
    env: 'SESSION_IDLE_TIMEOUT_MS',
    default: 300_000,
    parse: integer(1000),
    description: 'default time a session may go unused (no command, no open terminal) before it is removed',
  },
  sessionIdleTimeoutMaxMs: {
    env: 'SESSION_IDLE_TIMEOUT_MAX_MS',
    default: 3_600_000,
    parse: integer(1000),
    description: 'largest idleTimeoutMs a session may ask for',
  },
  sessionLifetimeMs: {
    env: 'SESSION_LIFETIME_MS',
    default: 3_600_000,
    parse: integer(1000),
    description: 'default longest life of a session, used or not',
  },
  sessionLifetimeMaxMs: {
    env: 'SESSION_LIFETIME_MAX_MS',
    default: 86_400_000,
    parse: integer(1000),
    description: 'largest maxLifetimeMs a session may ask for',
  },
  sessionRetentionSeconds: {
    env: 'SESSION_RETENTION_S',
    default: 3600,
    parse: integer(1),
    description: "how long an ended session's record is kept (GET then says how it ended)",
  },
  sessionFileMaxBytes: {
    env: 'SESSION_FILE_MAX_BYTES',
    default: 8 * MiB,
    parse: integer(1),
    description:
      "largest file a session's files route reads or writes (413 payload_too_large beyond; a write is also held to BODY_LIMIT_BYTES)",
  },
  sessionShellsMax: {
    env: 'SESSION_SHELLS_MAX',
    default: 4,
    parse: integer(1, 64),
    description: 'terminals open at once in one session (close 4503 beyond)',
  },
  sessionCommandTimeoutMs: {
    env: 'SESSION_COMMAND_TIMEOUT_MS',
    default: 60_000,
    parse: integer(1000),
    description: "how long the API waits for a session's worker to answer a command other than an exec (files, snapshots, opening)",
  },
  workerHeartbeatMs: {
    env: 'WORKER_HEARTBEAT_MS',
    default: 5000,
    parse: integer(100),
    description: 'how often a worker says it is alive; a worker silent for three times this long is lost, and its sessions say lost',
  },
  snapshotRetentionSeconds: {
    env: 'SNAPSHOT_RETENTION_S',
    default: 86_400,
    parse: integer(1),
    description: 'how long a snapshot (an image) is kept before the reaper removes it',
  },
  snapshotMaxPerKey: {
    env: 'SNAPSHOT_MAX_PER_KEY',
    default: 10,
    parse: integer(0, 10_000),
    description: 'snapshots one API key may keep at once (429 snapshot_quota_exceeded beyond)',
  },
  snapshotKeyMaxBytes: {
    env: 'SNAPSHOT_KEY_MAX_BYTES',
    default: 1024 * MiB,
    parse: integer(0),
    description: "bytes of work folder one API key's snapshots may keep together (429 snapshot_quota_exceeded beyond)",
  },
} satisfies Record<string, Setting<unknown>>;

type Settings = typeof settings;
export type Config = { [K in keyof Settings]: Settings[K]['default'] };

/** Reads every setting from `env`, falling back to its default; throws ConfigError at once on a bad value. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const config: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(settings) as [string, Setting<unknown>][]) {
    // A blank value counts as unset: Number('  ') is 0, which would pass as a port or a delay.
    const raw = env[setting.env]?.trim();
    config[key] = raw === undefined || raw === '' ? setting.default : setting.parse(raw, setting.env);
  }
  const result = config as Config;
  for (const { defaultKey, maxKey } of Object.values(limitSettings)) {
    const [value, max] = [result[defaultKey], result[maxKey]];
    if (value > max) throw new ConfigError(`${settings[defaultKey].env} (${value}) is above its maximum (${max}), ${settings[maxKey].env}`);
  }
  return result;
}

/** The seven resource limits, by the names runs use (the same shape as domain/limits.ts's Limits). */
export interface LimitValues {
  timeMs: number;
  cpuTimeMs: number;
  memoryMb: number;
  cpus: number;
  pids: number;
  outputBytes: number;
  diskMb: number;
}

/** Each limit's two settings: the default a run gets and the most a request may ask for. */
const limitSettings: Record<keyof LimitValues, { defaultKey: keyof Config & keyof Settings; maxKey: keyof Config & keyof Settings }> = {
  timeMs: { defaultKey: 'runTimeMs', maxKey: 'runTimeMaxMs' },
  cpuTimeMs: { defaultKey: 'runCpuTimeMs', maxKey: 'runCpuTimeMaxMs' },
  memoryMb: { defaultKey: 'runMemoryMb', maxKey: 'runMemoryMaxMb' },
  cpus: { defaultKey: 'runCpus', maxKey: 'runCpusMax' },
  pids: { defaultKey: 'runPids', maxKey: 'runPidsMax' },
  outputBytes: { defaultKey: 'runOutputBytes', maxKey: 'runOutputMaxBytes' },
  diskMb: { defaultKey: 'runDiskMb', maxKey: 'runDiskMaxMb' },
};

/** The server's default and maximum limits of a run, from the settings. */
export function limitsFromConfig(config: Config): { defaults: LimitValues; maxima: LimitValues } {
  const pick = (key: 'defaultKey' | 'maxKey') =>
    Object.fromEntries(Object.entries(limitSettings).map(([name, keys]) => [name, config[keys[key]] as number])) as unknown as LimitValues;
  return { defaults: pick('defaultKey'), maxima: pick('maxKey') };
}

/** The run store's settings (RunStoreOptions in src/store/run-store.ts), alike for the API and the worker. */
export function runStoreSettings(config: Config) {
  return {
    retentionSeconds: config.retentionSeconds,
    largeOutput: { bytes: config.largeOutputBytes, retentionSeconds: config.largeOutputRetentionSeconds },
    outputBudgets: { perKeyBytes: config.keyOutputBudgetBytes, totalBytes: config.outputBudgetBytes },
  };
}

/** The run queue's settings, the same on the API (which adds jobs) and on workers (which count them). */
export function runQueueSettings(config: Config) {
  return { prefix: config.keyPrefix, attempts: config.jobAttempts, backoffMs: config.jobBackoffMs };
}

/** The warm pool's settings (PoolSettings in src/sandbox/sandbox.ts) but the per-language floors (POOL_SIZES). */
export function poolSettings(config: Config) {
  return {
    size: config.poolSize,
    maxSize: config.poolSizeMax,
    maxContainers: config.poolMaxContainers,
    memoryBudgetMb: config.poolMemoryMb,
    idleMs: config.poolIdleMs,
    maxAgeMs: config.poolMaxAgeMs,
    fillConcurrency: config.poolFillConcurrency,
  };
}

/** The problem store's settings (ProblemStoreOptions in src/store/problem-store.ts). */
export function problemStoreSettings(config: Config) {
  return { keyQuotaBytes: config.problemKeyQuotaBytes, totalQuotaBytes: config.problemsQuotaBytes };
}

/** The settings table as documentation rows (README and docs/configuration.md are checked against it). */
export function describeSettings(): { env: string; default: unknown; description: string }[] {
  return Object.values(settings as Record<string, Setting<unknown>>).map(({ env, default: d, description }) => ({
    env,
    default: d,
    description,
  }));
}
