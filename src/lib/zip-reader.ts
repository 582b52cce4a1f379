// Reads a .zip archive held in memory (Judge0's additional_files) into its files, bounded
// before anything is inflated: the entry count, each entry's and all entries' declared sizes,
// the compression ratio, and the time spent; inflating stops at each entry's declared size, so
// an entry that lies about it is refused instead of filling memory. Links, encrypted entries,
// ZIP64 and methods other than stored and deflate are refused. Names come back as written:
// the caller checks them against its file-name rules.
import { promisify } from 'node:util';
import { crc32, inflateRaw } from 'node:zlib';

const inflate = promisify(inflateRaw);

export interface ZipLimits {
  maxEntries: number;
  /** Uncompressed bytes of all entries together. */
  maxTotalBytes: number;
  /** Largest uncompressed / compressed size of one entry. */
  maxRatio: number;
  /** Time the whole read may take. */
  maxMs: number;
}

export interface ZipFile {
  name: string;
  content: Buffer;
}

export class ZipError extends Error {
  override name = 'ZipError';
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

interface Entry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

function findEndOfCentralDirectory(zip: Buffer): number {
  const lowest = Math.max(0, zip.length - EOCD_SIZE - MAX_COMMENT);
  for (let at = zip.length - EOCD_SIZE; at >= lowest; at--) if (zip.readUInt32LE(at) === EOCD) return at;
  throw new ZipError('not a zip archive (no end of central directory)');
}

function readCentralDirectory(zip: Buffer, limits: ZipLimits): Entry[] {
  if (zip.length < EOCD_SIZE) throw new ZipError('not a zip archive (too short)');
  const end = findEndOfCentralDirectory(zip);
  const disk = zip.readUInt16LE(end + 4);
  const cdDisk = zip.readUInt16LE(end + 6);
  const onDisk = zip.readUInt16LE(end + 8);
  const count = zip.readUInt16LE(end + 10);
  const cdSize = zip.readUInt32LE(end + 12);
  const cdOffset = zip.readUInt32LE(end + 16);
  if (disk !== 0 || cdDisk !== 0 || onDisk !== count) throw new ZipError('multi-part zip archives are not supported');
  if (count === 0xffff || cdOffset === 0xffffffff || cdSize === 0xffffffff) throw new ZipError('ZIP64 archives are not supported');
  if (count > limits.maxEntries) throw new ZipError(`the archive has ${count} entries, more than ${limits.maxEntries}`);
  if (cdOffset + cdSize > end) throw new ZipError('the central directory lies outside the archive');

  const entries: Entry[] = [];
  let at = cdOffset;
  let declared = 0;
  for (let i = 0; i < count; i++) {
    if (at + 46 > end || zip.readUInt32LE(at) !== CENTRAL) throw new ZipError('a central directory entry is damaged');
    const madeBy = zip.readUInt16LE(at + 4) >> 8;
    const flags = zip.readUInt16LE(at + 8);
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const compressedSize = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const mode = zip.readUInt32LE(at + 38) >>> 16;
    const localOffset = zip.readUInt32LE(at + 42);
    const next = at + 46 + nameLength + extraLength + commentLength;
    if (next > end) throw new ZipError('a central directory entry is damaged');
    const rawName = zip.subarray(at + 46, at + 46 + nameLength);
    let name: string;
    try {
      name = new TextDecoder('utf-8', { fatal: true }).decode(rawName);
    } catch {
      throw new ZipError('an entry name is not UTF-8');
    }
    at = next;
    if (flags & 0x1) throw new ZipError(`${JSON.stringify(name)} is encrypted`);
    // Unix attributes (made by 3): only plain files and folders; a link could point anywhere.
    const fileType = madeBy === 3 ? mode & S_IFMT : 0;
    if (fileType !== 0 && fileType !== S_IFREG && fileType !== S_IFDIR) {
      throw new ZipError(`${JSON.stringify(name)} is ${fileType === S_IFLNK ? 'a symbolic link' : 'not a plain file'}`);
    }
    if (name.endsWith('/') || fileType === S_IFDIR) {
      if (size !== 0) throw new ZipError(`folder ${JSON.stringify(name)} has content`);
      continue; // folders are made for the files in them
    }
    if (method !== 0 && method !== 8)
      throw new ZipError(`${JSON.stringify(name)} uses compression method ${method} (only stored and deflate)`);
    if (method === 0 && compressedSize !== size) throw new ZipError(`${JSON.stringify(name)} is stored but its sizes differ`);
    if (compressedSize === 0xffffffff || size === 0xffffffff) throw new ZipError('ZIP64 archives are not supported');
    declared += size;
    if (declared > limits.maxTotalBytes) throw new ZipError(`the archive unpacks to more than ${limits.maxTotalBytes} bytes`);
    if (size > Math.max(compressedSize, 1) * limits.maxRatio) {
      throw new ZipError(`${JSON.stringify(name)} is compressed more than ${limits.maxRatio} to 1`);
    }
    entries.push({ name, method, crc, compressedSize, size, localOffset });
  }
  return entries;
}

async function readEntry(zip: Buffer, entry: Entry): Promise<Buffer> {
  const at = entry.localOffset;
  if (at + 30 > zip.length || zip.readUInt32LE(at) !== LOCAL)
    throw new ZipError(`the local header of ${JSON.stringify(entry.name)} is damaged`);
  const start = at + 30 + zip.readUInt16LE(at + 26) + zip.readUInt16LE(at + 28);
  const data = zip.subarray(start, start + entry.compressedSize);
  if (start + entry.compressedSize > zip.length) throw new ZipError(`${JSON.stringify(entry.name)} runs past the end of the archive`);
  let content: Buffer;
  if (entry.method === 0) {
    content = Buffer.from(data);
  } else {
    try {
      // One byte more than declared: an entry that inflates past its size is caught, not kept.
      content = await inflate(data, { maxOutputLength: entry.size + 1 });
    } catch (error) {
      const tooLarge = (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
      throw new ZipError(`${JSON.stringify(entry.name)} ${tooLarge ? 'inflates past its declared size' : 'is not valid deflate data'}`);
    }
  }
  if (content.length !== entry.size) throw new ZipError(`${JSON.stringify(entry.name)} does not have its declared size`);
  if (crc32(content) !== entry.crc) throw new ZipError(`${JSON.stringify(entry.name)} fails its CRC check`);
  return content;
}

export async function readZip(zip: Buffer, limits: ZipLimits): Promise<ZipFile[]> {
  const started = performance.now();
  const files: ZipFile[] = [];
  for (const entry of readCentralDirectory(zip, limits)) {
    files.push({ name: entry.name, content: await readEntry(zip, entry) });
    if (performance.now() - started > limits.maxMs) throw new ZipError(`reading the archive took more than ${limits.maxMs} ms`);
  }
  return files;
}
