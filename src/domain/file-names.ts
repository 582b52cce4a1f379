// The rules a client's file name must pass before anything is written: a relative path
// inside the work folder, in plain characters, bounded in length. A name that fails is a
// 400 invalid_file_name, never a file somewhere else.

export interface FileNameRules {
  maxBytes: number;
}

/** Returns why `name` is refused, or undefined when it is fine. */
export function fileNameProblem(name: string, rules: FileNameRules): string | undefined {
  if (name.length === 0) return 'is empty';
  if (Buffer.byteLength(name, 'utf8') > rules.maxBytes) return `is longer than ${rules.maxBytes} bytes`;
  if (name.includes('\0')) return 'contains a NUL byte';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f-\x9f]/.test(name)) return 'contains a control character'; // C0, DEL and C1 (U+009B is a terminal CSI)
  if (name.includes('\\')) return 'contains a backslash';
  if (name.startsWith('/')) return 'is absolute';
  // A compiler or interpreter handed it would read it as an option (gcc reads `@file` as more
  // options, `-wrapper` among them); a path in a folder starts with the folder's name instead.
  if (name.startsWith('-') || name.startsWith('@')) return 'starts with - or @, which commands read as an option';
  const parts = name.split('/');
  if (parts.some((p) => p === '..')) return 'contains ..';
  if (parts.some((p) => p === '' || p === '.')) return 'has an empty or . path segment';
  if (parts.some((p) => Buffer.byteLength(p, 'utf8') > 255)) return 'has a segment longer than 255 bytes';
  return undefined;
}
