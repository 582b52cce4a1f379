// A Redis primary, one replica and three sentinels on loopback ports, each a child process
// of the test (Debian's redis-server and redis-sentinel), for failover tests. Everything is
// stopped and its folder removed at teardown.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../src/lib/free-port.js';

export const PRIMARY_NAME = 'runbox';

interface Teardown {
  teardown(fn: () => unknown): void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** One command on a short-lived connection; undefined when the server does not answer. */
async function ask(port: number, ...command: string[]): Promise<unknown> {
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await redis.call(command[0], ...command.slice(1));
  } finally {
    redis.disconnect();
  }
}

export interface SentinelSet {
  /** redis+sentinel://127.0.0.1:S1,127.0.0.1:S2,127.0.0.1:S3/runbox */
  url: string;
  /** The port the sentinels name as primary now. */
  primaryPort(): Promise<number>;
  /** Kills the current primary with SIGKILL (no shutdown, no last write): what a crashed host does. */
  killPrimary(): Promise<number>;
  /** Waits until the sentinels name a primary other than `port` and it accepts writes. */
  failedOverFrom(port: number, ms?: number): Promise<number>;
}

export async function startSentinelSet(t: Teardown): Promise<SentinelSet> {
  const dir = mkdtempSync(join(tmpdir(), 'runbox-sentinel-'));
  const children = new Map<number, ChildProcess>();
  t.teardown(async () => {
    for (const child of children.values()) child.kill('SIGKILL');
    await sleep(100);
    rmSync(dir, { recursive: true, force: true });
  });
  const start = (port: number, binary: string, args: string[]) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    children.set(port, child);
  };
  const server = (port: number, ...extra: string[]) =>
    start(port, 'redis-server', [
      ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--dbfilename', `dump-${port}.rdb`],
      ...['--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', '--loglevel', 'warning', ...extra],
    ]);

  const primary = await freePort();
  const replica = await freePort();
  server(primary);
  await until('the primary', async () => ((await ask(primary, 'PING')) === 'PONG' ? true : undefined));
  server(replica, '--replicaof', '127.0.0.1', String(primary));
  await until('the replica in sync', async () =>
    /master_link_status:up/.test(String(await ask(replica, 'INFO', 'replication'))) ? true : undefined,
  );
  const sentinels = [await freePort(), await freePort(), await freePort()];
  for (const port of sentinels) {
    const conf = join(dir, `sentinel-${port}.conf`);
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${PRIMARY_NAME} 127.0.0.1 ${primary} 2`,
        `sentinel down-after-milliseconds ${PRIMARY_NAME} 1000`,
        `sentinel failover-timeout ${PRIMARY_NAME} 3000`,
        `sentinel parallel-syncs ${PRIMARY_NAME} 1`,
        'loglevel warning',
        '',
      ].join('\n'),
    );
    start(port, 'redis-sentinel', [conf]);
  }
  // Every sentinel knows the replica and the others before anything may fail.
  for (const port of sentinels) {
    await until(`sentinel ${port} knowing the set`, async () => {
      const replicas = (await ask(port, 'SENTINEL', 'REPLICAS', PRIMARY_NAME)) as string[][];
      const primaryInfo = (await ask(port, 'SENTINEL', 'MASTER', PRIMARY_NAME)) as string[];
      const field = (name: string) => primaryInfo[primaryInfo.indexOf(name) + 1];
      return replicas.length === 1 && Number(field('num-other-sentinels')) === 2 ? true : undefined;
    });
  }

  const primaryPort = async () => {
    for (const port of sentinels) {
      const address = (await ask(port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', PRIMARY_NAME).catch(() => undefined)) as string[] | undefined;
      if (address) return Number(address[1]);
    }
    throw new Error('no sentinel answers');
  };
  return {
    url: `redis+sentinel://${sentinels.map((port) => `127.0.0.1:${port}`).join(',')}/${PRIMARY_NAME}`,
    primaryPort,
    async killPrimary() {
      const port = await primaryPort();
      children.get(port)?.kill('SIGKILL');
      return port;
    },
    failedOverFrom: (old, ms = 30_000) =>
      until(
        'a failover',
        async () => {
          const port = await primaryPort();
          if (port === old) return undefined;
          return /role:master/.test(String(await ask(port, 'INFO', 'replication'))) ? port : undefined;
        },
        ms,
      ),
  };
}
