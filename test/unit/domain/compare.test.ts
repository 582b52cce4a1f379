import t from 'tap';
import { outputMatches, type CompareMode } from '../../../src/domain/compare.js';

const cases: [mode: CompareMode, actual: string, expected: string, match: boolean, why: string][] = [
  ['exact', 'a\n', 'a\n', true, 'same bytes'],
  ['exact', 'a\n', 'a', false, 'a trailing newline counts'],
  ['exact', '', '', true, 'empty output equals empty expected'],
  ['exact', 'a\r\n', 'a\n', false, 'CRLF is not LF'],
  ['trim', 'a  \nb\t\n\n\n', 'a\nb', true, 'trailing spaces, tabs and blank lines ignored'],
  ['trim', 'a\r\nb\r\n', 'a\nb\n', true, 'CRLF equals LF'],
  ['trim', ' a', 'a', false, 'leading spaces count'],
  ['trim', 'a  b', 'a b', false, 'inner spaces count'],
  ['trim', 'a\n\nb', 'a\nb', false, 'inner blank lines count'],
  ['trim', '', '\n\n', true, 'empty output equals blank expected'],
  ['trim', '', 'x', false, 'empty output is not x'],
  ['trim', 'a \t\r\r', 'a', true, 'trailing CRs of a line are ignored like spaces'],
  ['trim', 'a\rb', 'a\nb', false, 'a CR inside a line does not break it'],
  ['trim', 'a\n \n\t\r\n', 'a', true, 'lines of spaces and tabs at the end are blank lines'],
  ['trim', '\n\na', 'a', false, 'leading blank lines count'],
  ['trim', 'a\n\n', 'a\n\nb', false, 'a missing last line'],
  ['trim', 'a\u00a0', 'a', false, 'only spaces, tabs and CRs are trimmed'],
  ['tokens', 'a\n\n  b\tc', 'a b c', true, 'any whitespace between tokens'],
  ['tokens', 'a b', 'a b c', false, 'a missing token'],
  ['tokens', '', '   ', true, 'no tokens on both sides'],
  ['tokens', 'a\u00a0b\u3000c\ufeff', 'a b c', true, 'Unicode whitespace separates tokens'],
  ['tokens', 'ab', 'a b', false, 'tokens are not joined'],
  ['float', '0.30000000000000004', '0.3', true, 'within 1e-6'],
  ['float', '1000000000000000000001', '1e21', true, 'huge numbers, relative tolerance'],
  ['float', '123456789012345678901234567890', '123456789012345678901234567891', true, 'beyond double precision compares within tolerance'],
  ['float', '0.31', '0.3', false, 'outside 1e-6'],
  ['float', 'nan', 'NaN', true, 'NaN equals NaN'],
  ['float', 'nan', '0', false, 'NaN is not a number'],
  ['float', 'inf -inf', 'Infinity -infinity', true, 'infinities by sign'],
  ['float', 'inf', '1e308', false, 'infinity is not a big number'],
  ['float', 'yes 1.0', 'yes 1', true, 'words compare exactly, numbers by value'],
  ['float', 'Yes', 'yes', false, 'words are case-sensitive'],
  ['float', '1.5x', '1.5', false, 'a number with a suffix is a word'],
  ['float', '1. .5 -.5e-1', '1 0.5 -0.05', true, 'a bare point and a leading point are numbers'],
  ['float', '+INF', 'inf', true, 'inf in any case, with a plus'],
  ['float', '1e', '1', false, 'an exponent needs digits'],
  ['float', '. -', '0 0', false, 'a point or a sign alone is a word'],
  ['float', '0x10', '16', false, 'hexadecimal is a word'],
];

for (const [mode, actual, expected, match, why] of cases) {
  t.test(`${mode}: ${why}`, async (t) => {
    t.equal(outputMatches(actual, expected, mode), match);
    if (mode !== 'float') t.equal(outputMatches(expected, actual, mode), match, 'either way round');
  });
}

t.test('float takes the tolerance it is given', async (t) => {
  t.equal(outputMatches('0.31', '0.3', 'float', 0.05), true);
  t.equal(outputMatches('0.31', '0.3', 'float', 0.001), false);
});

// The rules as they were first written, with regular expressions: the reference for short
// texts (on long ones these backtrack, which is why compare.ts walks the texts instead).
const reference = {
  trim: (text: string) =>
    text
      .replace(/\r\n/g, '\n')
      .split('\n')
      .map((line) => line.replace(/[ \t\r]+$/, ''))
      .join('\n')
      .replace(/\n+$/, ''),
  tokens: (text: string) => text.split(/\s+/).filter((token) => token.length > 0),
  number: (token: string) => {
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|infinity|nan)$/i.test(token)) return undefined;
    return Number(token.replace(/inf(inity)?$/i, 'Infinity').replace(/^([+-]?)nan$/i, 'NaN'));
  },
};

