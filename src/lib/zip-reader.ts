// Reads a zip held in memory (a problem archive, Judge0's additional_files) from its central
// directory: stored and deflated files, each inflated with no more room than it declares and
// checked against its size and CRC-32. Encrypted entries, ZIP64, archives split over disks,
// symbolic links and other special files are refused. Declared sizes are counted against the
// limits before anything is inflated; each file counts once against the entries.
import { promisify } from 'node:util';
import { crc32, inflateRaw as inflateRawCallback } from 'node:zlib';
import { ArchiveError, normalArchivePath, type ArchiveBudget, type ArchiveFile } from './archive-budget.js';

const inflateRaw = promisify(inflateRawCallback);

const END_OF_DIRECTORY = 0x06054b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const END_BYTES = 22;
const MAX_COMMENT = 0xffff;
const STORED = 0;
const DEFLATED = 8;
const UNIX = 3;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

function findEnd(zip: Buffer): number {
  const lowest = Math.max(0, zip.length - END_BYTES - MAX_COMMENT);
  for (let at = zip.length - END_BYTES; at >= lowest; at--) if (zip.readUInt32LE(at) === END_OF_DIRECTORY) return at;
  throw new ArchiveError('not a valid zip file: no end of central directory');
}

interface Entry {
  path: string;
  method: number;
  crc: number;
  compressedBytes: number;
  bytes: number;
  localAt: number;
}

export async function readZip(zip: Buffer, budget: ArchiveBudget): Promise<ArchiveFile[]> {
  if (zip.length < END_BYTES) throw new ArchiveError('not a valid zip file: too short');
  const end = findEnd(zip);
  const count = zip.readUInt16LE(end + 10);
  const directoryBytes = zip.readUInt32LE(end + 12);
  const directoryAt = zip.readUInt32LE(end + 16);
  if (zip.readUInt16LE(end + 4) !== 0 || zip.readUInt16LE(end + 6) !== 0 || zip.readUInt16LE(end + 8) !== count)
    throw new ArchiveError('zip files split over several disks are not accepted');
  if (count === 0xffff || directoryAt === 0xffffffff || directoryBytes === 0xffffffff)
    throw new ArchiveError('ZIP64 archives are not accepted', true);
  if (directoryAt + directoryBytes > end) throw new ArchiveError('not a valid zip file: the central directory is out of place');

  // The whole directory first: every declared size is counted before anything is inflated.
  const entries: Entry[] = [];
  const seen = new Set<string>();
  let at = directoryAt;
  for (let i = 0; i < count; i++) {
    budget.entry();
    if (at + 46 > end || zip.readUInt32LE(at) !== DIRECTORY_ENTRY)
      throw new ArchiveError('not a valid zip file: a bad central directory entry');
    const madeOn = zip[at + 5];
    const flags = zip.readUInt16LE(at + 8);
    const method = zip.readUInt16LE(at + 10);
    const nameBytes = zip.readUInt16LE(at + 28);
    const extraBytes = zip.readUInt16LE(at + 30);
    const commentBytes = zip.readUInt16LE(at + 32);
    const mode = zip.readUInt32LE(at + 38) >>> 16;
    if (at + 46 + nameBytes > end) throw new ArchiveError('not a valid zip file: a name runs past the directory');
    const raw = zip.subarray(at + 46, at + 46 + nameBytes).toString(flags & 0x800 ? 'utf8' : 'latin1');
    const entry: Entry = {
      path: raw,
      method,
      crc: zip.readUInt32LE(at + 16),
      compressedBytes: zip.readUInt32LE(at + 20),
      bytes: zip.readUInt32LE(at + 24),
      localAt: zip.readUInt32LE(at + 42),
    };
    at += 46 + nameBytes + extraBytes + commentBytes;

    const type = madeOn === UNIX ? mode & S_IFMT : 0;
    if (raw.endsWith('/') || type === S_IFDIR) {
      normalArchivePath(raw);
      continue;
    }
    if (type !== 0 && type !== S_IFREG)
      throw new ArchiveError(
        `the archive holds ${type === 0o120000 ? 'a symbolic link' : 'a special file'} (${JSON.stringify(raw.slice(0, 200))}); only files and folders are allowed`,
      );
    if (flags & 0x1) throw new ArchiveError(`the archive holds an encrypted file (${JSON.stringify(raw.slice(0, 200))})`);
    if (method !== STORED && method !== DEFLATED)
      throw new ArchiveError(`the archive uses compression method ${method}; only stored and deflated files are accepted`);
    entry.path = normalArchivePath(raw);
    if (seen.has(entry.path)) throw new ArchiveError(`the archive holds ${JSON.stringify(entry.path)} twice`);
    seen.add(entry.path);
    budget.file(entry.path, entry.bytes);
    entries.push(entry);
  }

  const files: ArchiveFile[] = [];
  for (const entry of entries) {
    budget.tick();
    const local = entry.localAt;
    if (local + 30 > zip.length || zip.readUInt32LE(local) !== LOCAL_HEADER)
      throw new ArchiveError(`not a valid zip file: no local header for ${entry.path}`);
    const dataAt = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    if (dataAt + entry.compressedBytes > zip.length) throw new ArchiveError(`not a valid zip file: ${entry.path} runs past the end`);
    const stored = zip.subarray(dataAt, dataAt + entry.compressedBytes);
    let data: Buffer;
    if (entry.method === STORED) {
      data = stored;
    } else {
      try {
        // One byte of room more than declared: an entry that fills it is larger than it says.
        data = await inflateRaw(stored, { maxOutputLength: entry.bytes + 1 });
      } catch (error) {
        const tooLarge = error instanceof RangeError;
        throw new ArchiveError(
          tooLarge
            ? `${entry.path} inflates to more than the ${entry.bytes} bytes it declares`
            : `${entry.path} does not inflate: ${(error as Error).message}`,
          tooLarge,
        );
      }
    }
    if (data.length !== entry.bytes) throw new ArchiveError(`${entry.path} holds ${data.length} bytes, not the ${entry.bytes} it declares`);
    if (crc32(data) >>> 0 !== entry.crc >>> 0) throw new ArchiveError(`${entry.path} fails its CRC-32 check`);
    files.push({ path: entry.path, data });
  }
  return files;
}
