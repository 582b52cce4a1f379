// A redis-server child for one scenario: a random loopback port, append-only file in a
// temporary folder, stoppable and restartable on the same port with the same data.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, sleep, spawnChild, type Child, type Exit } from './processes.js';

export interface RedisServerOptions {
  /** maxmemory-policy; runbox wants noeviction (the default here). */
  maxmemoryPolicy?: string;
}

export interface RedisServer {
  url: string;
  port: number;
  dir: string;
  readonly child: Child;
  /** SIGTERM (redis-server writes and fsyncs its append-only file, then exits). */
  stop(): Promise<Exit>;
  /** Starts again on the same port with the same data folder. */
  start(): Promise<void>;
  /** Stops the server and removes its data folder. */
  destroy(): Promise<void>;
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'runbox-faults-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let child: Child;
  const start = async () => {
    child = spawnChild(
      `redis:${port}`,
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--protected-mode',
        'yes',
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'everysec',
        '--save',
        '',
        '--maxmemory-policy',
        options.maxmemoryPolicy ?? 'noeviction',
        '--loglevel',
        'warning',
      ],
      { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    );
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      for (let i = 0; ; i++) {
        if (!child.alive) throw new Error(`redis-server on ${port} exited\n${child.tail()}`);
        try {
          await probe.connect();
          // Answers PONG only once the append-only file is loaded.
          if ((await probe.ping()) === 'PONG') return;
        } catch {
          probe.disconnect();
          if (i > 200) throw new Error(`redis-server on ${port} did not answer within 20 s`);
          await sleep(100);
        }
      }
    } finally {
      probe.disconnect();
    }
  };
  await start();
  return {
    url,
    port,
    dir,
    get child() {
      return child;
    },
    stop: () => child.stop(10_000),
    start,
    async destroy() {
      try {
        await child.stop(5_000);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
