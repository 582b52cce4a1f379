// A tar archive of a few files in memory (POSIX ustar, with a pax header for names over 100
// bytes): the build context of a custom runtime. The files come from a request as names and
// bytes; none is ever written to a path of the host.

const BLOCK = 512;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, size: number, type: '0' | 'x', mode: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(name.slice(0, 100), 0, 100, 'utf8');
  block.write(octal(mode, 8), 100, 8, 'ascii');
  block.write(octal(0, 8), 108, 8, 'ascii'); // uid
  block.write(octal(0, 8), 116, 8, 'ascii'); // gid
  block.write(octal(size, 12), 124, 12, 'ascii');
  block.write(octal(0, 12), 136, 12, 'ascii'); // mtime: fixed, so the same files make the same archive
  block.fill(' ', 148, 156); // the checksum counts its own field as spaces
  block.write(type, 156, 1, 'ascii');
  block.write('ustar\0', 257, 6, 'ascii');
  block.write('00', 263, 2, 'ascii');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return block;
}

const padding = (size: number) => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);

/** A pax record "<length> path=<name>\n", its length counting itself. */
function paxPath(name: string): Buffer {
  const body = ` path=${name}\n`;
  let length = Buffer.byteLength(body);
  while (String(length).length + Buffer.byteLength(body) !== length) length = String(length).length + Buffer.byteLength(body);
  return Buffer.from(`${length}${body}`, 'utf8');
}

/** The archive of `files` (relative names, folders made by the reader as needed), in order. */
export function tarArchive(files: readonly { name: string; content: Buffer; mode?: number }[]): Buffer {
  const parts: Buffer[] = [];
  for (const file of files) {
    if (Buffer.byteLength(file.name) > 100) {
      const pax = paxPath(file.name);
      parts.push(header('PaxHeader', pax.length, 'x', 0o644), pax, padding(pax.length));
    }
    parts.push(header(file.name, file.content.length, '0', file.mode ?? 0o644), file.content, padding(file.content.length));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}
