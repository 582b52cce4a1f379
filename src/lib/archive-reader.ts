// Reads an uploaded archive (zip, tar, or gzip-compressed tar) into its regular files, within
// limits: entries, the size of each file and of all together, how much the whole may expand
// over the archive, and time. Links, devices and anything but plain files and folders are
// refused, and so is a path that is absolute or climbs out with `..`: nothing here is ever
// written to a disk, but the caller should not have to think about it. The archive is held in
// memory (its size is the request's, bounded by the route); decompression runs in zlib's
// thread pool, so the event loop only walks headers.
import { promisify } from 'node:util';
import { gunzip as gunzipCallback } from 'node:zlib';
import { ArchiveError, createArchiveBudget, type ArchiveFile, type ArchiveLimits } from './archive-budget.js';
import { readTar } from './tar-reader.js';
import { readZip } from './zip-reader.js';

const gunzip = promisify(gunzipCallback);

const isZip = (b: Buffer) => b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && (b[2] === 3 || b[2] === 5) && (b[3] === 4 || b[3] === 6);
const isGzip = (b: Buffer) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/** The regular files of a zip, tar or tar.gz, told apart by their first bytes. Throws ArchiveError. */
export async function readArchive(archive: Buffer, limits: ArchiveLimits): Promise<ArchiveFile[]> {
  const budget = createArchiveBudget(limits, archive.length);
  if (isZip(archive)) return readZip(archive, budget);
  if (isGzip(archive)) {
    let tar: Buffer;
    try {
      // A tar is its files plus a header per entry and padding: a little more than the files.
      tar = await gunzip(archive, { maxOutputLength: limits.maxTotalBytes + (limits.maxEntries + 2) * 1024 });
    } catch (error) {
      const tooLarge = error instanceof RangeError || /larger than|buffer/i.test((error as Error).message);
      throw new ArchiveError(
        tooLarge ? `the archive decompresses to more than its files may hold` : `not a valid gzip file: ${(error as Error).message}`,
        tooLarge,
      );
    }
    return readTar(tar, budget);
  }
  return readTar(archive, budget);
}
