import t from 'tap';
import { fileNameProblem } from '../../../src/domain/file-names.js';

const rules = { maxBytes: 255 };

const refused: [name: string, problem: RegExp, why: string][] = [
  ['', /empty/, 'an empty name'],
  ['/etc/passwd', /absolute/, 'an absolute path'],
  ['/', /absolute/, 'the root folder'],
  ['..', /\.\./, 'the parent folder'],
  ['../escape.py', /\.\./, 'a name starting with ..'],
  ['a/../b', /\.\./, 'a .. in the middle'],
  ['a/b/..', /\.\./, 'a .. at the end'],
  ['a\0b', /NUL/, 'a NUL byte'],
  ['main.py\0.txt', /NUL/, 'a NUL byte that would cut the name short in C'],
  ['a\nb', /control/, 'a newline'],
  ['a\rb', /control/, 'a carriage return'],
  ['a\tb', /control/, 'a tab'],
  ['\x1b[31mred', /control/, 'an escape sequence'],
  ['a\x7fb', /control/, 'DEL'],
  ['a\u009bb', /control/, 'a C1 control (CSI)'],
  ['a\\b', /backslash/, 'a backslash'],
  ['..\\..\\windows', /backslash/, 'a Windows-style parent path'],
  ['a//b', /empty or \. path segment/, 'an empty segment'],
  ['a/', /empty or \. path segment/, 'a trailing slash'],
  ['.', /empty or \. path segment/, 'the work folder itself'],
  ['./main.py', /empty or \. path segment/, 'a leading ./'],
  ['a/./b', /empty or \. path segment/, 'a . in the middle'],
  ['x'.repeat(256), /longer than 255 bytes/, 'a name over the byte limit'],
  ['é'.repeat(128), /longer than 255 bytes/, 'a name over the limit in bytes though not in characters'],
  ['@x.c', /starts with - or @/, "gcc's @file: more options read from the file"],
  ['-o', /starts with - or @/, 'a flag'],
  ['--help.py', /starts with - or @/, 'a long flag'],
];

const accepted: [name: string, why: string][] = [
  ['main.py', 'a plain name'],
  ['src/lib/util.py', 'sub-folders'],
  ['.hidden', 'a dot file'],
  ['..foo', 'a name that only starts with two dots'],
  ['foo..', 'a name that ends with two dots'],
  ['a..b/c', 'two dots inside a segment'],
  ['with space.txt', 'a space'],
  ['lib/@x.c', "an @ at the start of a folder's file: the path starts with the folder"],
  ['a-b@c.py', 'a dash and an @ inside a name'],
  ['données/été.py', 'accented letters'],
  ['日本語/プログラム.js', 'CJK'],
  ['🐍.py', 'an emoji'],
  ['x'.repeat(255), 'a name exactly at the byte limit'],
];

for (const [name, problem, why] of refused) {
  t.test(`refuses ${why}: ${JSON.stringify(name.length > 40 ? name.slice(0, 40) + '…' : name)}`, async (t) => {
    t.match(fileNameProblem(name, rules), problem);
  });
}

for (const [name, why] of accepted) {
  t.test(`accepts ${why}: ${JSON.stringify(name.length > 40 ? name.slice(0, 40) + '…' : name)}`, async (t) => {
    t.equal(fileNameProblem(name, rules), undefined);
  });
}

t.test('refuses a segment over 255 bytes even when the whole path may be longer', async (t) => {
  const long = { maxBytes: 4096 };
  t.match(fileNameProblem(`dir/${'x'.repeat(256)}`, long), /segment longer than 255 bytes/);
  t.equal(fileNameProblem(`${'x'.repeat(255)}/${'y'.repeat(255)}`, long), undefined);
});

t.test('uses the configured maximum for the whole name', async (t) => {
  t.match(fileNameProblem('abcdefghijk', { maxBytes: 10 }), /longer than 10 bytes/);
  t.equal(fileNameProblem('abcdefghij', { maxBytes: 10 }), undefined);
});

t.test('refuses every ASCII control character', async (t) => {
  for (let code = 0; code < 0x20; code++) {
    t.not(fileNameProblem(`a${String.fromCharCode(code)}b`, rules), undefined, `\\x${code.toString(16).padStart(2, '0')}`);
  }
});
