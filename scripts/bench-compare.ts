// The judge's output comparison on hostile texts of 1, 4 and 16 MiB, in every mode: the
// time of each, and a bound it must stay under (linear time; a comparison that backtracks
// took 14 s on 100,000 spaces and an x). Exits 1 when one is over the bound.
// Usage: npm run bench:compare
import { compareModes, outputMatches } from '../src/domain/compare.js';

const MiB = 1024 * 1024;
/** Generous for a loaded 2-core machine; a quadratic comparison is over it by orders of magnitude. */
const BOUND_MS_PER_MIB = 250;

/** Each input: what the program printed and what was expected, both about `size` long. */
const inputs: Record<string, (size: number) => [actual: string, expected: string]> = {
  'spaces then x': (size) => [' '.repeat(size - 1) + 'x', ' '.repeat(size - 1) + 'x'],
  'x then spaces': (size) => ['x' + ' '.repeat(size - 1), 'x'],
  'whitespace only': (size) => [' \t\r\n'.repeat(size / 4), ''],
  'one long number': (size) => ['7'.repeat(size), '7'.repeat(size - 1) + '8'],
  'many short lines': (size) => ['1 2  \r\n'.repeat(size / 7), '1 2\n'.repeat(size / 7)],
};

const rows: string[] = [];
let over = 0;
for (const mib of [1, 4, 16]) {
  for (const [name, make] of Object.entries(inputs)) {
    const [actual, expected] = make(mib * MiB);
    for (const mode of compareModes) {
      const started = performance.now();
      const matches = outputMatches(actual, expected, mode);
      const ms = performance.now() - started;
      const bound = BOUND_MS_PER_MIB * mib;
      if (ms > bound) over++;
      rows.push(`| ${name} | ${mib} MiB | ${mode} | ${ms.toFixed(1)} | ${matches} | ${ms > bound ? `OVER ${bound} ms` : 'ok'} |`);
    }
  }
}
console.log('| input | size | mode | ms | matches | bound |\n| --- | --- | --- | --- | --- | --- |');
console.log(rows.join('\n'));
if (over > 0) {
  console.error(`${over} comparisons took longer than ${BOUND_MS_PER_MIB} ms per MiB`);
  process.exit(1);
}
