import t from 'tap';
import { ConfigError, describeSettings, loadConfig } from '../../../src/config/config.js';

const MiB = 1024 * 1024;

/** Every variable loadConfig looks up, found by handing it an env that records reads. */
function variablesRead(): string[] {
  const read = new Set<string>();
  const env = new Proxy({} as Record<string, string | undefined>, {
    get(_target, name) {
      if (typeof name === 'string') read.add(name);
      return undefined;
    },
  });
  loadConfig(env);
  return [...read].sort();
}

t.test('uses the documented defaults when the environment is empty', async (t) => {
  const config = loadConfig({});
  t.match(config, {
    port: 8080,
    host: '127.0.0.1',
    workerPort: 8081,
    logLevel: 'info',
    redisUrl: '',
    keyPrefix: 'runbox',
    workerConcurrency: 8,
    bodyLimitBytes: 8 * MiB,
    runTimeMs: 10_000,
    runCpuTimeMs: 5_000,
    runTimeMaxMs: 60_000,
    runMemoryMb: 256,
    runMemoryMaxMb: 2048,
    runCpus: 1,
    runCpusMax: 2,
    runPids: 64,
    runPidsMax: 512,
    runOutputBytes: 1 * MiB,
    runOutputMaxBytes: 16 * MiB,
    runDiskMb: 64,
    runDiskMaxMb: 512,
    filesMaxCount: 100,
    filesMaxBytes: 4 * MiB,
    fileNameMaxBytes: 255,
    networkAllowed: false,
    sandboxRuntime: 'runc',
  });
});

t.test('reads per-language pool floors and refuses a malformed list', async (t) => {
  t.equal(loadConfig({ POOL_SIZES: 'python=8, cpp=4' }).poolSizes, 'python=8, cpp=4');
  for (const bad of ['python', 'python=-1', 'python=many', 'python=1=2', '=3'])
    t.throws(() => loadConfig({ POOL_SIZES: bad }), ConfigError, bad);
});

t.test('gives every default a value within its own maximum', async (t) => {
  const config = loadConfig({});
  t.equal(config.runTimeMs <= config.runTimeMaxMs, true, 'time');
  t.equal(config.runMemoryMb <= config.runMemoryMaxMb, true, 'memory');
  t.equal(config.runCpus <= config.runCpusMax, true, 'cpus');
  t.equal(config.runPids <= config.runPidsMax, true, 'pids');
  t.equal(config.runOutputBytes <= config.runOutputMaxBytes, true, 'output');
  t.equal(config.runDiskMb <= config.runDiskMaxMb, true, 'disk');
});

t.test('reads each kind of value from the environment', async (t) => {
  const config = loadConfig({
    PORT: '9000',
    HOST: '0.0.0.0',
    LOG_LEVEL: 'debug',
    RUN_CPUS: '0.5',
    NETWORK_ALLOWED: 'yes',
    RUN_MEMORY_MB: '512',
    REDIS_URL: 'redis://redis:6379',
  });
  t.match(config, {
    port: 9000,
    host: '0.0.0.0',
    logLevel: 'debug',
    runCpus: 0.5,
    networkAllowed: true,
    runMemoryMb: 512,
    redisUrl: 'redis://redis:6379',
  });
});

t.test('ignores spaces around a value', async (t) => {
  t.equal(loadConfig({ PORT: ' 9000 ' }).port, 9000);
});

t.test('treats an empty or blank value as unset', async (t) => {
  t.equal(loadConfig({ PORT: '' }).port, 8080);
  t.equal(loadConfig({ PORT: '   ' }).port, 8080, 'a blank port is not port 0');
  t.equal(loadConfig({ JOB_BACKOFF_MS: ' ' }).jobBackoffMs, 1000);
});

t.test('accepts every spelling of true and false', async (t) => {
  for (const yes of ['1', 'true', 'TRUE', 'yes', 'on']) t.equal(loadConfig({ NETWORK_ALLOWED: yes }).networkAllowed, true, yes);
  for (const no of ['0', 'false', 'False', 'no', 'off']) t.equal(loadConfig({ NETWORK_ALLOWED: no }).networkAllowed, false, no);
});

