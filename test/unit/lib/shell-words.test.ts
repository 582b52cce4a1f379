import t from 'tap';
import { ShellWordsError, splitShellWords } from '../../../src/lib/shell-words.js';

t.test('splits as a shell does for plain words and quotes', async (t) => {
  t.same(splitShellWords('a  b\tc'), ['a', 'b', 'c']);
  t.same(splitShellWords(`one 'two words' "three \\"quoted\\"" four\\ five`), ['one', 'two words', 'three "quoted"', 'four five']);
  t.same(splitShellWords(`'' x ""`), ['', 'x', '']);
  t.same(splitShellWords('  '), []);
  t.same(splitShellWords(`'$HOME' "a\\b"`), ['$HOME', 'a\\b'], 'no expansion; backslash kept in double quotes before other characters');
});

t.test('an unterminated quote is an error', async (t) => {
  t.throws(() => splitShellWords(`a 'b`), ShellWordsError);
  t.throws(() => splitShellWords('a "b'), ShellWordsError);
});

t.test('a long input is split word by word', async (t) => {
  t.equal(splitShellWords('a '.repeat(100_000)).length, 100_000);
});
