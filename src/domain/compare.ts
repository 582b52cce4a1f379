// Judge comparison of a program's output with the expected output. Pure.
//   exact   byte for byte
//   trim    trailing spaces of each line and trailing blank lines ignored; CRLF = LF (Judge0's rule)
//   tokens  the whitespace-separated tokens are equal
//   float   tokens equal, numbers equal within a tolerance (absolute or relative)

export const compareModes = ['exact', 'trim', 'tokens', 'float'] as const;
export type CompareMode = (typeof compareModes)[number];
export const DEFAULT_FLOAT_TOLERANCE = 1e-6;

const trimmedLines = (text: string) =>
  text
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((line) => line.replace(/[ \t\r]+$/, ''))
    .join('\n')
    .replace(/\n+$/, '');

const tokens = (text: string) => text.split(/\s+/).filter((t) => t.length > 0);

/** Numbers in the sense of judges: decimal with an optional exponent, and inf/nan spelled out. */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|infinity|nan)$/i;

function floatsEqual(actual: string, expected: string, tolerance: number): boolean {
  if (actual === expected) return true;
  if (!NUMBER.test(actual) || !NUMBER.test(expected)) return false;
  const a = Number(actual.replace(/inf(inity)?$/i, 'Infinity').replace(/^([+-]?)nan$/i, 'NaN'));
  const e = Number(expected.replace(/inf(inity)?$/i, 'Infinity').replace(/^([+-]?)nan$/i, 'NaN'));
  if (Number.isNaN(a) || Number.isNaN(e)) return Number.isNaN(a) && Number.isNaN(e);
  if (!Number.isFinite(a) || !Number.isFinite(e)) return a === e;
  const difference = Math.abs(a - e);
  return difference <= tolerance || difference <= tolerance * Math.abs(e);
}

export function outputMatches(actual: string, expected: string, mode: CompareMode, tolerance = DEFAULT_FLOAT_TOLERANCE): boolean {
  switch (mode) {
    case 'exact':
      return actual === expected;
    case 'trim':
      return trimmedLines(actual) === trimmedLines(expected);
    case 'tokens': {
      const a = tokens(actual);
      const e = tokens(expected);
      return a.length === e.length && a.every((t, i) => t === e[i]);
    }
    case 'float': {
      const a = tokens(actual);
      const e = tokens(expected);
      return a.length === e.length && a.every((t, i) => floatsEqual(t, e[i], tolerance));
    }
  }
}
