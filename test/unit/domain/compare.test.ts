import t from 'tap';
import { outputMatches } from '../../../src/domain/compare.js';

const cases: [mode: 'exact' | 'trim' | 'tokens' | 'float', actual: string, expected: string, match: boolean, why: string][] = [
  ['exact', 'a\n', 'a\n', true, 'same bytes'],
  ['exact', 'a\n', 'a', false, 'a trailing newline counts'],
  ['exact', '', '', true, 'empty output equals empty expected'],
  ['trim', 'a  \nb\t\n\n\n', 'a\nb', true, 'trailing spaces, tabs and blank lines ignored'],
  ['trim', 'a\r\nb\r\n', 'a\nb\n', true, 'CRLF equals LF'],
  ['trim', ' a', 'a', false, 'leading spaces count'],
  ['trim', 'a  b', 'a b', false, 'inner spaces count'],
  ['trim', 'a\n\nb', 'a\nb', false, 'inner blank lines count'],
  ['trim', '', '\n\n', true, 'empty output equals blank expected'],
  ['trim', '', 'x', false, 'empty output is not x'],
  ['tokens', 'a\n\n  b\tc', 'a b c', true, 'any whitespace between tokens'],
  ['tokens', 'a b', 'a b c', false, 'a missing token'],
  ['tokens', '', '   ', true, 'no tokens on both sides'],
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
];

for (const [mode, actual, expected, match, why] of cases) {
  t.test(`${mode}: ${why}`, async (t) => {
    t.equal(outputMatches(actual, expected, mode), match);
  });
}

t.test('float takes the tolerance it is given', async (t) => {
  t.equal(outputMatches('0.31', '0.3', 'float', 0.05), true);
  t.equal(outputMatches('0.31', '0.3', 'float', 0.001), false);
});