function referenceMatches(actual: string, expected: string, mode: CompareMode, tolerance = 1e-6): boolean {
  if (mode === 'exact') return actual === expected;
  if (mode === 'trim') return reference.trim(actual) === reference.trim(expected);
  const a = reference.tokens(actual);
  const e = reference.tokens(expected);
  if (a.length !== e.length) return false;
  return a.every((token, i) => {
    if (token === e[i]) return true;
    if (mode === 'tokens') return false;
    const x = reference.number(token);
    const y = reference.number(e[i]);
    if (x === undefined || y === undefined) return false;
    if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) && Number.isNaN(y);
    if (!Number.isFinite(x) || !Number.isFinite(y)) return x === y;
    return Math.abs(x - y) <= tolerance || Math.abs(x - y) <= tolerance * Math.abs(y);
  });
}

t.test('every mode agrees with the rules as first written, on 20,000 short random texts', async (t) => {
  const alphabet = [' ', ' ', '\t', '\r', '\n', '\n', '\u00a0', 'a', '1', '1', '0', '.', 'e', '-', '+', 'i', 'n', 'f', 'x'];
  let seed = 42;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const text = () => Array.from({ length: random(12) }, () => alphabet[random(alphabet.length)]).join('');
  const disagreements: string[] = [];
  for (let i = 0; i < 20_000; i++) {
    const actual = text();
    // Half the pairs are near each other, so that matches are common too.
    const expected = random(2) === 0 ? text() : actual.replace(/\n$/, '').replace(/ /g, random(2) ? ' ' : '\t') + (random(2) ? '\n' : '');
    for (const mode of ['exact', 'trim', 'tokens', 'float'] as const) {
      if (outputMatches(actual, expected, mode) !== referenceMatches(actual, expected, mode))
        disagreements.push(`${mode} ${JSON.stringify(actual)} ${JSON.stringify(expected)}`);
    }
  }
  t.same(disagreements.slice(0, 10), []);
});

const MiB = 1024 * 1024;

t.test('hostile texts get the right answer (their time is measured by npm run bench:compare)', async (t) => {
  const spacesThenX = ' '.repeat(100_000) + 'x';
  for (const mode of ['exact', 'trim', 'tokens', 'float'] as const) {
    t.equal(outputMatches(spacesThenX, spacesThenX, mode), true, `${mode}: 100,000 spaces then x equals itself`);
  }
  t.equal(outputMatches(spacesThenX, 'x', 'trim'), false, 'trim: leading spaces count');
  t.equal(outputMatches(spacesThenX, 'x', 'tokens'), true, 'tokens: the one token is x');
  t.equal(outputMatches('x', spacesThenX, 'float'), true, 'float: the one token is x');
  t.equal(outputMatches('x' + ' '.repeat(100_000), 'x', 'trim'), true, 'trim: 100,000 trailing spaces ignored');

  const whitespace = ' \t\r\n'.repeat(MiB / 4);
  t.equal(outputMatches(whitespace, '', 'trim'), true, 'trim: 1 MiB of whitespace is blank');
  t.equal(outputMatches('', whitespace + 'x', 'trim'), false, 'trim: ... unless something follows it');
  t.equal(outputMatches(whitespace, '', 'tokens'), true, 'tokens: 1 MiB of whitespace has no token');
  t.equal(outputMatches(whitespace + '1', '1.0', 'float'), true, 'float: a number after 1 MiB of whitespace');

  const digits = '7'.repeat(MiB);
  t.equal(outputMatches(digits, digits, 'float'), true, 'float: a 1 MiB number equals itself');
  t.equal(outputMatches(digits + 'x', digits, 'float'), false, 'float: a 1 MiB number with a suffix is a word');
  t.equal(
    outputMatches(digits + '.5', '7'.repeat(MiB - 1) + '8', 'float'),
    true,
    'float: 1 MiB numbers compare by value (relative tolerance)',
  );
  t.equal(outputMatches(digits, '7'.repeat(MiB - 1) + '8', 'tokens'), false, 'tokens: a 1 MiB token differing in its last character');
  t.equal(outputMatches('1'.repeat(MiB) + 'x', '1', 'float'), false, 'float: a long almost-number is a word');

  const lines = 'a b\n'.repeat(MiB / 4);
  t.equal(
    outputMatches(lines, lines.replaceAll('\n', '  \r\n') + '\n\n', 'trim'),
    true,
    'trim: 262,144 lines with trailing spaces and CRLF',
  );
  t.equal(outputMatches(lines, lines.slice(0, -2) + 'c\n', 'trim'), false, 'trim: the last of 262,144 lines differs');
  t.equal(outputMatches(lines, lines.replaceAll('\n', ' '), 'tokens'), true, 'tokens: 524,288 tokens');
  t.equal(
    outputMatches(lines.replaceAll('a', '1'), lines.replaceAll('a', '1.0000001'), 'float'),
    true,
    'float: 524,288 tokens, half of them numbers',
  );
});
