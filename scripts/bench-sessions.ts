// npm run bench:sessions: what a session costs, measured in this run on this machine, through
// the client against a runbox of its own (`src/main.ts` as a child on a free loopback port,
// with its own Redis): opening a session (to ready) and ending it, an exec round trip (`true`),
// a 1 MiB file written and read back, a terminal's first echo, and a snapshot of a session and
// a session opened on it. SANDBOX_RUNTIME=runsc measures under gVisor; RUNTIME_IMAGE_PREFIX
// picks the images. Needs the python image (make images).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRunboxClient } from '../src/client/runbox-client.js';
import { freePort } from '../src/lib/free-port.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length * p) / 100))];
const line = (name: string, values: number[]) =>
  process.stdout.write(
    `${name.padEnd(36)} p50 ${percentile(values, 50).toFixed(1).padStart(7)} ms   p95 ${percentile(values, 95).toFixed(1).padStart(7)} ms   (${values.length})\n`,
  );

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const value = await fn();
  return [performance.now() - start, value];
}

const port = await freePort();
const dataDir = mkdtempSync(join(tmpdir(), 'runbox-bench-sessions-'));
const server = spawn(process.execPath, ['--import', 'tsx', new URL('../src/main.ts', import.meta.url).pathname], {
  env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'silent', POOL_WARM_LANGUAGES: '' },
  stdio: 'ignore',
});
const client = createRunboxClient({ url: `http://127.0.0.1:${port}` });
try {
  for (let ready = false; !ready;) {
    ready = await client.runtimes().then(
      () => true,
      () => false,
    );
    if (!ready) await new Promise((resolve) => setTimeout(resolve, 300));
  }
  // The first session waits for the worker to beat: not counted.
  for (let opened = false; !opened;) {
    opened = await client.createSession({ language: 'python' }).then(
      (s) => client.deleteSession(s.id).then(() => true),
      () => new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 300)),
    );
  }
  process.stdout.write(`runtime ${process.env.SANDBOX_RUNTIME ?? 'runc'}, ${ROUNDS} rounds\n`);

  const opens: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const [openMs, session] = await timed(() => client.createSession({ language: 'python' }));
    opens.push(openMs);
    ends.push((await timed(() => client.deleteSession(session.id)))[0]);
  }
  line('POST /sessions (to ready)', opens);
  line('DELETE /sessions/{id}', ends);

  const session = await client.createSession({ language: 'python' });
  const execs: number[] = [];
  for (let i = 0; i < ROUNDS * 2; i++) execs.push((await timed(() => client.exec(session.id, { command: ['true'] })))[0]);
  line('exec `true` round trip', execs);

  const data = randomBytes(1024 * 1024);
  const writes: number[] = [];
  const reads: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    writes.push((await timed(() => client.writeFile(session.id, 'blob.bin', data)))[0]);
    reads.push((await timed(() => client.readFile(session.id, 'blob.bin')))[0]);
  }
  line('PUT 1 MiB file', writes);
  line('GET 1 MiB file', reads);

  const echoes: number[] = [];
  for (let i = 0; i < Math.min(ROUNDS, 10); i++) {
    const [ms] = await timed(async () => {
      const shell = client.shell(session.id);
      shell.write('echo ready-$((1+1))\n');
      let shown = '';
      for await (const frame of shell) {
        if (frame.type === 'stdout') shown += frame.data;
        if (/ready-2/.test(shown)) break;
      }
      shell.close();
    });
    echoes.push(ms);
  }
  line('terminal: open to first echo', echoes);

  const snapshots: number[] = [];
  const restores: number[] = [];
  for (let i = 0; i < Math.min(ROUNDS, 5); i++) {
    const [snapMs, id] = await timed(() => client.snapshotSession(session.id));
    snapshots.push(snapMs);
    const [openMs, opened] = await timed(() => client.createSession({ snapshot: id }));
    restores.push(openMs);
    await client.deleteSession(opened.id);
    await client.deleteSnapshot(id);
  }
  line('snapshot of a session (1 MiB)', snapshots);
  line('POST /sessions on that snapshot', restores);
  await client.deleteSession(session.id);
} finally {
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  rmSync(dataDir, { recursive: true, force: true });
}
