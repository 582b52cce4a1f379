// Splits a command-line string into words the way a POSIX shell would for plain words:
// blanks separate words, '...' keeps everything literally, "..." keeps blanks (a backslash
// escapes " and \ in it), a backslash elsewhere escapes the next character. No expansion of
// any kind: Judge0 strips $ & ; < > | ` before its shell sees the string, and so does the
// caller here, so the words are the same ones Judge0's bash would have passed. One linear pass.

export class ShellWordsError extends Error {
  override name = 'ShellWordsError';
}

export function splitShellWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) word += text[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 < text.length) word += text[++i];
      inWord = true;
    } else if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new ShellWordsError(`unterminated ${quote} quote`);
  if (inWord) words.push(word);
  return words;
}
