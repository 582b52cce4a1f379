// The `runbox` command: run a file on a runbox server with its output live in the terminal,
// judge it against tests, list the runtimes. `main` takes its arguments and streams, so the
// bin script (bin/runbox.js) and tests call it alike; it returns the exit code.
import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRunboxClient, RunboxError, type RunboxClient, type RunRecord, type RunRequest } from './runbox-client.js';
import { createSpinner } from './spinner.js';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream;
  env: Record<string, string | undefined>;
}

export const DEFAULT_URL = 'http://127.0.0.1:8080';

const USAGE = `usage:
  runbox run FILE [--lang L] [--stdin FILE|-] [--interactive] [--test IN:OUT ...] [--compare MODE] [--limits NAME=VALUE,...]
  runbox judge FILE --tests DIR [--lang L] [--compare MODE] [--limits NAME=VALUE,...]
  runbox runtimes
options for every command: --url URL (RUNBOX_URL, default ${DEFAULT_URL}), --key KEY (RUNBOX_KEY)
exit code: the program's (128+N when signal N ended it, a limit's kill included); for a judged run 0
when accepted, else 1; 1 when it did not run (compile error, cancelled, failed); 2 for a usage error;
3 when the server refused or could not be reached.`;

class UsageError extends Error {}

const options = {
  url: { type: 'string' },
  key: { type: 'string' },
  lang: { type: 'string', short: 'l' },
  stdin: { type: 'string' },
  interactive: { type: 'boolean', short: 'i' },
  test: { type: 'string', multiple: true },
  tests: { type: 'string' },
  compare: { type: 'string' },
  limits: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

const SIGNALS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGSEGV: 11,
  SIGPIPE: 13,
  SIGTERM: 15,
  SIGXCPU: 24,
  SIGXFSZ: 25,
};

/** The program's exit code where it ran to an exit; 128+N for a signal; 1 for anything else that is not success. */
export function exitCodeOf(record: RunRecord): number {
  if (record.tests) return record.verdict === 'accepted' ? 0 : 1;
  if (record.status === 'completed' && record.verdict !== 'compilation_error') {
    if (record.exitCode !== null) return record.exitCode;
    if (record.signal) return 128 + (SIGNALS[record.signal] ?? 0);
  }
  return record.verdict === 'ok' ? 0 : 1;
}

const MiB = 1024 * 1024;
const figures = (r: { timeMs: number | null; memoryBytes: number | null }) =>
  [r.timeMs === null ? undefined : `${r.timeMs} ms`, r.memoryBytes === null ? undefined : `${(r.memoryBytes / MiB).toFixed(1)} MiB`].filter(
    Boolean,
  );

/** The last line: what happened, the exit, time and memory. */
export function verdictLine(record: RunRecord): string {
  const what = record.status === 'completed' ? record.verdict : record.status;
  const exit = record.signal ? `killed by ${record.signal}` : record.exitCode !== null ? `exit ${record.exitCode}` : undefined;
  const parts = [what, exit, ...figures(record), record.error].filter(Boolean);
  return `runbox: ${parts.join(' · ')}`;
}

function parseLimits(values: readonly string[] = []): RunRequest['limits'] {
  const limits: Record<string, number> = {};
  for (const pair of values.flatMap((v) => v.split(','))) {
    const [name, value] = pair.split('=');
    const number = Number(value);
    if (!name || value === undefined || !Number.isFinite(number))
      throw new UsageError(`--limits takes NAME=VALUE pairs (timeMs=2000,memoryMb=128), not ${JSON.stringify(pair)}`);
    limits[name.trim()] = number;
  }
  return Object.keys(limits).length > 0 ? (limits as RunRequest['limits']) : undefined;
}

/** The runtime for a file: --lang, else the one whose file name has the file's extension. */
async function languageFor(client: RunboxClient, file: string, lang: string | undefined): Promise<string> {
  if (lang) return lang;
  const extension = extname(file).toLowerCase();
  const runtime = (await client.runtimes()).find((r) => extname(r.fileName).toLowerCase() === extension);
  if (!extension || !runtime) throw new UsageError(`no runtime for ${JSON.stringify(basename(file))}: give --lang (see runbox runtimes)`);
  return runtime.language;
}