const badValues: [variable: string, value: string, why: string][] = [
  ['PORT', 'http', 'an integer setting given a word'],
  ['PORT', '80.5', 'an integer setting given a fraction'],
  ['PORT', '70000', 'a port above 65535'],
  ['PORT', '-1', 'a negative port'],
  ['WORKER_CONCURRENCY', '0', 'an integer below its minimum'],
  ['WORKER_CONCURRENCY', '257', 'an integer above its maximum'],
  ['BODY_LIMIT_BYTES', '100', 'a body limit below 1024'],
  ['RUN_TIME_LIMIT_MS', '50', 'a time limit below 100 ms'],
  ['RUN_MEMORY_MB', 'lots', 'a memory limit that is not a number'],
  ['RUN_CPUS', '0', 'a CPU quota of zero'],
  ['RUN_CPUS', 'Infinity', 'an infinite CPU quota'],
  ['RUN_CPUS', 'one', 'a CPU quota that is not a number'],
  ['NETWORK_ALLOWED', 'maybe', 'a boolean that is neither true nor false'],
  ['LOG_LEVEL', 'verbose', 'a log level pino does not have'],
  ['FILE_NAME_MAX_BYTES', '5000', 'a file name limit above 4096'],
];
for (const [variable, value, why] of badValues) {
  t.test(`throws ConfigError naming ${variable} for ${why} ("${value}")`, async (t) => {
    t.throws(() => loadConfig({ [variable]: value }), { name: 'ConfigError', message: new RegExp(`^${variable} `) });
    t.throws(() => loadConfig({ [variable]: value }), ConfigError);
  });
}

const aboveMaximum: [defaultVar: string, defaultValue: string, maxVar: string, maxValue: string][] = [
  ['RUN_TIME_LIMIT_MS', '61000', 'RUN_TIME_LIMIT_MAX_MS', '60000'],
  ['RUN_MEMORY_MB', '4096', 'RUN_MEMORY_MAX_MB', '2048'],
  ['RUN_CPUS', '1.5', 'RUN_CPUS_MAX', '1'],
  ['RUN_PIDS', '600', 'RUN_PIDS_MAX', '512'],
  ['RUN_OUTPUT_BYTES', '2048', 'RUN_OUTPUT_MAX_BYTES', '1024'],
  ['RUN_DISK_MB', '100', 'RUN_DISK_MAX_MB', '50'],
];
for (const [defaultVar, defaultValue, maxVar, maxValue] of aboveMaximum) {
  t.test(`throws ConfigError when ${defaultVar} is above ${maxVar}`, async (t) => {
    t.throws(() => loadConfig({ [defaultVar]: defaultValue, [maxVar]: maxValue }), {
      name: 'ConfigError',
      message: new RegExp(`^${defaultVar} \\(${defaultValue}\\) is above its maximum \\(${maxValue}\\)`),
    });
  });
  t.test(`accepts ${defaultVar} equal to ${maxVar}`, async (t) => {
    const config = loadConfig({ [defaultVar]: maxValue, [maxVar]: maxValue }) as Record<string, unknown>;
    t.equal(Object.values(config).filter((v) => v === Number(maxValue)).length >= 2, true, 'both values are taken');
  });
}

t.test('throws when only the maximum is lowered below the default', async (t) => {
  t.throws(() => loadConfig({ RUN_TIME_LIMIT_MAX_MS: '1000' }), {
    name: 'ConfigError',
    message: /RUN_TIME_LIMIT_MS \(10000\) is above its maximum \(1000\)/,
  });
});

t.test('never reads process.env itself', async (t) => {
  const saved = process.env.PORT;
  process.env.PORT = '1234';
  t.teardown(() => {
    if (saved === undefined) delete process.env.PORT;
    else process.env.PORT = saved;
  });
  t.equal(loadConfig({}).port, 8080);
});

t.test('describeSettings lists every variable loadConfig reads, once each', async (t) => {
  const listed = describeSettings().map((s) => s.env);
  t.same([...listed].sort(), variablesRead());
  t.equal(new Set(listed).size, listed.length, 'no variable twice');
  t.equal(listed.length, Object.keys(loadConfig({})).length, 'one variable per setting');
});

t.test('describeSettings gives each variable the default loadConfig uses, and a description', async (t) => {
  const defaults = loadConfig({});
  for (const row of describeSettings()) {
    t.match(row.description, /\w{3}/, `${row.env} has a description`);
    // Setting a variable to its listed default changes nothing only when the listed default is the real one.
    t.same(loadConfig({ [row.env]: String(row.default) }), defaults, `${row.env} defaults to ${JSON.stringify(row.default)}`);
  }
  t.equal(describeSettings().find((s) => s.env === 'BODY_LIMIT_BYTES')?.default, 8 * MiB);
});

t.test('describeSettings names the variables the docs and the code conventions rely on', async (t) => {
  const listed = describeSettings().map((s) => s.env);
  for (const name of [
    'PORT',
    'REDIS_URL',
    'BODY_LIMIT_BYTES',
    'RUN_TIME_LIMIT_MS',
    'RUN_TIME_LIMIT_MAX_MS',
    'RUN_MEMORY_MB',
    'NETWORK_ALLOWED',
    'FILES_MAX_BYTES',
    'SANDBOX_RUNTIME',
  ]) {
    t.equal(listed.includes(name), true, name);
  }
});
