// A problem's files as one blob, the unit the API stores once and workers cache by its
// SHA-256: a magic line, the index's length (u32 big-endian), the index (JSON: each file's
// path and length, in order), then the files' bytes one after another. The hash of the whole
// blob names it, so a blob read back is checked against its name.
import { createHash } from 'node:crypto';

const MAGIC = Buffer.from('runbox-problem 1\n');
/** An index larger than this is not one the API wrote. */
export const MAX_INDEX_BYTES = 4 * 1024 * 1024;

export interface BundleFile {
  path: string;
  data: Buffer;
}

/** Where each file's bytes are in the blob. */
export interface BundleEntry {
  path: string;
  offset: number;
  length: number;
}

export const sha256Hex = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** The blob of `files` and its hash. */
export function encodeBundle(files: readonly BundleFile[]): { blob: Buffer; hash: string } {
  const index = Buffer.from(JSON.stringify(files.map((f) => ({ path: f.path, length: f.data.length }))));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(index.length);
  const blob = Buffer.concat([MAGIC, length, index, ...files.map((f) => f.data)]);
  return { blob, hash: sha256Hex(blob) };
}

/** How many bytes of a blob's start hold its header (magic and index length). */
export const BUNDLE_HEAD_BYTES = MAGIC.length + 4;

/** The index's length, from the blob's first BUNDLE_HEAD_BYTES. */
export function indexLengthOf(head: Buffer): number {
  if (head.length < BUNDLE_HEAD_BYTES || !head.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('not a problem bundle');
  const length = head.readUInt32BE(MAGIC.length);
  if (length > MAX_INDEX_BYTES) throw new Error('a problem bundle with an index too large');
  return length;
}

/** The entries, from the index's bytes (which follow the head), each placed in a blob of `blobBytes`. */
export function decodeIndex(index: Buffer, blobBytes: number): BundleEntry[] {
  const listed = JSON.parse(index.toString('utf8')) as { path: string; length: number }[];
  let offset = BUNDLE_HEAD_BYTES + index.length;
  const entries = listed.map(({ path, length }) => {
    const entry = { path, offset, length };
    offset += length;
    return entry;
  });
  if (offset !== blobBytes) throw new Error('a problem bundle whose index does not match its size');
  return entries;
}
