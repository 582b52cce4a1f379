// Judge comparison of a program's output with the expected output. Pure.
//   exact   byte for byte
//   trim    trailing spaces, tabs and CRs of each line and trailing blank lines ignored;
//           CRLF = LF (Judge0's rule)
//   tokens  the whitespace-separated tokens are equal
//   float   tokens equal, numbers equal within a tolerance (absolute or relative)
// Both texts may come from a hostile program or client, so every mode walks the two texts
// once, side by side, with plain loops: no regular expression over the text (one that
// backtracks is quadratic on 100,000 spaces and an x) and no array of all lines or tokens.

export const compareModes = ['exact', 'trim', 'tokens', 'float'] as const;
export type CompareMode = (typeof compareModes)[number];
export const DEFAULT_FLOAT_TOLERANCE = 1e-6;

const CR = 0x0d;
const TAB = 0x09;
const SPACE = 0x20;

/** A part of a text: [start, end). */
interface Span {
  start: number;
  end: number;
}

function sameSpan(a: string, as: Span, b: string, bs: Span): boolean {
  const length = as.end - as.start;
  if (length !== bs.end - bs.start) return false;
  for (let i = 0; i < length; i++) if (a.charCodeAt(as.start + i) !== b.charCodeAt(bs.start + i)) return false;
  return true;
}

/** Reads a text line by line, each line without its trailing spaces, tabs and CRs. */
class LineReader {
  private next = 0;
  constructor(private readonly text: string) {}

  /** The next line, or undefined after the last one. */
  read(): Span | undefined {
    const { text } = this;
    if (this.next > text.length) return undefined;
    const start = this.next;
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    this.next = end + 1;
    // Each character is stepped over at most once here and once by indexOf: linear in all.
    while (end > start) {
      const c = text.charCodeAt(end - 1);
      if (c !== SPACE && c !== TAB && c !== CR) break;
      end--;
    }
    return { start, end };
  }
}

function trimmedLinesEqual(actual: string, expected: string): boolean {
  const a = new LineReader(actual);
  const e = new LineReader(expected);
  for (;;) {
    const lineA = a.read();
    const lineE = e.read();
    if (!lineA && !lineE) return true;
    // Past the last line of one text, the other may only have blank lines left.
    if (!lineA) return lineE!.end === lineE!.start && restIsBlank(e);
    if (!lineE) return lineA.end === lineA.start && restIsBlank(a);
    if (!sameSpan(actual, lineA, expected, lineE)) return false;
  }
}

function restIsBlank(lines: LineReader): boolean {
  for (let line = lines.read(); line; line = lines.read()) if (line.end > line.start) return false;
  return true;
}

/** What `\s` matches in a JavaScript regular expression (the token separators). */
function isWhitespace(c: number): boolean {
  if (c <= SPACE) return c === SPACE || (c >= TAB && c <= CR);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** Reads a text token by token (runs of characters between whitespace). */
class TokenReader {
  private next = 0;
  constructor(private readonly text: string) {}

  read(): Span | undefined {
    const { text } = this;
    let start = this.next;
    while (start < text.length && isWhitespace(text.charCodeAt(start))) start++;
    if (start === text.length) {
      this.next = start;
      return undefined;
    }
    let end = start + 1;
    while (end < text.length && !isWhitespace(text.charCodeAt(end))) end++;
    this.next = end;
    return { start, end };
  }
}

function tokensEqual(actual: string, expected: string, equal: (a: string, as: Span, e: string, es: Span) => boolean): boolean {
  const a = new TokenReader(actual);
  const e = new TokenReader(expected);
  for (;;) {
    const tokenA = a.read();
    const tokenE = e.read();
    if (!tokenA || !tokenE) return !tokenA && !tokenE;
    if (!equal(actual, tokenA, expected, tokenE)) return false;
  }
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** Whether text[i, i + word.length) is `word` in any case (word in lower case). */
function isWordAt(text: string, i: number, end: number, word: string): boolean {
  if (end - i !== word.length) return false;
  for (let k = 0; k < word.length; k++) if ((text.charCodeAt(i + k) | 0x20) !== word.charCodeAt(k)) return false;
  return true;
}

/**
 * A number in the sense of judges, or undefined for a word: decimal with an optional
 * exponent (`[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?`), and inf, infinity, nan spelled out
 * in any case. Scanned once, left to right.
 */
function parseJudgeNumber(text: string, span: Span): number | undefined {
  const { start, end } = span;
  let i = start;
  let sign = 1;
  const first = text.charCodeAt(i);
  if (first === 0x2b || first === 0x2d) {
    if (first === 0x2d) sign = -1;
    i++;
  }
  if (isWordAt(text, i, end, 'inf') || isWordAt(text, i, end, 'infinity')) return sign * Infinity;
  if (isWordAt(text, i, end, 'nan')) return NaN;
  const integerStart = i;
  while (i < end && isDigit(text.charCodeAt(i))) i++;
  let digits = i - integerStart;
  if (i < end && text.charCodeAt(i) === 0x2e) {
    const fractionStart = ++i;
    while (i < end && isDigit(text.charCodeAt(i))) i++;
    digits += i - fractionStart;
  }
  if (digits === 0) return undefined;
  if (i < end && (text.charCodeAt(i) | 0x20) === 0x65) {
    i++;
    if (i < end && (text.charCodeAt(i) === 0x2b || text.charCodeAt(i) === 0x2d)) i++;
    const exponentStart = i;
    while (i < end && isDigit(text.charCodeAt(i))) i++;
    if (i === exponentStart) return undefined;
  }
  if (i !== end) return undefined;
  // The grammar above is a subset of what Number() reads, and Number() reads it in one pass.
  return Number(text.slice(start, end));
}

function floatTokensEqual(tolerance: number) {
  return (actual: string, as: Span, expected: string, es: Span): boolean => {
    if (sameSpan(actual, as, expected, es)) return true;
    const a = parseJudgeNumber(actual, as);
    const e = a === undefined ? undefined : parseJudgeNumber(expected, es);
    if (a === undefined || e === undefined) return false;
    if (Number.isNaN(a) || Number.isNaN(e)) return Number.isNaN(a) && Number.isNaN(e);
    if (!Number.isFinite(a) || !Number.isFinite(e)) return a === e;
    const difference = Math.abs(a - e);
    return difference <= tolerance || difference <= tolerance * Math.abs(e);
  };
}

/** Whether `actual` matches `expected` under `mode`; linear in the length of both. */
export function outputMatches(actual: string, expected: string, mode: CompareMode, tolerance = DEFAULT_FLOAT_TOLERANCE): boolean {
  switch (mode) {
    case 'exact':
      return actual === expected;
    case 'trim':
      return trimmedLinesEqual(actual, expected);
    case 'tokens':
      return tokensEqual(actual, expected, sameSpan);
    case 'float':
      return tokensEqual(actual, expected, floatTokensEqual(tolerance));
  }
}
