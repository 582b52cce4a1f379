// The embedded Redis of the one-process mode: a redis-server child on a free loopback port,
// with its append-only file under the data folder. It dies with its parent.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';

export interface LocalRedis {
  url: string;
  stop(): Promise<void>;
}

export async function startLocalRedis(dataDir: string, binary = 'redis-server'): Promise<LocalRedis> {
  const dir = resolve(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const child: ChildProcess = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
      '--protected-mode',
      'yes',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined); // refused until the server listens
  let answered = false;
  for (let i = 0; i < 100 && !answered; i++) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}; is it installed? (make up installs it)`);
    try {
      await probe.connect();
      await probe.ping();
      answered = true;
    } catch {
      probe.disconnect();
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  probe.disconnect();
  if (!answered) {
    child.kill('SIGKILL');
    throw new Error(`redis-server did not answer on ${url} within 10 s`);
  }
  return {
    url,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
