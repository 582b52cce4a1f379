// What reading an uploaded archive may cost (entries, sizes, expansion, time), counted as the
// readers go, and the rules every path in it must pass. Shared by the zip and tar readers.

export interface ArchiveLimits {
  /** Most entries of any kind (files, folders, headers). */
  maxEntries: number;
  /** Largest file, uncompressed. */
  maxFileBytes: number;
  /** Largest total of all files, uncompressed. */
  maxTotalBytes: number;
  /** The files together may be at most this many times the archive's size (or 1 MiB, whichever is more). */
  maxRatio: number;
  /** How long reading may take. */
  timeMs: number;
}

export interface ArchiveFile {
  /** A relative path, `/`-separated, without a leading `./`. */
  path: string;
  data: Buffer;
}

/** The archive is refused: `tooLarge` when a limit was reached (413), else it is malformed or holds what is not allowed (400). */
export class ArchiveError extends Error {
  override name = 'ArchiveError';
  constructor(
    message: string,
    readonly tooLarge = false,
  ) {
    super(message);
  }
}

const RATIO_FLOOR_BYTES = 1024 * 1024;
/** Counts what the readers take and says when a limit is passed. */
export function createArchiveBudget(limits: ArchiveLimits, archiveBytes: number) {
  const started = Date.now();
  const maxTotal = Math.min(limits.maxTotalBytes, Math.max(limits.maxRatio * archiveBytes, RATIO_FLOOR_BYTES));
  let entries = 0;
  let total = 0;
  const tick = (): void => {
    if (Date.now() - started > limits.timeMs) throw new ArchiveError(`reading the archive took longer than ${limits.timeMs} ms`, true);
  };
  return {
    /** One more entry of any kind; also a point where time is checked. */
    entry(): void {
      if (++entries > limits.maxEntries) throw new ArchiveError(`the archive has more than ${limits.maxEntries} entries`, true);
      tick();
    },
    /** Throws once reading has taken longer than its time. */
    tick,
    /** A file of `bytes` (uncompressed), before it is read. */
    file(path: string, bytes: number): void {
      if (bytes > limits.maxFileBytes)
        throw new ArchiveError(`${path} is ${bytes} bytes, above the maximum of ${limits.maxFileBytes}`, true);
      total += bytes;
      if (total > limits.maxTotalBytes)
        throw new ArchiveError(`the archive's files add up to more than ${limits.maxTotalBytes} bytes`, true);
      if (total > maxTotal)
        throw new ArchiveError(
          `the archive's files expand to more than ${limits.maxRatio} times its size; send it less compressed (a plain tar, or a zip that stores)`,
          true,
        );
    },
  };
}
export type ArchiveBudget = ReturnType<typeof createArchiveBudget>;

/** Why a path from an archive is refused, or undefined; folders may end with `/`. */
export function archivePathProblem(path: string): string | undefined {
  if (path.length === 0) return 'an empty path';
  if (path.startsWith('/')) return 'an absolute path';
  if (path.includes('\\')) return 'a backslash in a path';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(path)) return 'a control character in a path';
  if (path.split('/').includes('..')) return 'a path with ..';
  return undefined;
}

/** A path as stored, without a leading `./`, checked. Throws ArchiveError. */
export function normalArchivePath(raw: string): string {
  const path = raw.replace(/^(\.\/)+/, '');
  const problem = archivePathProblem(path);
  if (problem) throw new ArchiveError(`the archive holds ${problem}: ${JSON.stringify(raw.slice(0, 200))}`);
  return path;
}