async function readInput(path: string, io: CliIo): Promise<string> {
  if (path !== '-') return readFile(path, 'utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** NAME.in with NAME.out (or .ans, .expected) in a folder, by name. */
async function testsIn(dir: string): Promise<NonNullable<RunRequest['tests']>> {
  const names = await readdir(dir);
  const inputs = names.filter((n) => n.endsWith('.in')).sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  if (inputs.length === 0) throw new UsageError(`no NAME.in files in ${dir}`);
  return Promise.all(
    inputs.map(async (input) => {
      const name = input.slice(0, -3);
      const answer = ['.out', '.ans', '.expected'].map((e) => name + e).find((n) => names.includes(n));
      if (!answer) throw new UsageError(`${input} has no ${name}.out (or .ans) beside it`);
      return { name, stdin: await readFile(join(dir, input), 'utf8'), expected: await readFile(join(dir, answer), 'utf8') };
    }),
  );
}

/** Submits, streams the output live (stdout to stdout, stderr to stderr, the compiler's to stderr), and returns the final record. */
async function runLive(client: RunboxClient, body: RunRequest, io: CliIo): Promise<RunRecord> {
  const queued = await client.submit(body);
  const spinner = createSpinner(io.stderr);
  spinner.start('queued');
  const stream = client.stream(queued.id, { encoding: 'base64' });
  if (body.interactive) {
    io.stdin.on('data', (chunk: Buffer | string) => stream.stdin(chunk.toString()));
    io.stdin.on('end', () => stream.eof());
  }
  try {
    for await (const frame of stream) {
      if (frame.type === 'status') {
        if (frame.status === 'queued') spinner.start('queued');
        else spinner.stop();
      } else if (frame.type === 'stdout' || frame.type === 'stderr') {
        spinner.stop();
        if (frame.phase === 'test') continue; // a judged run's tests are summed up at the end
        const target = frame.type === 'stdout' && frame.phase === undefined ? io.stdout : io.stderr;
        target.write(Buffer.from(frame.data, 'base64'));
      } else if (frame.type === 'end') {
        return frame.run;
      }
    }
  } finally {
    spinner.stop();
    if (body.interactive) io.stdin.removeAllListeners('data');
  }
  return client.get(queued.id);
}

function reportTests(record: RunRecord, io: CliIo): void {
  for (const test of record.tests ?? []) {
    io.stderr.write(`  ${test.name}  ${test.verdict}  ${figures(test).join('  ')}\n`);
  }
  if (record.compile && record.verdict === 'compilation_error') io.stderr.write(record.compile.stderr || record.compile.stdout);
}

async function commandRun(
  client: RunboxClient,
  file: string,
  values: Record<string, unknown>,
  io: CliIo,
  judgeDir?: string,
): Promise<number> {
  const source = await readFile(file, 'utf8');
  const language = await languageFor(client, file, values.lang as string | undefined);
  const tests = judgeDir
    ? await testsIn(judgeDir)
    : await Promise.all(
        ((values.test as string[] | undefined) ?? []).map(async (pair, i) => {
          const [input, output] = pair.split(':');
          if (!input || !output) throw new UsageError(`--test takes IN:OUT (two files), not ${JSON.stringify(pair)}`);
          return {
            name: basename(input).replace(/\.in$/, '') || `test-${i + 1}`,
            stdin: await readFile(input, 'utf8'),
            expected: await readFile(output, 'utf8'),
          };
        }),
      );
  const body: RunRequest = {
    language,
    source,
    ...(tests.length > 0 ? { tests } : {}),
    ...(values.compare ? { compare: values.compare as NonNullable<RunRequest['compare']> } : {}),
    ...(values.stdin ? { stdin: await readInput(values.stdin as string, io) } : {}),
    ...(values.interactive ? { interactive: true } : {}),
    ...(parseLimits(values.limits as string[] | undefined) ? { limits: parseLimits(values.limits as string[]) } : {}),
  };
  const record = await runLive(client, body, io);
  if (record.tests || record.verdict === 'compilation_error') reportTests(record, io);
  io.stderr.write(`${verdictLine(record)}\n`);
  return exitCodeOf(record);
}

async function commandRuntimes(client: RunboxClient, io: CliIo): Promise<number> {
  const runtimes = await client.runtimes();
  const width = Math.max(...runtimes.map((r) => r.language.length));
  for (const r of runtimes) io.stdout.write(`${r.language.padEnd(width)}  ${r.version.padEnd(10)}  ${r.aliases.join(', ')}\n`);
  return 0;
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, allowPositionals: true });
    const [command, file, ...rest] = positionals;
    if (values.help || !command) {
      io.stdout.write(`${USAGE}\n`);
      return values.help ? 0 : 2;
    }
    if (rest.length > 0) throw new UsageError(`unexpected ${rest.join(' ')}`);
    const client = createRunboxClient({ url: values.url ?? io.env.RUNBOX_URL ?? DEFAULT_URL, key: values.key ?? io.env.RUNBOX_KEY });
    switch (command) {
      case 'runtimes':
        return await commandRuntimes(client, io);
      case 'run':
        if (!file) throw new UsageError('runbox run needs a FILE');
        return await commandRun(client, file, values, io);
      case 'judge':
        if (!file || !values.tests) throw new UsageError('runbox judge needs a FILE and --tests DIR');
        return await commandRun(client, file, values, io, values.tests);
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`runbox: ${(error as Error).message}\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof RunboxError) {
      io.stderr.write(`runbox: the server answered ${error.status} ${error.code}: ${error.message}\n`);
      return 3;
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR') {
      io.stderr.write(`runbox: ${(error as Error).message}\n`);
      return 2;
    }
    if (code === 'ECONNREFUSED' || (error as Error).name === 'TypeError') {
      io.stderr.write(
        `runbox: cannot reach the server: ${(error as Error).message}${(error as { cause?: Error }).cause ? ` (${(error as { cause: Error }).cause.message})` : ''}\n`,
      );
      return 3;
    }
    throw error;
  }
}
