#!/usr/bin/env node
// The `runbox` command. Runs the built CLI (dist/client/cli.js, from `npm run build`); in a
// clone where it is not built yet, the TypeScript source through tsx (a dev dependency, so
// `npx runbox` works right after `npm ci`).
import { existsSync } from 'node:fs';

const built = new URL('../dist/client/cli.js', import.meta.url);
let cli;
if (existsSync(built)) {
  cli = await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(new URL('../src/client/cli.ts', import.meta.url).href);
}
process.exitCode = await cli.main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
