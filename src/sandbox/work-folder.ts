// The contents of a work folder on the host side: a run's files going into a sandbox, and
// what a compile step left, coming back out and going into the next sandbox. Entries keep
// their data as pieces at offsets, so a sparse file travels as its data alone; a folder that
// grows past a threshold spills its data to a temporary file instead of holding it in memory.
// The host never writes any of it to a path of its own choosing: it is only ever bytes sent
// to runbox-run, which writes them inside the sandbox.
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
export const S_IFLNK = 0o120000;
export const S_IFMT = 0o170000;

/** Where a piece's bytes are: held, or at an offset of the spill file. */
type Piece = { offset: number; length: number } & ({ data: Buffer } | { spilledAt: number });

export interface FolderEntry {
  path: string;
  /** With its type bits (S_IFREG, S_IFDIR, S_IFLNK). */
  mode: number;
  /** A file's size (holes included), a link's target length. */
  size: number;
  pieces: Piece[];
}

export interface SandboxFile {
  name: string;
  content: Buffer;
  executable?: boolean;
}

/** Data held in memory before a folder spills to disk. */
export const SPILL_THRESHOLD_BYTES = 8 * 1024 * 1024;

export class WorkFolder {
  readonly entries: FolderEntry[] = [];
  /** Bytes of data (holes not counted). */
  dataBytes = 0;
  private spill?: { dir: string; fd: number; size: number };

  /** A client's files: regular files, folders made as needed by runbox-run. */
  static fromFiles(files: readonly SandboxFile[]): WorkFolder {
    const folder = new WorkFolder();
    for (const file of files) {
      folder.addEntry(file.name, S_IFREG | (file.executable ? 0o755 : 0o644), file.content.length);
      if (file.content.length > 0) folder.addData(0, file.content);
    }
    return folder;
  }

  addEntry(path: string, mode: number, size: number): void {
    this.entries.push({ path, mode, size, pieces: [] });
  }

  /** Data of the last entry added. */
  addData(offset: number, data: Buffer): void {
    const entry = this.entries.at(-1);
    if (!entry) throw new Error('data before any entry');
    this.dataBytes += data.length;
    if (this.spill || this.dataBytes > SPILL_THRESHOLD_BYTES) {
      const spill = this.openSpill();
      writeSync(spill.fd, data, 0, data.length, spill.size);
      entry.pieces.push({ offset, length: data.length, spilledAt: spill.size });
      spill.size += data.length;
    } else {
      entry.pieces.push({ offset, length: data.length, data: Buffer.from(data) });
    }
  }

  private openSpill() {
    if (!this.spill) {
      const dir = mkdtempSync(join(tmpdir(), 'runbox-folder-'));
      this.spill = { dir, fd: openSync(join(dir, 'data'), 'w+', 0o600), size: 0 };
    }
    return this.spill;
  }

  /** Whether its data is on disk rather than in memory. */
  get spilled(): boolean {
    return this.spill !== undefined;
  }

  /** A piece's bytes, read back from the spill file when it is there. */
  read(piece: Piece): Buffer {
    if ('data' in piece) return piece.data;
    const buffer = Buffer.alloc(piece.length);
    readSync(this.spill!.fd, buffer, 0, piece.length, piece.spilledAt);
    return buffer;
  }

  /** Removes the spill file; the folder is empty afterwards. */
  dispose(): void {
    if (this.spill) {
      closeSync(this.spill.fd);
      rmSync(this.spill.dir, { recursive: true, force: true });
      this.spill = undefined;
    }
    this.entries.length = 0;
    this.dataBytes = 0;
  }
}
