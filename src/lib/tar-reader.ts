// Reads a tar (ustar, with POSIX pax and GNU long-name headers) held in memory: its regular
// files as views of the buffer, folders skipped, and anything else (links, devices, FIFOs)
// refused. One pass over 512-byte headers; every header's checksum is checked.
import { ArchiveError, normalArchivePath, type ArchiveBudget, type ArchiveFile } from './archive-budget.js';

const BLOCK = 512;
/** A pax or GNU long-name header larger than this is not a header anyone writes. */
const MAX_META_BYTES = 64 * 1024;

const text = (header: Buffer, at: number, length: number) => {
  const field = header.subarray(at, at + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString('utf8');
};

function octal(header: Buffer, at: number, length: number, what: string): number {
  const field = header.subarray(at, at + length);
  if (field[0] & 0x80) throw new ArchiveError(`a tar ${what} in base-256 (a file of 8 GiB or more) is not accepted`, true);
  const digits = text(header, at, length).trim();
  if (digits === '') return 0;
  if (!/^[0-7]{1,12}$/.test(digits)) throw new ArchiveError(`a tar header has a bad ${what}`);
  return parseInt(digits, 8);
}

function checksumOk(header: Buffer): boolean {
  const field = text(header, 148, 8).trim();
  if (!/^[0-7]{1,8}$/.test(field)) return false;
  const stored = parseInt(field, 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i];
  return sum === stored;
}

/** The `path` and `size` of a pax extended header ("<length> <key>=<value>\n" records). */
function paxRecords(data: Buffer): { path?: string; size?: number } {
  const found: { path?: string; size?: number } = {};
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const length = Number(data.subarray(at, space).toString('ascii'));
    if (!Number.isInteger(length) || length <= space - at || at + length > data.length)
      throw new ArchiveError('a tar pax header is malformed');
    const record = data.subarray(space + 1, at + length - 1).toString('utf8');
    const equals = record.indexOf('=');
    const key = record.slice(0, equals);
    const value = record.slice(equals + 1);
    if (key === 'path') found.path = value;
    if (key === 'size') {
      if (!/^\d{1,15}$/.test(value)) throw new ArchiveError('a tar pax header has a bad size');
      found.size = Number(value);
    }
    at += length;
  }
  return found;
}

const isZeroBlock = (header: Buffer) => header.every((byte) => byte === 0);

export function readTar(tar: Buffer, budget: ArchiveBudget): ArchiveFile[] {
  const files: ArchiveFile[] = [];
  let next: { path?: string; size?: number } = {};
  let at = 0;
  for (;;) {
    if (at + BLOCK > tar.length) {
      // The end-of-archive blocks are optional in practice; an archive cut inside a header is not.
      if (at === tar.length || isZeroBlock(tar.subarray(at))) break;
      throw new ArchiveError('the tar ends inside a header');
    }
    const header = tar.subarray(at, at + BLOCK);
    if (isZeroBlock(header)) break;
    budget.entry();
    if (!checksumOk(header))
      throw new ArchiveError(files.length === 0 && at === 0 ? 'not a zip, tar or tar.gz file' : 'a tar header fails its checksum');
    const type = String.fromCharCode(header[156] || 0x30);
    const size = next.size ?? octal(header, 124, 12, 'size');
    const dataAt = at + BLOCK;
    if (dataAt + size > tar.length) throw new ArchiveError('the tar ends inside a file');
    const data = tar.subarray(dataAt, dataAt + size);
    at = dataAt + Math.ceil(size / BLOCK) * BLOCK;

    if (type === 'x' || type === 'L') {
      if (size > MAX_META_BYTES) throw new ArchiveError('a tar long-name or pax header is too large', true);
      next = type === 'x' ? { ...next, ...paxRecords(data) } : { ...next, path: text(data, 0, data.length) };
      continue;
    }
    const name = next.path ?? (text(header, 345, 155) ? `${text(header, 345, 155)}/${text(header, 0, 100)}` : text(header, 0, 100));
    next = {};
    if (type === 'g') continue; // global pax settings: nothing we use
    if (type === '5') {
      normalArchivePath(name);
      continue;
    }
    if (type !== '0' && type !== '7') {
      const what = type === '1' ? 'a hard link' : type === '2' ? 'a symbolic link' : `an entry of tar type ${JSON.stringify(type)}`;
      throw new ArchiveError(`the archive holds ${what} (${JSON.stringify(name.slice(0, 200))}); only files and folders are allowed`);
    }
    const path = normalArchivePath(name);
    if (path.endsWith('/')) throw new ArchiveError(`the archive holds a file whose name ends with /: ${JSON.stringify(path)}`);
    budget.file(path, size);
    files.push({ path, data });
  }
  return files;
}
